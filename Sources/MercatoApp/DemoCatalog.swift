import Foundation
import MercatoCore

/// The demo's live SaaS offer: a flat-rate plan with a metered dimension and included quantities, a per-user plan
/// with a free trial, and a private plan for the demo customer's tenant. A sandbox offer, pointed at the sample
/// publisher app on 127.0.0.1:8081 (issue 9).
public enum DemoCatalog {
    public static let offerId = "contoso-analytics"
    public static let customerTenantId = "6a1b5a0e-3f2d-4c5e-9a7b-1c2d3e4f5a6b"
    static let customerEmail = "buyer@northwind.example"
    public static let sampleAppURL = "http://127.0.0.1:8081"

    static func usd(_ s: String) -> Money { Money(Decimal(string: s)!, "USD") }

    public static func offer(tenantId: String, appId: String, sampleAppURL: String = sampleAppURL, leadEndpointURL: String? = nil) -> Offer {
        let markets = ["US", "CA", "GB", "DE", "FR", "JP"]
        return Offer(
            id: offerId, type: .saas, alias: "Contoso Analytics", isSandbox: true,
            setup: OfferSetup(listingOption: .transact, leadEndpointURL: leadEndpointURL),
            properties: OfferProperties(categories: [
                CategorySelection(store: .azureMarketplace, category: "analytics", subcategories: ["data-analytics", "big-data"]),
                CategorySelection(store: .appSource, category: "analytics", subcategories: ["visualization-reporting"]),
            ], industries: [IndustrySelection(industry: "RetailandConsumerGoods", verticals: ["Retailers"])]),
            listing: OfferListing(
                name: "Contoso Analytics", summary: "Dashboards and alerts for your sales data, in minutes.",
                description: "<p><b>Contoso Analytics</b> turns your sales data into dashboards.</p><ul><li>Connect your store</li><li>Get alerts</li><li>Share reports</li></ul>",
                gettingStartedInstructions: "After purchase, select Configure account and sign in with your work account.",
                keywords: ["analytics", "dashboards", "reporting"], privacyPolicyURL: "https://contoso.example/privacy",
                usefulLinks: [Link(title: "Documentation", url: "https://contoso.example/docs")],
                supportContact: Contact(name: "Contoso Support", email: "support@contoso.example", phone: "+1 425 555 0100", url: "https://contoso.example/support"),
                engineeringContact: Contact(name: "Contoso Engineering", email: "eng@contoso.example", phone: "+1 425 555 0101"),
                supportingDocuments: [Document(name: "Product overview", fileName: "overview.pdf")],
                largeLogo: Image(fileName: "logo.png", width: 300, height: 300),
                screenshots: [Screenshot(image: Image(fileName: "dashboard.png", width: 1280, height: 720), caption: "The sales dashboard")]),
            previewAudience: [AudienceMember(id: "owner@contoso.example", description: "Contoso owner"), AudienceMember(id: customerEmail)],
            technicalConfiguration: TechnicalConfiguration(landingPageURL: "\(sampleAppURL)/landing", connectionWebhookURL: "\(sampleAppURL)/webhook",
                                                           aadTenantId: tenantId, aadAppId: appId),
            dimensions: [MeteredDimension(id: "emails", displayName: "Emails sent", unitOfMeasure: "per email")],
            plans: [
                Plan(id: "silver", name: "Silver", description: "Flat monthly or annual fee with 1,000 emails a month included.",
                     markets: markets, pricing: .flatRate,
                     billingTerms: [BillingTerm(termUnit: .P1M, price: usd("49.00")), BillingTerm(termUnit: .P1Y, price: usd("470.00"))],
                     dimensions: [PlanDimension(dimensionId: "emails", pricePerUnit: usd("0.01"), includedMonthly: .quantity(1000), includedAnnual: .quantity(12000))]),
                Plan(id: "gold", name: "Gold", description: "Flat fee with 10,000 emails a month included.",
                     markets: markets, pricing: .flatRate,
                     billingTerms: [BillingTerm(termUnit: .P1M, price: usd("99.00")), BillingTerm(termUnit: .P1Y, price: usd("950.00"))],
                     dimensions: [PlanDimension(dimensionId: "emails", pricePerUnit: usd("0.008"), includedMonthly: .quantity(10000), includedAnnual: .quantity(120000))]),
                Plan(id: "per-seat", name: "Team", description: "Per-user pricing with a one-month free trial.",
                     markets: markets, pricing: .perUser(min: 1, max: 500),
                     billingTerms: [BillingTerm(termUnit: .P1M, price: usd("10.00")), BillingTerm(termUnit: .P1Y, price: usd("100.00"))],
                     freeTrial: true),
                Plan(id: "team-pro", name: "Team Pro", description: "Per-user pricing with priority support, 5 to 1,000 users.",
                     markets: markets, pricing: .perUser(min: 5, max: 1000),
                     billingTerms: [BillingTerm(termUnit: .P1M, price: usd("15.00")), BillingTerm(termUnit: .P1Y, price: usd("150.00"))]),
                Plan(id: "northwind-private", name: "Northwind Enterprise", description: "Private plan negotiated with Northwind.",
                     visibility: .private, privateAudience: [AudienceMember(id: customerTenantId, description: "Northwind Traders")],
                     markets: ["US"], pricing: .flatRate,
                     billingTerms: [BillingTerm(termUnit: .P1Y, paymentOption: .monthly, price: usd("4000.00"))]),
            ])
    }

    /// A probe that accepts the sandbox loopback URLs without calling them (the sample app may not be running).
    struct DemoProbe: URLProbe {
        func problem(reaching url: String, method: String) async -> String? { nil }
    }

    /// Creates the offer if missing and walks it to Live; leaves a live offer alone.
    static func ensureLive(_ env: MercatoEnvironment, owner: Principal, tenantId: String, appId: String, sampleAppURL: String = sampleAppURL,
                           leadEndpointURL: String? = nil) async throws -> Offer {
        let catalog = CatalogService(repository: env.catalog.repository, accounts: env.accounts, clock: env.clock, ids: env.ids, probe: DemoProbe())
        let context = AuditContext.cli("demo")
        if try await catalog.repository.offer(publisherId: owner.publisherId!, offerId: offerId) == nil {
            _ = try await catalog.create(by: owner, publisherId: owner.publisherId!, offer: offer(tenantId: tenantId, appId: appId, sampleAppURL: sampleAppURL,
                                                                                                      leadEndpointURL: leadEndpointURL), context: context)
        }
        for _ in 0..<6 {
            let record = try await catalog.offer(by: owner, publisherId: owner.publisherId!, offerId: offerId)
            switch record.state.status {
            case .live:
                return record.live!
            case .draft, .attentionNeeded, .notAvailable:
                _ = try await catalog.publish(by: owner, publisherId: owner.publisherId!, offerId: offerId, context: context)
            case .preview:
                _ = try await catalog.goLive(by: owner, publisherId: owner.publisherId!, offerId: offerId, context: context)
            case .publishInProgress, .pendingStopDistribution:
                break
            }
            for op in try await catalog.repository.operations(publisherId: owner.publisherId!, offerId: offerId)
            where op.status == .notStarted || op.status == .running {
                _ = try await catalog.process(op)
            }
        }
        throw DomainError.conflict(reason: "the demo offer did not reach Live")
    }
}
