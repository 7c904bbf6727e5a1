import ArgumentParser
import Foundation
import Logging
import MercatoApp
import MercatoCore
import Metrics
import Prometheus

@main
struct Mercato: AsyncParsableCommand {
    static func main() async {
        // Logs go to standard error, so `--json` output on standard output stays machine-readable.
        LoggingSystem.bootstrap { StandardErrorLogHandler(label: $0) }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "mercato",
        abstract: "A self-hostable commercial marketplace that speaks Microsoft's marketplace APIs.",
        discussion: """
        Every command uses the same database as `serve` by default (./mercato.sqlite, or MERCATO_DATABASE_URL).
        Settings resolve flag > environment (MERCATO_*) > default.
        """,
        subcommands: [Serve.self, Migrate.self, Demo.self, PurchaseCommand.self, Clock.self, BillingCommand.self, Faults.self, Webhooks.self, Audit.self, Keys.self, Tls.self, Token.self, BenchCommand.self]
    )
}

/// Options shared by every command that opens the database.
struct StorageOptions: ParsableArguments {
    @Option(help: "SQLite file path or postgres:// URL. [env: MERCATO_DATABASE_URL, default: ./mercato.sqlite]")
    var database: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. [env: MERCATO_LOG_LEVEL, default: info]")
    var logLevel: String?
}

struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on. [env: MERCATO_HOST, default: 127.0.0.1]")
    var host: String?

    @Option(help: "Port to listen on. [env: MERCATO_PORT, default: 8080]")
    var port: Int?

    @Option(help: "Public base URL of this server. [env: MERCATO_BASE_URL, default: http://HOST:PORT]")
    var baseUrl: String?
}

extension StorageOptions {
    func configuration(server: ServerOptions? = nil, metricsToken: String? = nil, tlsCert: String? = nil, tlsKey: String? = nil) throws -> MercatoConfiguration {
        do {
            return try MercatoConfiguration.resolve(
                host: server?.host, port: server?.port, database: database, baseURL: server?.baseUrl,
                logLevel: logLevel, metricsToken: metricsToken, tlsCertificate: tlsCert, tlsKey: tlsKey)
        } catch let error as DomainError {
            throw ValidationError(error.description)
        }
    }
}

/// Opens the environment, runs `body`, and closes it whatever happens.
func withEnvironment<R>(_ configuration: MercatoConfiguration, quiet: Bool = false, _ body: (MercatoEnvironment) async throws -> R) async throws -> R {
    var logger = Logger(label: "mercato")
    logger.logLevel = quiet ? max(configuration.logLevel, .warning) : configuration.logLevel
    let env = try await MercatoEnvironment.open(configuration, logger: logger)
    do {
        let result = try await body(env)
        try await env.close()
        return result
    } catch {
        try? await env.close()
        throw error
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
