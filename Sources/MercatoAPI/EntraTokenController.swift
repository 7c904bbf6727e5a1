import Foundation
import Hummingbird
import HTTPTypes
import MercatoAuth
import MercatoCore

/// Mercato as an Entra ID token authority (spec-saas §2.1): client-credentials token endpoints v1 and v2,
/// OIDC discovery and JWKS, shaped like login.microsoftonline.com so azure-identity/MSAL work against it.
public struct EntraTokenController: Sendable {
    let issuer: TokenIssuer
    let keys: SigningKeyService
    let accounts: AccountService
    let clock: any MarketplaceClock
    let baseURL: String

    public init(issuer: TokenIssuer, keys: SigningKeyService, accounts: AccountService, clock: any MarketplaceClock, baseURL: String) {
        self.issuer = issuer
        self.keys = keys
        self.accounts = accounts
        self.clock = clock
        self.baseURL = baseURL
    }

    public func addRoutes(to router: Router<MercatoRequestContext>) {
        router.post("{tenant}/oauth2/token") { request, context in try await token(request, context, .v1) }
        router.post("{tenant}/oauth2/v2.0/token") { request, context in try await token(request, context, .v2) }
        router.get("{tenant}/v2.0/.well-known/openid-configuration") { _, context in try await discovery(context, .v2) }
        router.get("{tenant}/.well-known/openid-configuration") { _, context in try await discovery(context, .v1) }
        router.get("{tenant}/discovery/v2.0/keys") { _, context in try await jwks(context) }
        router.get("{tenant}/discovery/keys") { _, context in try await jwks(context) }
    }

    // MARK: Token

    func token(_ request: Request, _ context: MercatoRequestContext, _ version: TokenEndpointVersion) async throws -> Response {
        let tenant = context.parameters.get("tenant") ?? ""
        let form = try await FormBody.parse(request)
        var clientId = form["client_id"]
        var clientSecret = form["client_secret"]
        // client_secret_basic (RFC 6749 §2.3.1) as well as client_secret_post.
        if let basic = request.headers[.authorization], basic.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(basic.dropFirst(6))).flatMap({ String(data: $0, encoding: .utf8) }),
           let colon = decoded.firstIndex(of: ":") {
            clientId = clientId ?? FormEncoding.unescape(String(decoded[..<colon]))
            clientSecret = clientSecret ?? FormEncoding.unescape(String(decoded[decoded.index(after: colon)...]))
        }
        let grant = ClientCredentialsRequest(
            tenant: tenant, version: version, grantType: form["grant_type"], clientId: clientId, clientSecret: clientSecret,
            clientAssertion: form["client_assertion"], resource: form["resource"], scope: form["scope"])
        switch try await issuer.issue(grant, context: context.auditContext) {
        case let .success(token):
            let body: [String: Any]
            switch version {
            case .v1:
                // spec-saas §2.1: v1 numbers are strings.
                body = ["token_type": "Bearer", "expires_in": "\(EntraConventions.tokenLifetime)",
                        "ext_expires_in": "\(EntraConventions.tokenLifetime)", "expires_on": "\(token.claims.exp)",
                        "not_before": "\(token.claims.nbf)", "resource": token.resource, "access_token": token.accessToken]
            case .v2:
                body = ["token_type": "Bearer", "expires_in": EntraConventions.tokenLifetime,
                        "ext_expires_in": EntraConventions.tokenLifetime, "access_token": token.accessToken]
            }
            return try json(body, status: .ok)
        case let .failure(error):
            return try entraError(error, context)
        }
    }

    func entraError(_ error: EntraError, _ context: MercatoRequestContext) throws -> Response {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        let timestamp = formatter.string(from: clock.now())
        let body: [String: Any] = [
            "error": error.error,
            "error_description": "AADSTS\(error.code): \(error.description)\r\nTrace ID: \(context.requestId)\r\nCorrelation ID: \(context.correlationId)\r\nTimestamp: \(timestamp)",
            "error_codes": [error.code], "timestamp": timestamp, "trace_id": context.requestId,
            "correlation_id": context.correlationId, "error_uri": "\(baseURL)/error?code=\(error.code)",
        ]
        return try json(body, status: HTTPResponse.Status(code: error.status))
    }

    // MARK: Discovery

    func discovery(_ context: MercatoRequestContext, _ version: TokenEndpointVersion) async throws -> Response {
        let tenantParam = context.parameters.get("tenant") ?? ""
        // Registered tenants by ID or name; any other GUID too, because publishers validate Mercato's webhook tokens
        // with their own tenant's metadata (spec-saas §2.3) and the keys are the same for every tenant.
        let t: String
        if let tenant = try await accounts.repository.findTenant(tenantParam) {
            t = tenant.id
        } else if GUIDText.isWellFormed(tenantParam) {
            t = tenantParam.lowercased()
        } else {
            return try entraError(EntraError(status: 400, error: "invalid_tenant", code: 90002,
                                             description: "Tenant '\(tenantParam)' not found."), context)
        }
        let body: [String: Any]
        switch version {
        case .v2:
            body = [
                "token_endpoint": "\(baseURL)/\(t)/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "jwks_uri": "\(baseURL)/\(t)/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": EntraConventions.v2Issuer(tenantId: t),
                "request_uri_parameter_supported": false,
                "authorization_endpoint": "\(baseURL)/\(t)/oauth2/v2.0/authorize",
                "device_authorization_endpoint": "\(baseURL)/\(t)/oauth2/v2.0/devicecode",
                "end_session_endpoint": "\(baseURL)/\(t)/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "azp", "ver"],
                "tenant_region_scope": "WW",
                "cloud_instance_name": "microsoftonline.com",
            ]
        case .v1:
            body = [
                "token_endpoint": "\(baseURL)/\(t)/oauth2/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "jwks_uri": "\(baseURL)/common/discovery/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
                "scopes_supported": ["openid"],
                "issuer": EntraConventions.v1Issuer(tenantId: t),
                "authorization_endpoint": "\(baseURL)/\(t)/oauth2/authorize",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid", "ver"],
                "tenant_region_scope": "WW",
                "cloud_instance_name": "microsoftonline.com",
            ]
        }
        return try json(body, status: .ok, cache: "max-age=86400, private")
    }

    func jwks(_ context: MercatoRequestContext) async throws -> Response {
        let tenantParam = context.parameters.get("tenant") ?? ""
        // Keys are the same for every tenant (as Entra's are); unknown tenants are refused except "common".
        if tenantParam != "common", !GUIDText.isWellFormed(tenantParam), try await accounts.repository.findTenant(tenantParam) == nil {
            return try entraError(EntraError(status: 400, error: "invalid_tenant", code: 90002,
                                             description: "Tenant '\(tenantParam)' not found."), context)
        }
        let keys = try await self.keys.jwks()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(["keys": keys])
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "max-age=300, private"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func json(_ object: [String: Any], status: HTTPResponse.Status, cache: String = "no-store") throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: cache]
        if cache == "no-store" { headers[HTTPField.Name("Pragma")!] = "no-cache" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
