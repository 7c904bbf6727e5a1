import Foundation
import Testing
@testable import MercatoCore

@Suite("Price changes after publish (spec-portal §3.8)")
struct PriceChangeTests {
    static func date(_ s: String) -> Date { ISO8601DateFormatter().date(from: s)! }

    @Test("effective dates", arguments: [
        ("2026-03-10T12:00:00Z", ScheduledPriceChange.Direction.decrease, OfferType.saas, "2026-04-01T00:00:00Z"),
        ("2026-03-27T23:59:59Z", .decrease, .saas, "2026-04-01T00:00:00Z"),  // 4 days before month end: still next month
        ("2026-03-28T00:00:00Z", .decrease, .saas, "2026-05-01T00:00:00Z"),  // inside the 4-day cut-off
        ("2026-03-25T00:00:00Z", .decrease, .azureVirtualMachine, "2026-04-01T00:00:00Z"),
        ("2026-03-26T00:00:00Z", .decrease, .azureVirtualMachine, "2026-05-01T00:00:00Z"),  // VM: 6 days
        ("2026-03-18T00:00:00Z", .decrease, .azureManagedApplication, "2026-05-01T00:00:00Z"), // Azure app: 14 days
        ("2026-03-10T12:00:00Z", .increase, .saas, "2026-07-01T00:00:00Z"),  // ≥ 90 days: June 8 → July 1
        ("2026-01-01T00:00:00Z", .increase, .saas, "2026-04-01T00:00:00Z"),  // exactly 90 days later is April 1
    ])
    func effective(_ c: (String, ScheduledPriceChange.Direction, OfferType, String)) {
        #expect(PriceChangeRules.effectiveDate(c.1, publishedAt: Self.date(c.0), type: c.2) == Self.date(c.3))
    }

    func offers() -> (Offer, Offer) {
        let live = OfferValidatorTests.valid()
        return (live, live)
    }

    @Test("a live price change is scheduled; the live price stays until the effective date")
    func scheduled() throws {
        var (live, draft) = offers()
        draft.plans[0].billingTerms[0].price = Money(59, "USD")
        let now = Self.date("2026-03-10T12:00:00Z")
        let published = try PriceChangeRules.schedule(live: live, draft: draft, now: now)
        let plan = published.plans[0]
        #expect(plan.billingTerms[0].price == Money(49, "USD"))
        #expect(plan.scheduledPriceChanges.count == 1)
        #expect(plan.scheduledPriceChanges[0].direction == .increase)
        let rates = ExchangeRates.reference
        #expect(PriceChangeRules.price(of: plan, term: .P1M, market: "US", at: Self.date("2026-06-30T23:59:59Z"), rates: rates) == Money(49, "USD"))
        #expect(PriceChangeRules.price(of: plan, term: .P1M, market: "US", at: Self.date("2026-07-01T00:00:00Z"), rates: rates) == Money(59, "USD"))
        #expect(PriceChangeRules.price(of: plan, term: .P1M, market: "DE", at: Self.date("2026-07-01T00:00:00Z"), rates: rates) == Money(Decimal(string: "50.74")!, "EUR"))
        // A decrease while the increase is pending is refused.
        live = published
        draft = published
        draft.plans[0].billingTerms[0].price = Money(39, "USD")
        #expect(throws: DomainError.self) { try PriceChangeRules.schedule(live: live, draft: draft, now: now.addingTimeInterval(86_400)) }
    }

    @Test("free to paid is refused; a dimension price change is scheduled")
    func rules() throws {
        var (live, draft) = offers()
        live.plans[0].billingTerms[0].price = Money(0, "USD")
        draft.plans[0].billingTerms[0].price = Money(10, "USD")
        #expect(throws: DomainError.self) { try PriceChangeRules.schedule(live: live, draft: draft, now: Date()) }
        (live, draft) = offers()
        draft.plans[0].dimensions[0].pricePerUnit = Money(Decimal(string: "0.005")!, "USD")
        let published = try PriceChangeRules.schedule(live: live, draft: draft, now: Self.date("2026-03-10T00:00:00Z"))
        #expect(published.plans[0].dimensions[0].pricePerUnit == Money(Decimal(string: "0.01")!, "USD"))
        #expect(published.plans[0].scheduledPriceChanges.first?.dimensionId == "emails")
        #expect(published.plans[0].scheduledPriceChanges.first?.effectiveDate == Self.date("2026-04-01T00:00:00Z"))
    }
}

@Suite("Catalog search and plan visibility")
struct CatalogSearchTests {
    static let northwind = "6a1b5a0e-3f2d-4c5e-9a7b-1c2d3e4f5a6b"

    func record(_ offer: Offer, status: OfferStatus = .live, publisher: String = "contoso", preview: Offer? = nil) -> OfferRecord {
        OfferRecord(publisherId: publisher, offerId: offer.id, type: offer.type, state: WorkflowState(status: status, hasBeenPreviewed: true, hasBeenLive: status == .live),
                    draft: offer, preview: preview ?? offer, live: status == .live ? offer : nil, version: 1, createdAt: Date(), updatedAt: Date())
    }

