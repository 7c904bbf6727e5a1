import ArgumentParser
import Foundation
import MercatoApp
import MercatoCore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the RS256 keys that sign access tokens (published as JWKS).",
        subcommands: [List.self, Rotate.self, Retire.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys: the newest active key signs; active keys verify.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let keys = try await withEnvironment(try storage.configuration(), quiet: true) { env in
                _ = try await env.signingKeys.jwks() // creates the first key if there is none
                return try await env.signingKeys.keys()
            }
            let signing = keys.last(where: { $0.retiredAt == nil })?.kid
            for key in keys {
                let state = key.retiredAt != nil ? "retired \(key.retiredAt!)" : (key.kid == signing ? "signing" : "verifying")
                print("\(key.kid)  created \(key.createdAt)  \(state)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new signing key. Older keys keep validating tokens until retired.",
            discussion: "Running servers pick the new key up within a minute, or at once when they meet its kid.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let kid = try await withEnvironment(try storage.configuration(), quiet: true) { env in
                try await env.signingKeys.rotate(context: .cli("keys rotate"))
            }
            print("new signing key \(kid)")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retire a key: tokens it signed stop validating and it leaves the JWKS.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "The kid to retire.") var kid: String

        func run() async throws {
            do {
                try await withEnvironment(try storage.configuration(), quiet: true) { env in
                    try await env.signingKeys.retire(kid: kid, context: .cli("keys retire"))
                }
            } catch let error as DomainError {
                throw ValidationError(error.description)
            }
            print("retired \(kid)")
        }
    }
}

struct Tls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls", abstract: "Local HTTPS for clients that refuse plain HTTP (azure-identity).",
        subcommands: [Init.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a local CA and a server certificate signed by it.",
            discussion: """
            Writes ca.pem, ca-key.pem, server.pem and server-key.pem. Then:
              mercato serve --port 8443 --tls-cert DIR/server.pem --tls-key DIR/server-key.pem
            and point clients at DIR/ca.pem (e.g. connection_verify=, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).
            """)
        @Option(help: "Directory for the files.") var dir = "./mercato-tls"
        @Option(name: .customLong("name"), help: "A DNS name or IP address for the server certificate (repeatable).")
        var names: [String] = ["localhost", "127.0.0.1", "::1"]

        func run() async throws {
            let files = try LocalCertificateAuthorityCommand.generate(dir: dir, names: names)
            print("""
            CA certificate      \(files.caCertificate)   (give this to clients)
            CA key              \(files.caKey)
            server certificate  \(files.serverCertificate)
            server key          \(files.serverKey)
            names               \(names.joined(separator: ", "))
            """)
        }
    }
}
