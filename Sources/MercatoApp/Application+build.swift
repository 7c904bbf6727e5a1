import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Logging
import MercatoAPI
import MercatoCore
import MercatoWeb

/// The one composition root (ARCHITECTURE rule 2): `mercato serve` and the tests both build the application here.
public func buildRouter(environment env: MercatoEnvironment) -> Router<MercatoRequestContext> {
    let router = Router(context: MercatoRequestContext.self)
    router.add(middleware: RequestIDMiddleware(ids: env.ids))
    router.add(middleware: MetricsMiddleware())
    HealthController(db: env.db).addRoutes(to: router)
    if env.configuration.benchRoutes {
        router.get("/bench/bare") { _, _ in "ok" }
        // The POST twin reads its body the way the usage routes do (same 1 MiB bound), so bench/run can show what
        // the framework alone costs for a request the size and shape of a usage event.
        router.post("/bench/bare") { request, _ in
            _ = try await request.body.collect(upTo: 1 << 20)
            return "ok"
        }
    }
    MetricsController(registry: env.metrics, token: env.configuration.metricsToken).addRoutes(to: router)
    EntraTokenController(issuer: env.tokenIssuer, keys: env.signingKeys, accounts: env.accounts, clock: env.tokenClock,
                         baseURL: env.configuration.baseURL).addRoutes(to: router)
    let faultMiddleware = FaultInjectionMiddleware(faults: env.faults, ids: env.ids)
    let api = router.group("api").add(middleware: MarketplaceAuthMiddleware(validator: env.tokenValidator)).add(middleware: faultMiddleware)
    let partner = api.group("partner/v1")
    PartnerAccountController(accounts: env.accounts, audit: env.audit).addRoutes(to: partner)
    PartnerOffersController(catalog: env.catalog, baseURL: env.configuration.baseURL).addRoutes(to: partner)
    FulfillmentController(subscriptions: env.subscriptions, baseURL: env.configuration.baseURL).addRoutes(to: api)
    MeteringController(metering: env.metering).addRoutes(to: api)
    AnomalyController(service: env.anomalies, sandbox: env.configuration.sandbox).addRoutes(partner: partner, api: api)
    PrivateOfferController(service: env.privateOffers, sandbox: env.configuration.sandbox).addRoutes(partner: partner, api: api)
    ManagedApplicationController(service: env.managedApplications, policy: env.configuration.rolePolicy, sandbox: env.configuration.sandbox)
        .addRoutes(partner: partner, api: api)
    let pages = try? PageRenderer()
    if let pages {
        let security = WebSecurity(signIn: env.customerSignIn, secureCookies: env.configuration.baseURL.lowercased().hasPrefix("https://"), ids: env.ids)
        StorefrontController(catalog: env.catalog.repository, clock: env.clock, pages: pages, security: security).addRoutes(to: router)
        let portalSecurity = WebSecurity(signIn: env.publisherSignIn, secureCookies: security.secureCookies, ids: env.ids)
        let services = PortalServices(accounts: env.accounts, catalog: env.catalog, privateOffers: env.privateOffers, subscriptions: env.subscriptions,
                                      webhooks: env.webhooks, faults: env.faults, onFaultsChanged: { faultMiddleware.invalidate() },
                                      clockService: env.clockService, billing: env.billing, payouts: env.payouts, reports: env.payoutReports,
                                      anomalies: env.anomalies, usage: env.usage, leads: env.leads, sandbox: env.configuration.sandbox)
        PortalController(security: portalSecurity, services: services, pages: pages).addRoutes(to: router)
        CustomerController(security: security, catalog: env.catalog.repository, subscriptions: env.subscriptions, leads: env.leads,
                           invoices: env.billing.repository, clock: env.clock, pages: pages).addRoutes(to: router)
    }
    LeadController(leads: env.leads, policy: env.configuration.rolePolicy).addRoutes(to: partner)
    BillingController(billing: env.billing, payouts: env.payouts, reports: env.payoutReports, scheduler: env.billingScheduler,
                      policy: env.configuration.rolePolicy, sandbox: env.configuration.sandbox,
                      renderInvoice: { invoice in pages?.invoice(InvoicePage(invoice)) ?? "" }).addRoutes(partner: partner, api: api)
    AdminController(clock: env.clockService, faults: env.faults, webhooks: env.webhooks, subscriptions: env.subscriptions,
                    policy: env.configuration.rolePolicy, sandbox: env.configuration.sandbox,
                    onFaultsChanged: { faultMiddleware.invalidate() }).addRoutes(to: api)
    return router
}

public func buildApplication(environment env: MercatoEnvironment) throws -> some ApplicationProtocol {
    let configuration = ApplicationConfiguration(
        address: .hostname(env.configuration.host, port: env.configuration.port), serverName: "mercato")
    var server: HTTPServerBuilder = .http1()
    if let cert = env.configuration.tlsCertificatePath, let key = env.configuration.tlsKeyPath {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        tls.minimumTLSVersion = .tlsv12 // spec-saas §1.1: TLS 1.2 minimum
        server = try .tls(.http1(), tlsConfiguration: tls)
    }
    return Application(router: buildRouter(environment: env), server: server, configuration: configuration,
                       services: env.configuration.runWorkers ? [env.publishingWorker, env.lifecycleWorker, env.webhookDispatcher, env.leadDispatcher] : [], logger: env.logger)
}
