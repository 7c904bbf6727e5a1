import ArgumentParser
import Foundation
import MercatoApp
import MercatoAuth
import MercatoCore

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue an access token for an API application (client credentials), as the token endpoint would.",
        discussion: "Prints the bearer token alone, for scripts: curl -H \"Authorization: Bearer $(mercato token ...)\".")

    @OptionGroup var storage: StorageOptions
    @Option(help: "Tenant ID of the application.") var tenant: String
    @Option(help: "Client (application) ID.") var clientId: String
    @Option(help: "Client secret. [env: MERCATO_CLIENT_SECRET]") var clientSecret: String?
    @Flag(help: "Issue a v1 token (resource=) instead of v2 (scope=.../.default).") var v1 = false

    func run() async throws {
        guard let secret = clientSecret ?? ProcessInfo.processInfo.environment["MERCATO_CLIENT_SECRET"] else {
            throw ValidationError("--client-secret or MERCATO_CLIENT_SECRET is required")
        }
        let resource = EntraConventions.marketplaceResourceId
        let request = ClientCredentialsRequest(
            tenant: tenant, version: v1 ? .v1 : .v2, grantType: "client_credentials", clientId: clientId, clientSecret: secret,
            resource: v1 ? resource : nil, scope: v1 ? nil : "\(resource)/.default")
        let result = try await withEnvironment(try storage.configuration(), quiet: true) { env in
            try await env.tokenIssuer.issue(request, context: .cli("token"))
        }
        switch result {
        case let .success(token):
            print(token.accessToken)
        case let .failure(error):
            throw ValidationError("\(error.error): AADSTS\(error.code): \(error.description)")
        }
    }
}
