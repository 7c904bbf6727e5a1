import Foundation
import MercatoCore

/// `mercato demo`: a demo publisher with an API application, created idempotently. Each run issues a fresh client
/// secret (keeping the previous one valid, rotation with overlap) because stored secrets can't be shown again.
public struct DemoSeeder: Sendable {
    public static let publisherId = "contoso"
    public static let applicationName = "Contoso SaaS backend"

    public struct Result: Sendable, Codable, Equatable {
        public var publisherId: String
        public var sellerId: String
        public var tenantId: String
        public var clientId: String
        public var clientSecret: String
        public var baseUrl: String
        public var ownerEmail: String
        public var created: Bool
        public var warnings: [String]
        public var offerId: String
        public var plans: [DemoPlan]
        public var customerTenantId: String
        public var customerEmail: String
        /// A fresh storefront password for the demo customer on every run (shown once).
        public var customerPassword: String
        /// The portal password of every demo publisher user (owner@, admin@, manager@, dev@contoso.example).
        public var publisherPassword: String
    }

    public struct DemoPlan: Sendable, Codable, Equatable {
        public var planId: String
        public var pricingModel: String
        public var visibility: String
        public var freeTrial: Bool
        public var dimensions: [DemoDimension]?
    }

    public struct DemoDimension: Sendable, Codable, Equatable {
        public var id: String
        public var pricePerUnit: String
        public var includedMonthly: String
        public var includedAnnual: String
    }

    let env: MercatoEnvironment
    let sampleAppURL: String
    let leadEndpointURL: String?

    /// `sampleAppURL`: where the publisher app of examples/publisher-app listens (landing page and webhook);
    /// `leadEndpointURL`: the offer's HTTPS lead endpoint (spec-portal §7.4), if any. Both apply when the offer is created.
    public init(environment: MercatoEnvironment, sampleAppURL: String? = nil, leadEndpointURL: String? = nil) {
        self.env = environment
        self.sampleAppURL = sampleAppURL ?? DemoCatalog.sampleAppURL
        self.leadEndpointURL = leadEndpointURL
    }

    public func run() async throws -> Result {
        let accounts = env.accounts
        let context = AuditContext.cli("demo")
        var created = false
        if try await accounts.repository.publisher(id: Self.publisherId) == nil {
            let enrollment = try await accounts.enroll(
                publisherId: Self.publisherId, name: "Contoso Ltd.", ownerEmail: "owner@contoso.example",
                ownerName: "Olivia Owner", tenantName: "contoso.onmicrosoft.example", context: context)
            let owner = Principal(kind: .user, id: enrollment.owner.id, publisherId: Self.publisherId, roles: [.owner])
            _ = try await accounts.addUser(by: owner, publisherId: Self.publisherId, email: "admin@contoso.example",
                                           displayName: "Adam Admin", roles: [.owner], context: context)
            _ = try await accounts.addUser(by: owner, publisherId: Self.publisherId, email: "manager@contoso.example",
                                           displayName: "Maya Manager", roles: [.manager], context: context)
            _ = try await accounts.addUser(by: owner, publisherId: Self.publisherId, email: "dev@contoso.example",
                                           displayName: "Dev Developer", roles: [.developer], context: context)
            created = true
        }
        guard let publisher = try await accounts.repository.publisher(id: Self.publisherId),
              let owner = try await accounts.repository.user(publisherId: Self.publisherId, email: "owner@contoso.example")
        else { throw DomainError.notFound(kind: "publisher", id: Self.publisherId) }
        let actor = Principal(kind: .user, id: owner.id, publisherId: publisher.id, roles: [.owner])
        let issued: IssuedClientSecret
        if let app = try await accounts.repository.applications(publisherId: publisher.id).first(where: { $0.name == Self.applicationName }) {
            issued = try await accounts.addSecret(by: actor, clientId: app.clientId, keepLatest: 2, context: context)
        } else {
            issued = try await accounts.createApplication(by: actor, publisherId: publisher.id, name: Self.applicationName,
                                                          roles: [.manager], context: context)
        }
        let warnings = try await accounts.warnings(publisherId: publisher.id).map(\.message)
        if try await accounts.repository.customerUser(email: DemoCatalog.customerEmail) == nil {
            _ = try await accounts.registerCustomer(tenantId: DemoCatalog.customerTenantId, name: "Northwind Traders",
                                                    userEmail: DemoCatalog.customerEmail, userName: "Bea Buyer", context: context)
        }
        let customerPassword = env.ids.urlSafeToken(byteCount: 12)
        try await env.customerSignIn.setPassword(email: DemoCatalog.customerEmail, password: customerPassword, context: context, clock: env.clock)
        let publisherPassword = env.ids.urlSafeToken(byteCount: 12)
        for user in try await accounts.repository.users(publisherId: publisher.id) {
            try await env.publisherSignIn.setPassword(email: user.email, scope: publisher.id, password: publisherPassword, context: context, clock: env.clock)
        }
        let offer = try await DemoCatalog.ensureLive(env, owner: actor, tenantId: issued.application.tenantId, appId: issued.application.clientId,
                                                     sampleAppURL: sampleAppURL, leadEndpointURL: leadEndpointURL)
        func text(_ q: IncludedQuantity) -> String { if case let .quantity(n) = q { String(n) } else { "unlimited" } }
        let plans = offer.plans.map { plan in
            DemoPlan(planId: plan.id, pricingModel: plan.pricing.kind.rawValue, visibility: plan.visibility.rawValue, freeTrial: plan.freeTrial,
                     dimensions: plan.dimensions.isEmpty ? nil : plan.dimensions.map {
                         DemoDimension(id: $0.dimensionId, pricePerUnit: Currency.exact($0.pricePerUnit.amount, "USD"),
                                       includedMonthly: text($0.includedMonthly), includedAnnual: text($0.includedAnnual))
                     })
        }
        return Result(publisherId: publisher.id, sellerId: publisher.sellerId, tenantId: issued.application.tenantId,
                      clientId: issued.application.clientId, clientSecret: issued.secret,
                      baseUrl: env.configuration.baseURL, ownerEmail: owner.email, created: created, warnings: warnings,
                      offerId: offer.id, plans: plans, customerTenantId: DemoCatalog.customerTenantId, customerEmail: DemoCatalog.customerEmail,
                      customerPassword: customerPassword, publisherPassword: publisherPassword)
    }
}
