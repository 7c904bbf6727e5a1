import Foundation
import MercatoCore

/// A client-credentials token request as the endpoints received it (form fields, already decoded).
public struct ClientCredentialsRequest: Sendable {
    public var tenant: String
    public var version: TokenEndpointVersion
    public var grantType: String?
    public var clientId: String?
    public var clientSecret: String?
    public var clientAssertion: String?
    /// v1 `resource=`.
    public var resource: String?
    /// v2 `scope=`.
    public var scope: String?

    public init(tenant: String, version: TokenEndpointVersion, grantType: String?, clientId: String?, clientSecret: String?,
                clientAssertion: String? = nil, resource: String? = nil, scope: String? = nil) {
        self.tenant = tenant
        self.version = version
        self.grantType = grantType
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.clientAssertion = clientAssertion
        self.resource = resource
        self.scope = scope
    }
}

/// A successful grant.
public struct IssuedToken: Sendable, Equatable {
    public var accessToken: String
    public var claims: AccessTokenClaims
    public var resource: String
    public var version: TokenEndpointVersion
    public var application: APIApplication
}

/// An error the way Entra ID answers it: HTTP status, OAuth `error`, and an `AADSTS…` code with its description.
public struct EntraError: Error, Sendable, Equatable {
    public var status: Int
    public var error: String
    public var code: Int
    public var description: String

    public init(status: Int, error: String, code: Int, description: String) {
        self.status = status
        self.error = error
        self.code = code
        self.description = description
    }

    public static func missingParameter(_ name: String) -> EntraError {
        EntraError(status: 400, error: "invalid_request", code: 900144,
                   description: "The request body must contain the following parameter: '\(name)'.")
    }
}

/// The client-credentials grant of Mercato's Entra-compatible token endpoints (spec-saas §2.1).
public struct TokenIssuer: Sendable {
    let accounts: AccountService
    let keys: SigningKeyService
    let clock: any MarketplaceClock
    let ids: any IDGenerator
    let audit: any AuditLog
    let digest: AuditChain.Digest

    public init(accounts: AccountService, keys: SigningKeyService, clock: any MarketplaceClock, ids: any IDGenerator,
                audit: any AuditLog, digest: @escaping AuditChain.Digest) {
        self.accounts = accounts
        self.keys = keys
        self.clock = clock
        self.ids = ids
        self.audit = audit
        self.digest = digest
    }

    /// Issues a token or returns the Entra error. Every outcome is audited (GOV-AUD-02: token issue and failure).
    public func issue(_ request: ClientCredentialsRequest, context: AuditContext) async throws -> Result<IssuedToken, EntraError> {
        let outcome = try await decide(request)
        let clientId = request.clientId ?? "-"
        var ctx = context
        ctx.actorType = .app
        ctx.actorId = clientId
        switch outcome {
        case let .success(token):
            try await audit.append(ctx.entry(ids: ids, clock: clock, publisherId: token.application.publisherId, action: "token.issue",
                                             targetType: "app", targetId: clientId,
                                             after: "{\"aud\":\"\(token.claims.aud)\",\"ver\":\"\(token.version.rawValue)\",\"uti\":\"\(token.claims.uti ?? "")\"}"))
        case let .failure(error):
            let app = try? await accounts.repository.application(clientId: clientId)
            try await audit.append(ctx.entry(ids: ids, clock: clock, publisherId: app?.publisherId, action: "token.refused",
                                             targetType: "app", targetId: clientId, decision: .blocked,
                                             reason: "\(error.error) AADSTS\(error.code)"))
        }
        return outcome
    }

