import Foundation
import Logging
import MercatoCore
import MercatoStorage

/// Every setting of `mercato`, with its default. Resolution order: flag > environment (`MERCATO_*`) > default.
public struct MercatoConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    /// The public base URL (for links, `@nextLink`, token issuers). Defaults to http://host:port.
    public var baseURL: String
    public var logLevel: Logger.Level
    /// When set, `/metrics` requires `Authorization: Bearer <token>`.
    public var metricsToken: String?
    public var rolePolicy: RolePolicy
    /// PEM certificate chain and key: when both are set, `serve` speaks HTTPS only (TLS 1.2 minimum, spec-saas §1.1).
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?

    public var usesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }
    /// Whether `serve` runs the background workers (publishing, subscription lifecycle). A replica may serve HTTP
    /// only; tests drive the workers by hand.
    public var runWorkers: Bool = true
    /// Sandbox mode: time travel, payment simulation and fault injection are available (issue 6). Turn it off for a
    /// marketplace that bills for real.
    public var sandbox: Bool = true
    /// `GET /bench/bare` and `POST /bench/bare` (a constant 200 with no auth, no database; the POST reads its body):
    /// the baselines of `bench/run`. Off by default.
    public var benchRoutes: Bool = false
    /// PBKDF2 rounds for customer passwords (stored with each hash; tests lower it).
    public var passwordRounds: Int = 210_000

    public init(
        host: String = "127.0.0.1", port: Int = 8080, database: DatabaseLocation = .sqlite(path: DatabaseLocation.defaultSQLitePath),
        baseURL: String? = nil, logLevel: Logger.Level = .info, metricsToken: String? = nil, rolePolicy: RolePolicy = .default,
        tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        let scheme = tlsCertificatePath != nil && tlsKeyPath != nil ? "https" : "http"
        self.baseURL = baseURL ?? "\(scheme)://\(host):\(port)"
        self.logLevel = logLevel
        self.metricsToken = metricsToken
        self.rolePolicy = rolePolicy
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
    }

    /// The documented keys: (flag, environment variable, default, meaning). README's config table lists these.
    public static let keys: [(flag: String, env: String, defaultValue: String, meaning: String)] = [
        ("--host", "MERCATO_HOST", "127.0.0.1", "address to listen on"),
        ("--port", "MERCATO_PORT", "8080", "TCP port to listen on"),
        ("--database", "MERCATO_DATABASE_URL", "./mercato.sqlite", "SQLite file path, or postgres://user:pass@host:5432/db"),
        ("--base-url", "MERCATO_BASE_URL", "http(s)://HOST:PORT", "public URL of this server (links, token endpoints)"),
        ("--tls-cert", "MERCATO_TLS_CERT", "(none: plain HTTP)", "PEM certificate chain; with --tls-key, serve HTTPS only"),
        ("--tls-key", "MERCATO_TLS_KEY", "(none)", "PEM private key of --tls-cert"),
        ("--log-level", "MERCATO_LOG_LEVEL", "info", "trace, debug, info, notice, warning, error, critical"),
        ("--metrics-token", "MERCATO_METRICS_TOKEN", "(none: /metrics open)", "bearer token required by /metrics"),
        ("--contributor-roles", "MERCATO_CONTRIBUTOR_ROLES", "false", "give Business/Financial contributor and Marketer their '(if enabled)' grants"),
        ("--no-workers", "MERCATO_WORKERS", "true", "run the background workers (publishing, subscription lifecycle) in this process"),
        ("—", "MERCATO_BENCH_ROUTES", "false", "serve GET and POST /bench/bare, the benchmark's bare baseline routes"),
        ("—", "MERCATO_PASSWORD_ROUNDS", "210000", "PBKDF2-SHA256 rounds for new customer password hashes (at least 1000)"),
        ("—", "MERCATO_SANDBOX", "true", "sandbox mode: time travel, payment simulation and fault injection via /api/admin and the CLI"),
    ]

    /// Resolves a configuration from optional flag values and an environment.
    public static func resolve(
        host: String? = nil, port: Int? = nil, database: String? = nil, baseURL: String? = nil,
        logLevel: String? = nil, metricsToken: String? = nil, contributorRoles: Bool? = nil,
        tlsCertificate: String? = nil, tlsKey: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> MercatoConfiguration {
        func env(_ key: String) -> String? {
            guard let v = environment[key], !v.isEmpty else { return nil }
            return v
        }
        /// A yes/no variable: 1/true/yes/on or 0/false/no/off; anything else is an error, not a silent default.
        func flag(_ key: String) throws -> Bool? {
            try env(key).map { value in
                switch value.lowercased() {
                case "1", "true", "yes", "on": return true
                case "0", "false", "no", "off": return false
                default: throw DomainError.invalid(field: key, reason: "'\(value)' is not true or false")
                }
            }
        }
        let host = host ?? env("MERCATO_HOST") ?? "127.0.0.1"
        let portValue: Int
        if let port { portValue = port } else if let p = env("MERCATO_PORT") {
            guard let parsed = Int(p) else { throw DomainError.invalid(field: "MERCATO_PORT", reason: "'\(p)' is not a port number") }
            portValue = parsed
        } else { portValue = 8080 }
        guard (0...65535).contains(portValue) else { throw DomainError.invalid(field: "port", reason: "\(portValue) is not in 0...65535") }
        let location = try DatabaseLocation(database ?? env("MERCATO_DATABASE_URL") ?? DatabaseLocation.defaultSQLitePath)
        let levelName = logLevel ?? env("MERCATO_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            throw DomainError.invalid(field: "log-level", reason: "'\(levelName)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        let contributor = try contributorRoles ?? flag("MERCATO_CONTRIBUTOR_ROLES") ?? false
        let cert = tlsCertificate ?? env("MERCATO_TLS_CERT")
        let key = tlsKey ?? env("MERCATO_TLS_KEY")
        guard (cert == nil) == (key == nil) else {
            throw DomainError.invalid(field: "tls", reason: "--tls-cert and --tls-key must be given together")
        }
        for path in [cert, key].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw DomainError.invalid(field: "tls", reason: "cannot read \(path)")
        }
        var base = baseURL ?? env("MERCATO_BASE_URL") ?? "\(cert != nil ? "https" : "http")://\(host):\(portValue)"
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw DomainError.invalid(field: "base-url", reason: "'\(base)' is not an http(s) URL")
        }
        let workers = try flag("MERCATO_WORKERS") ?? true
        var configuration = MercatoConfiguration(host: host, port: portValue, database: location, baseURL: base, logLevel: level,
                                    metricsToken: metricsToken ?? env("MERCATO_METRICS_TOKEN"),
                                    rolePolicy: RolePolicy(contributorRolesEnabled: contributor),
                                    tlsCertificatePath: cert, tlsKeyPath: key)
        configuration.runWorkers = workers
        configuration.sandbox = try flag("MERCATO_SANDBOX") ?? true
        if let rounds = env("MERCATO_PASSWORD_ROUNDS") {
            guard let n = Int(rounds), n >= 1000, n <= 10_000_000 else {
                throw DomainError.invalid(field: "MERCATO_PASSWORD_ROUNDS", reason: "'\(rounds)' is not a whole number from 1000 to 10000000")
            }
            configuration.passwordRounds = n
        }
        configuration.benchRoutes = try flag("MERCATO_BENCH_ROUTES") ?? false
        return configuration
    }
}
