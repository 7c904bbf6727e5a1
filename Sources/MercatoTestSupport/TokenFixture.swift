import Foundation
import MercatoApp
import MercatoAuth
import MercatoCore

/// An API application of a fixture publisher, with a way to get real tokens for it.
public struct AppFixture: Sendable {
    public var issued: IssuedClientSecret

    public init(issued: IssuedClientSecret) {
        self.issued = issued
    }
    public var tenantId: String { issued.application.tenantId }
    public var clientId: String { issued.application.clientId }
    public var secret: String { issued.secret }

    public static func make(_ env: MercatoEnvironment, account: AccountFixture, roles: Set<Role> = [.manager], name: String = "Backend") async throws -> AppFixture {
        AppFixture(issued: try await env.accounts.createApplication(by: account.ownerPrincipal, publisherId: account.publisherId,
                                                                    name: name, roles: roles, context: .system))
    }

    /// A v2 access token from the real issuer.
    public func token(_ env: MercatoEnvironment, version: TokenEndpointVersion = .v2) async throws -> String {
        try await Self.token(env, tenantId: tenantId, clientId: clientId, secret: secret, version: version)
    }

    public static func token(_ env: MercatoEnvironment, tenantId: String, clientId: String, secret: String,
                             version: TokenEndpointVersion = .v2) async throws -> String {
        let resource = EntraConventions.marketplaceResourceId
        let result = try await env.tokenIssuer.issue(ClientCredentialsRequest(
            tenant: tenantId, version: version, grantType: "client_credentials", clientId: clientId, clientSecret: secret,
            resource: version == .v1 ? resource : nil, scope: version == .v2 ? "\(resource)/.default" : nil), context: .system)
        return try result.get().accessToken
    }
}
