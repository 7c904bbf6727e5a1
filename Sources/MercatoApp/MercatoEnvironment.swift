import Foundation
import Logging
import MercatoAuth
import MercatoCore
import MercatoStorage
import Prometheus

/// Everything a running Mercato holds: the database and the services over it. Built once per process by the CLI
/// and once per test by the tests, from a configuration (ARCHITECTURE rule 2).
public final class MercatoEnvironment: Sendable {
    public let configuration: MercatoConfiguration
    public let logger: Logger
    public let db: Database
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let audit: SQLAuditLog
    public let accounts: AccountService
    public let metrics: PrometheusCollectorRegistry
    /// Wall-clock time for tokens: tokens are checked by other parties' clocks, so they never time-travel.
    public let tokenClock: any MarketplaceClock
    public let signingKeys: SigningKeyService
    public let tokenIssuer: TokenIssuer
    public let tokenValidator: TokenValidator

    public init(configuration: MercatoConfiguration, logger: Logger, db: Database, clock: any MarketplaceClock,
                tokenClock: any MarketplaceClock = SystemClock(), ids: any IDGenerator, metrics: PrometheusCollectorRegistry) {
        self.configuration = configuration
        self.logger = logger
        self.db = db
        self.clock = clock
        self.ids = ids
        self.metrics = metrics
        self.audit = SQLAuditLog(db: db, chain: AuditChain(digest: SHA256Hex.digest))
        let repository = SQLAccountRepository(db: db, audit: audit)
        let accounts = AccountService(repository: repository, clock: clock, ids: ids,
                                      hasher: SaltedSecretHasher(ids: ids), policy: configuration.rolePolicy)
        self.accounts = accounts
        self.tokenClock = tokenClock
        let keys = SigningKeyService(repository: SQLSigningKeyRepository(db: db, audit: audit), clock: tokenClock, ids: ids)
        self.signingKeys = keys
        self.tokenIssuer = TokenIssuer(accounts: accounts, keys: keys, clock: tokenClock, ids: ids, audit: audit, digest: SHA256Hex.digest)
        self.tokenValidator = TokenValidator(keys: keys, accounts: accounts, clock: tokenClock)
    }

    /// Opens the database, applies pending migrations and wires the services.
    public static func open(
        _ configuration: MercatoConfiguration, logger: Logger? = nil,
        clock: any MarketplaceClock = AdjustableClock(), tokenClock: any MarketplaceClock = SystemClock(),
        ids: any IDGenerator = SystemIDGenerator(),
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) async throws -> MercatoEnvironment {
        var logger = logger ?? Logger(label: "mercato")
        logger.logLevel = configuration.logLevel
        let db = try await Database.open(configuration.database, logger: logger)
        do {
            try await Migrator.migrate(db, logger: logger)
        } catch {
            try? await db.close()
            throw error
        }
        return MercatoEnvironment(configuration: configuration, logger: logger, db: db, clock: clock, tokenClock: tokenClock, ids: ids, metrics: metrics)
    }

    public func close() async throws {
        try await db.close()
    }
}
