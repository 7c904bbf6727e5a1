import ArgumentParser
import Foundation
import MercatoApp

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create (idempotently) a demo publisher with an API application, and print its credentials.",
        discussion: "Each run issues a fresh client secret; the previous one stays valid until the next run.")

    @OptionGroup var storage: StorageOptions
    @OptionGroup var server: ServerOptions

    @Flag(help: "Print one JSON object (publisherId, tenantId, clientId, clientSecret, baseUrl, ...).")
    var json = false

    @Option(help: "Base URL of the sample publisher app (examples/publisher-app): the demo offer's landing page and webhook. [default: http://127.0.0.1:8081]")
    var sampleAppUrl: String?

    @Option(help: "HTTPS endpoint that receives the demo offer's leads (spec-portal §7.4; http on loopback in sandbox mode).")
    var leadEndpoint: String?

    func run() async throws {
        let configuration = try storage.configuration(server: server)
        let result = try await withEnvironment(configuration, quiet: true) { env in
            try await DemoSeeder(environment: env, sampleAppURL: sampleAppUrl, leadEndpointURL: leadEndpoint).run()
        }
        if json {
            try printJSON(result)
        } else {
            print("""
            Demo publisher \(result.publisherId) \(result.created ? "created" : "already present") in \(configuration.database)
              seller ID      \(result.sellerId)
              owner          \(result.ownerEmail)
              tenant ID      \(result.tenantId)
              client ID      \(result.clientId)
              client secret  \(result.clientSecret)   (shown once; run `mercato demo` again for a new one)
              base URL       \(result.baseUrl)
            Storefront customer \(result.customerEmail), password \(result.customerPassword)   (new on every run)
            Publisher portal \(result.baseUrl)/portal: owner@, admin@, manager@, dev@contoso.example, password \(result.publisherPassword)   (new on every run)
            """)
            for warning in result.warnings { print("warning: \(warning)") }
        }
    }
}
