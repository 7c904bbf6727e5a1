import Foundation
import Logging
import MercatoAuth
import MercatoCore
import MercatoJobs
import MercatoStorage
import AsyncHTTPClient
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
    public let catalog: CatalogService
    public let publishingWorker: PublishingWorker
    public let subscriptions: SubscriptionService
    public let lifecycleWorker: LifecycleWorker
    public let clockService: ClockService?
    public let faults: SQLFaultRepository
    public let webhooks: SQLWebhookRepository
    public let webhookDispatcher: WebhookDispatcher
    public let metering: MeteringService
    public let usage: SQLUsageRepository
    public let managedApplications: ManagedApplicationService
    public let anomalies: AnomalyService
    public let billing: BillingService
    public let privateOffers: PrivateOfferService
    public let payouts: PayoutService
    public let billingScheduler: BillingScheduler
    public let customerSignIn: PasswordSignIn
    public let publisherSignIn: PasswordSignIn
    public let leads: LeadService
    public let leadDispatcher: LeadDispatcher
    public var payoutReports: PayoutReports { PayoutReports(billing: billing.repository, payouts: payouts.repository) }
    let httpClient: HTTPClient

    public init(configuration: MercatoConfiguration, logger: Logger, db: Database, clock: any MarketplaceClock,
                tokenClock: any MarketplaceClock = SystemClock(), ids: any IDGenerator, metrics: PrometheusCollectorRegistry,
                probe: (any URLProbe)? = nil, transport: (any WebhookTransport)? = nil) {
        let httpClient = HTTPWebhookTransport.makeClient()
        self.httpClient = httpClient
        let probe = probe ?? HTTPURLProbe(client: httpClient)
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
        let catalog = CatalogService(repository: SQLCatalogRepository(db: db, audit: audit), accounts: accounts, clock: clock, ids: ids, probe: probe)
        self.catalog = catalog
        self.publishingWorker = PublishingWorker(catalog: catalog, logger: logger)
        let privateOfferRepository = SQLPrivateOfferRepository(db: db, audit: audit)
        self.privateOffers = PrivateOfferService(repository: privateOfferRepository, catalog: catalog.repository, clock: clock, ids: ids,
                                                 policy: configuration.rolePolicy)
        let subscriptions = SubscriptionService(repository: SQLSubscriptionRepository(db: db, audit: audit), catalog: catalog.repository,
                                                accounts: repository, clock: clock, ids: ids, digest: SHA256Hex.digest, privateOffers: privateOfferRepository)
        self.subscriptions = subscriptions
        let auditLog = self.audit
        let anomalyRepository = SQLAnomalyRepository(db: db, audit: auditLog)
        let managedApplications = SQLManagedApplicationRepository(db: db, audit: auditLog)
        let billing = BillingService(repository: SQLBillingRepository(db: db), subscriptions: subscriptions.repository, catalog: catalog.repository,
                                     anomalies: anomalyRepository, privateOffers: privateOfferRepository, managedApplications: managedApplications,
                                     clock: clock, digest: SHA256Hex.digest)
        self.billing = billing
        let payouts = PayoutService(repository: SQLPayoutRepository(db: db, audit: auditLog), clock: clock, ids: ids, digest: SHA256Hex.digest)
        self.payouts = payouts
        let scheduler = BillingScheduler(billing: billing, payouts: payouts)
        self.billingScheduler = scheduler
        var clockService: ClockService?
        if let traveling = clock as? any TravelingClock {
            clockService = ClockService(clock: traveling, store: SQLClockStore(db: db, audit: auditLog), subscriptions: subscriptions, scheduled: scheduler)
        }
        self.clockService = clockService
        let faults = SQLFaultRepository(db: db, audit: audit)
        self.faults = faults
        let webhooks = SQLWebhookRepository(db: db, audit: audit)
        self.webhooks = webhooks
        let usage = SQLUsageRepository(db: db)
        self.usage = usage
        self.managedApplications = ManagedApplicationService(repository: managedApplications, catalog: catalog.repository, clock: clock, ids: ids,
                                                             digest: SHA256Hex.digest)
        self.metering = MeteringService(usage: usage, subscriptions: subscriptions.repository, catalog: catalog.repository,
                                        clock: clock, ids: ids, digest: SHA256Hex.digest, managedApplications: managedApplications)
        let anomalies = AnomalyService(anomalies: anomalyRepository, usage: usage, catalog: catalog.repository, clock: clock, ids: ids)
        self.anomalies = anomalies
        self.lifecycleWorker = LifecycleWorker(subscriptions: subscriptions, clock: clockService, anomalies: anomalies, scheduled: scheduler, logger: logger)
        let webSessions = SQLWebSessionRepository(db: db, audit: auditLog)
        let passwordHasher = PasswordHasher(rounds: configuration.passwordRounds, ids: ids)
        self.customerSignIn = .customers(accounts: repository, sessions: webSessions, passwords: passwordHasher, ids: ids, digest: SHA256Hex.digest)
        self.publisherSignIn = .publishers(accounts: repository, sessions: webSessions, passwords: passwordHasher, ids: ids, digest: SHA256Hex.digest)
        let leadRepository = SQLLeadRepository(db: db)
        self.leads = LeadService(repository: leadRepository, catalog: catalog.repository, clock: clock, ids: ids)
        self.leadDispatcher = LeadDispatcher(leads: leadRepository, transport: transport ?? HTTPWebhookTransport(client: httpClient),
                                             sandbox: configuration.sandbox, logger: logger)
        self.webhookDispatcher = WebhookDispatcher(webhooks: webhooks, subscriptions: subscriptions, keys: keys, faults: faults,
                                                   transport: transport ?? HTTPWebhookTransport(client: httpClient), tokenClock: tokenClock, logger: logger)
    }

    /// Opens the database, applies pending migrations and wires the services.
    public static func open(
        _ configuration: MercatoConfiguration, logger: Logger? = nil,
        clock: any MarketplaceClock = AdjustableClock(), tokenClock: any MarketplaceClock = SystemClock(),
        ids: any IDGenerator = SystemIDGenerator(), probe: (any URLProbe)? = nil, transport: (any WebhookTransport)? = nil,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) async throws -> MercatoEnvironment {
        let logger = logger ?? {
            var l = Logger(label: "mercato")
            l.logLevel = configuration.logLevel
            return l
        }()
        let db = try await Database.open(configuration.database, logger: logger)
        do {
            try await Migrator.migrate(db, logger: logger)
        } catch {
            try? await db.close()
            throw error
        }
        let env = MercatoEnvironment(configuration: configuration, logger: logger, db: db, clock: clock, tokenClock: tokenClock, ids: ids, metrics: metrics, probe: probe, transport: transport)
        try await env.clockService?.sync() // adopt the shared marketplace clock
        return env
    }

    public func close() async throws {
        try? await httpClient.shutdown()
        try await db.close()
    }
}
