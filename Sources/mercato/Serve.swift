import ArgumentParser
import Hummingbird
import Logging
import MercatoApp
import Metrics
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server (migrates the database first).",
        discussion: "Creates the SQLite file on first start. /health answers 200 when the database is reachable.")

    @OptionGroup var storage: StorageOptions
    @OptionGroup var server: ServerOptions

    @Option(help: "Bearer token required by /metrics. [env: MERCATO_METRICS_TOKEN, default: none]")
    var metricsToken: String?

    @Flag(help: "Don't run the background workers in this process (an HTTP-only replica). [env: MERCATO_WORKERS=false]")
    var noWorkers = false

    @Option(help: "PEM certificate chain; with --tls-key, serve HTTPS only (see `mercato tls init`). [env: MERCATO_TLS_CERT]")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert. [env: MERCATO_TLS_KEY]")
    var tlsKey: String?

    func run() async throws {
        var configuration = try storage.configuration(server: server, metricsToken: metricsToken, tlsCert: tlsCert, tlsKey: tlsKey)
        if noWorkers { configuration.runWorkers = false }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "mercato")
        logger.logLevel = configuration.logLevel
        let env = try await MercatoEnvironment.open(configuration, logger: logger, metrics: registry)
        do {
            try env.db.claimUsageWriter()
        } catch {
            try? await env.close()
            throw error
        }
        logger.info("starting", metadata: ["database": "\(configuration.database)", "baseURL": "\(configuration.baseURL)"])
        do {
            try await buildApplication(environment: env).runService()
        } catch {
            try? await env.close()
            throw error
        }
        try await env.close()
    }
}