    func offers() -> [OfferRecord] {
        var a = OfferValidatorTests.valid()
        a.plans.append(Plan(id: "private", name: "Private", description: "d", visibility: .private, privateAudience: [AudienceMember(id: Self.northwind)],
                            pricing: .flatRate, billingTerms: [BillingTerm(termUnit: .P1Y, price: Money(4000, "USD"))]))
        var b = OfferValidatorTests.valid()
        b.id = "fabrikam-crm"
        b.listing.name = "Fabrikam CRM"
        b.listing.summary = "Customer relationships."
        b.listing.keywords = ["crm"]
        b.listing.description = "<p>Sales pipeline</p>"
        b.properties.categories = [CategorySelection(store: .appSource, category: "Sales", subcategories: ["crm"])]
        b.dimensions = []
        b.plans = [Plan(id: "team", name: "Team", description: "d", pricing: .perUser(), billingTerms: [BillingTerm(termUnit: .P1M, price: Money(10, "USD"))], freeTrial: true)]
        var onlyPrivate = OfferValidatorTests.valid()
        onlyPrivate.id = "secret"
        onlyPrivate.listing.name = "Secret Analytics"
        onlyPrivate.plans[0].visibility = .private
        onlyPrivate.plans[0].privateAudience = [AudienceMember(id: Self.northwind)]
        var draftOnly = OfferValidatorTests.valid()
        draftOnly.id = "draft-only"
        draftOnly.listing.name = "Draft Analytics"
        return [record(a), record(b, publisher: "fabrikam"), record(onlyPrivate), record(draftOnly, status: .preview)]
    }

    @Test("private plans only for their tenant; private-only offers hidden from others")
    func privatePlans() {
        let anonymous = CatalogSearch.search(offers(), CatalogQuery())
        #expect(Set(anonymous.map(\.offer.id)) == ["contoso-analytics", "fabrikam-crm"])
        #expect(anonymous.first { $0.offer.id == "contoso-analytics" }?.offer.plans.map(\.id) == ["silver"])
        let northwind = CatalogSearch.search(offers(), CatalogQuery(viewerTenantId: Self.northwind.uppercased()))
        #expect(Set(northwind.map(\.offer.id)) == ["contoso-analytics", "fabrikam-crm", "secret"])
        #expect(northwind.first { $0.offer.id == "contoso-analytics" }?.offer.plans.map(\.id) == ["silver", "private"])
        let other = CatalogSearch.search(offers(), CatalogQuery(viewerTenantId: UUID().uuidString))
        #expect(!other.contains { $0.offer.id == "secret" })
    }

    @Test("preview offers are visible to their preview audience only")
    func preview() {
        let stranger = CatalogSearch.search(offers(), CatalogQuery(text: "draft"))
        #expect(stranger.isEmpty)
        let member = CatalogSearch.search(offers(), CatalogQuery(text: "draft", viewerEmail: "Owner@Contoso.example"))
        #expect(member.map(\.offer.id) == ["draft-only"] && member[0].isPreview)
    }

    @Test("text, type, category, pricing model and free-trial filters")
    func filters() {
        let all = offers()
        #expect(CatalogSearch.search(all, CatalogQuery(text: "crm")).map(\.offer.id) == ["fabrikam-crm"])
        #expect(CatalogSearch.search(all, CatalogQuery(text: "sales dashboards")).map(\.offer.id) == ["contoso-analytics"])
        #expect(CatalogSearch.search(all, CatalogQuery(text: "pipeline")).map(\.offer.id) == ["fabrikam-crm"])
        #expect(CatalogSearch.search(all, CatalogQuery(text: "nothing-matches")).isEmpty)
        #expect(CatalogSearch.search(all, CatalogQuery(category: "Sales")).map(\.offer.id) == ["fabrikam-crm"])
        #expect(CatalogSearch.search(all, CatalogQuery(category: "big-data")).map(\.offer.id) == ["contoso-analytics"])
        #expect(CatalogSearch.search(all, CatalogQuery(pricingModel: .perUser)).map(\.offer.id) == ["fabrikam-crm"])
        #expect(CatalogSearch.search(all, CatalogQuery(freeTrial: true)).map(\.offer.id) == ["fabrikam-crm"])
        #expect(CatalogSearch.search(all, CatalogQuery(type: .azureVirtualMachine)).isEmpty)
        // Name matches rank above description matches.
        #expect(CatalogSearch.search(all, CatalogQuery(text: "analytics")).first?.offer.id == "contoso-analytics")
    }

    @Test("audience CSV import: header, types, GUIDs, duplicates")
    func csv() throws {
        let csv = "ID,Description,Type\n\(Self.northwind),\"Northwind, Inc.\",TenantID\n\(Self.northwind.uppercased()),dup,TenantID\n"
        let members = try AudienceCSV.parse(csv, expectedType: .tenant)
        #expect(members == [AudienceMember(id: Self.northwind, description: "Northwind, Inc.")])
        #expect(throws: DomainError.self) { try AudienceCSV.parse("ID,Description,Type\nnot-a-guid,,TenantID", expectedType: .tenant) }
        #expect(throws: DomainError.self) { try AudienceCSV.parse("ID,Description,Type\n\(Self.northwind),,SubscriptionId", expectedType: .tenant) }
        #expect(throws: DomainError.self) { try AudienceCSV.parse("Tenant\n\(Self.northwind)", expectedType: .tenant) }
        let exported = AudienceCSV.export(members, type: .tenant)
        #expect(try AudienceCSV.parse(exported, expectedType: .tenant) == members)
    }
}