    func decide(_ r: ClientCredentialsRequest) async throws -> Result<IssuedToken, EntraError> {
        guard let grantType = r.grantType, !grantType.isEmpty else { return .failure(.missingParameter("grant_type")) }
        guard grantType == "client_credentials" else {
            return .failure(EntraError(status: 400, error: "unsupported_grant_type", code: 70003,
                                       description: "The app requested an unsupported grant type '\(grantType)'."))
        }
        guard let clientId = r.clientId, !clientId.isEmpty else { return .failure(.missingParameter("client_id")) }
        if r.clientAssertion != nil {
            return .failure(EntraError(status: 401, error: "invalid_client", code: 700027,
                                       description: "Client assertion (certificate) credentials are not supported by this server; use client_secret."))
        }
        guard let secret = r.clientSecret, !secret.isEmpty else {
            return .failure(EntraError(status: 401, error: "invalid_client", code: 7000218,
                                       description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."))
        }
        let resource: String
        switch r.version {
        case .v1:
            guard let requested = r.resource, !requested.isEmpty else { return .failure(.missingParameter("resource")) }
            guard let known = Self.audience(forResource: requested) else {
                return .failure(EntraError(status: 400, error: "invalid_resource", code: 500011,
                                           description: "The resource principal named \(requested) was not found in the tenant named \(r.tenant)."))
            }
            resource = known
        case .v2:
            guard let scope = r.scope, !scope.isEmpty else { return .failure(.missingParameter("scope")) }
            let scopes = scope.split(separator: " ").map(String.init)
            guard scopes.count == 1, scopes[0].hasSuffix("/.default") else {
                return .failure(EntraError(status: 400, error: "invalid_scope", code: 1002012,
                                           description: "The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."))
            }
            let requested = String(scopes[0].dropLast("/.default".count))
            guard let known = Self.audience(forResource: requested) else {
                return .failure(EntraError(status: 400, error: "invalid_resource", code: 500011,
                                           description: "The resource principal named \(requested) was not found in the tenant named \(r.tenant)."))
            }
            resource = known
        }
        guard let tenant = try await accounts.repository.findTenant(r.tenant) else {
            return .failure(EntraError(status: 400, error: "invalid_request", code: 90002,
                                       description: "Tenant '\(r.tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))
        }
        guard let app = try await accounts.repository.application(clientId: clientId.lowercased()), app.tenantId == tenant.id else {
            return .failure(EntraError(status: 400, error: "unauthorized_client", code: 700016,
                                       description: "Application with identifier '\(clientId)' was not found in the directory '\(tenant.id)'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."))
        }
        guard try await accounts.authenticate(clientId: app.clientId, secret: secret) != nil else {
            return .failure(EntraError(status: 401, error: "invalid_client", code: 7000215,
                                       description: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(app.clientId)'."))
        }
        let now = Int(clock.now().timeIntervalSince1970)
        let oid = EntraConventions.servicePrincipalObjectId(clientId: app.clientId, digest: digest)
        let claims: AccessTokenClaims
        switch r.version {
        case .v1:
            let iss = EntraConventions.v1Issuer(tenantId: tenant.id)
            claims = AccessTokenClaims(aud: resource, iss: iss, iat: now, nbf: now, exp: now + EntraConventions.tokenLifetime,
                                       aio: ids.urlSafeToken(byteCount: 24), appid: app.clientId, appidacr: "1", idp: iss, oid: oid,
                                       rh: ids.urlSafeToken(byteCount: 16), sub: oid, tid: tenant.id, uti: ids.urlSafeToken(byteCount: 16), ver: "1.0")
        case .v2:
            claims = AccessTokenClaims(aud: resource, iss: EntraConventions.v2Issuer(tenantId: tenant.id), iat: now, nbf: now,
                                       exp: now + EntraConventions.tokenLifetime, aio: ids.urlSafeToken(byteCount: 24), azp: app.clientId,
                                       azpacr: "1", oid: oid, rh: ids.urlSafeToken(byteCount: 16), sub: oid, tid: tenant.id,
                                       uti: ids.urlSafeToken(byteCount: 16), ver: "2.0")
        }
        let token = try await keys.sign(claims)
        return .success(IssuedToken(accessToken: token, claims: claims, resource: resource, version: r.version, application: app))
    }

    /// Resources Mercato issues tokens for: the Marketplace SaaS API (by GUID, or `api://GUID`).
    static func audience(forResource resource: String) -> String? {
        let r = resource.lowercased()
        if r == EntraConventions.marketplaceResourceId || r == "api://\(EntraConventions.marketplaceResourceId)" {
            return EntraConventions.marketplaceResourceId
        }
        return nil
    }
}
