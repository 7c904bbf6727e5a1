import Foundation
import Testing
@testable import MercatoCore

/// Every validation rule at its documented limit: the value at the limit passes, one over fails on that field.
@Suite("Offer validation (spec-portal §2–§3)")
struct OfferValidatorTests {
    static let tenant = "11111111-2222-4333-8444-555555555555"

    static func usd(_ s: String) -> Money { Money(Decimal(string: s)!, "USD") }

    /// A complete, valid transactable SaaS offer.
    static func valid() -> Offer {
        Offer(
            id: "contoso-analytics", type: .saas, alias: "Contoso Analytics", setup: OfferSetup(listingOption: .transact),
            properties: OfferProperties(categories: [CategorySelection(store: .azureMarketplace, category: "analytics", subcategories: ["big-data"])]),
            listing: OfferListing(
                name: "Contoso Analytics", summary: "Dashboards for sales data.", description: "<p><b>Fast</b> dashboards.</p>",
                gettingStartedInstructions: "Select Configure account.", keywords: ["analytics"], privacyPolicyURL: "https://contoso.example/privacy",
                supportContact: Contact(name: "Support", email: "s@contoso.example", phone: "+1 425 555 0100", url: "https://contoso.example/support"),
                engineeringContact: Contact(name: "Eng", email: "e@contoso.example", phone: "+1 425 555 0101"),
                supportingDocuments: [Document(name: "Overview", fileName: "o.pdf")], largeLogo: Image(fileName: "l.png", width: 216, height: 216),
                screenshots: [Screenshot(image: Image(fileName: "s.png", width: 1280, height: 720), caption: "Dashboard")]),
            previewAudience: [AudienceMember(id: "owner@contoso.example")],
            technicalConfiguration: TechnicalConfiguration(landingPageURL: "https://contoso.example/landing", connectionWebhookURL: "https://contoso.example/webhook",
                                                           aadTenantId: tenant, aadAppId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"),
            dimensions: [MeteredDimension(id: "emails", displayName: "Emails", unitOfMeasure: "per email")],
            plans: [Plan(id: "silver", name: "Silver", description: "Flat rate.", markets: ["US", "DE"], pricing: .flatRate,
                         billingTerms: [BillingTerm(termUnit: .P1M, price: usd("49"))],
                         dimensions: [PlanDimension(dimensionId: "emails", pricePerUnit: usd("0.01"), includedMonthly: .quantity(1000))])])
    }

    func fields(_ offer: Offer) -> Set<String> { Set((OfferValidator.formatIssues(offer) + OfferValidator.completenessIssues(offer)).map(\.field)) }

    @Test("the reference offer is valid and complete")
    func reference() {
        #expect(OfferValidator.formatIssues(Self.valid()).isEmpty)
        #expect(OfferValidator.completenessIssues(Self.valid()).isEmpty)
        #expect(OfferValidator.pageStatuses(Self.valid()).values.allSatisfy { $0 == "Complete" })
    }

    struct Limit: Sendable, CustomStringConvertible {
        var name: String
        var field: String
        var atLimit: @Sendable (inout Offer) -> Void
        var overLimit: @Sendable (inout Offer) -> Void
        var description: String { name }
    }

    static func s(_ n: Int) -> String { String(repeating: "a", count: n) }

    static let limits: [Limit] = [
        Limit(name: "offer ID ≤ 50", field: "id", atLimit: { $0.id = s(50) }, overLimit: { $0.id = s(51) }),
        Limit(name: "offer ID charset", field: "id", atLimit: { $0.id = "a-b_c9" }, overLimit: { $0.id = "A b" }),
        Limit(name: "name ≤ 50", field: "listing.name", atLimit: { $0.listing.name = s(50) }, overLimit: { $0.listing.name = s(51) }),
        Limit(name: "name without emoji (™ allowed)", field: "listing.name", atLimit: { $0.listing.name = "Contoso™ ©" }, overLimit: { $0.listing.name = "Contoso 🚀" }),
        Limit(name: "summary ≤ 100", field: "listing.summary", atLimit: { $0.listing.summary = s(100) }, overLimit: { $0.listing.summary = s(101) }),
        Limit(name: "summary one line", field: "listing.summary", atLimit: { $0.listing.summary = "one line" }, overLimit: { $0.listing.summary = "two\nlines" }),
        Limit(name: "description ≤ 3000", field: "listing.description", atLimit: { $0.listing.description = s(3000) }, overLimit: { $0.listing.description = s(3001) }),
        Limit(name: "description allowed tags", field: "listing.description", atLimit: { $0.listing.description = "<h1>T</h1><p>a<br>b</p><ol><li><em>x</em></li></ol>" },
              overLimit: { $0.listing.description = "<p>ok</p><script>alert(1)</script>" }),
        Limit(name: "description no attributes", field: "listing.description", atLimit: { $0.listing.description = "<p>x</p>" },
              overLimit: { $0.listing.description = "<p onclick=\"x\">x</p>" }),
        Limit(name: "getting started ≤ 3000", field: "listing.gettingStartedInstructions", atLimit: { $0.listing.gettingStartedInstructions = s(3000) },
              overLimit: { $0.listing.gettingStartedInstructions = s(3001) }),
        Limit(name: "keywords ≤ 3", field: "listing.keywords", atLimit: { $0.listing.keywords = ["a", "b", "c"] }, overLimit: { $0.listing.keywords = ["a", "b", "c", "d"] }),
        Limit(name: "privacy policy https", field: "listing.privacyPolicyURL", atLimit: { $0.listing.privacyPolicyURL = "https://x.example/p" },
              overLimit: { $0.listing.privacyPolicyURL = "http://x.example/p" }),
        Limit(name: "useful link title ≤ 255", field: "listing.usefulLinks[0].title", atLimit: { $0.listing.usefulLinks = [Link(title: s(255), url: "https://x.example")] },
              overLimit: { $0.listing.usefulLinks = [Link(title: s(256), url: "https://x.example")] }),
        Limit(name: "documents ≤ 3", field: "listing.supportingDocuments", atLimit: { $0.listing.supportingDocuments = Array(repeating: Document(name: "d", fileName: "d.pdf"), count: 3) },
              overLimit: { $0.listing.supportingDocuments = Array(repeating: Document(name: "d", fileName: "d.pdf"), count: 4) }),
        Limit(name: "documents are PDF", field: "listing.supportingDocuments[0].fileName", atLimit: { $0.listing.supportingDocuments = [Document(name: "d", fileName: "D.PDF")] },
              overLimit: { $0.listing.supportingDocuments = [Document(name: "d", fileName: "d.docx")] }),
        Limit(name: "logo 216–350 px", field: "listing.largeLogo", atLimit: { $0.listing.largeLogo = Image(fileName: "l.png", width: 350, height: 350) },
              overLimit: { $0.listing.largeLogo = Image(fileName: "l.png", width: 351, height: 351) }),
        Limit(name: "logo ≥ 216 px", field: "listing.largeLogo", atLimit: { $0.listing.largeLogo = Image(fileName: "l.png", width: 216, height: 216) },
              overLimit: { $0.listing.largeLogo = Image(fileName: "l.png", width: 215, height: 215) }),
        Limit(name: "screenshots ≤ 5", field: "listing.screenshots", atLimit: { $0.listing.screenshots = Array(repeating: $0.listing.screenshots[0], count: 5) },
              overLimit: { $0.listing.screenshots = Array(repeating: $0.listing.screenshots[0], count: 6) }),
        Limit(name: "screenshots 1280×720", field: "listing.screenshots[0].image", atLimit: { _ in },
              overLimit: { $0.listing.screenshots[0].image = Image(fileName: "s.png", width: 1024, height: 768) }),
        Limit(name: "videos ≤ 4", field: "listing.videos",
              atLimit: { $0.listing.videos = Array(repeating: Video(name: "v", url: "https://www.youtube.com/watch?v=x", thumbnail: Image(fileName: "t.png", width: 1280, height: 720)), count: 4) },
              overLimit: { $0.listing.videos = Array(repeating: Video(name: "v", url: "https://vimeo.com/1", thumbnail: Image(fileName: "t.png", width: 1280, height: 720)), count: 5) }),
        Limit(name: "videos YouTube or Vimeo", field: "listing.videos[0].url",
              atLimit: { $0.listing.videos = [Video(name: "v", url: "https://vimeo.com/1", thumbnail: Image(fileName: "t.png", width: 1280, height: 720))] },
              overLimit: { $0.listing.videos = [Video(name: "v", url: "https://videos.example/1", thumbnail: Image(fileName: "t.png", width: 1280, height: 720))] }),
        Limit(name: "categories ≤ 2", field: "properties.categories",
              atLimit: { $0.properties.categories.append(CategorySelection(store: .appSource, category: "Sales")) },
              overLimit: { $0.properties.categories += [CategorySelection(store: .appSource, category: "Sales"), CategorySelection(store: .appSource, category: "Finance")] }),
        Limit(name: "subcategories ≤ 2", field: "properties.categories[0].subcategories",
              atLimit: { $0.properties.categories[0].subcategories = ["big-data", "data-insights"] },
              overLimit: { $0.properties.categories[0].subcategories = ["big-data", "data-insights", "other"] }),
        Limit(name: "category key", field: "properties.categories[0].category", atLimit: { _ in }, overLimit: { $0.properties.categories[0].category = "Analytics!" }),
        Limit(name: "industries ≤ 2", field: "properties.industries",
              atLimit: { $0.properties.industries = [IndustrySelection(industry: "Education", verticals: ["HigherEducation"]), IndustrySelection(industry: "Automotive", verticals: ["AutomotiveL2"])] },
              overLimit: { $0.properties.industries = Array(repeating: IndustrySelection(industry: "Education", verticals: ["HigherEducation"]), count: 3) }),
        Limit(name: "verticals 1–2", field: "properties.industries[0].verticals",
              atLimit: { $0.properties.industries = [IndustrySelection(industry: "Education", verticals: ["HigherEducation", "LibrariesAndMuseums"])] },
              overLimit: { $0.properties.industries = [IndustrySelection(industry: "Education", verticals: [])] }),
        Limit(name: "universal amendment ≤ 4000", field: "properties.universalAmendment", atLimit: { $0.properties.universalAmendment = s(4000) },
              overLimit: { $0.properties.universalAmendment = s(4001) }),
        Limit(name: "custom amendments ≤ 10", field: "properties.customAmendments",
              atLimit: { $0.properties.customAmendments = Array(repeating: CustomAmendment(terms: "t", tenantIds: [tenant]), count: 10) },
              overLimit: { $0.properties.customAmendments = Array(repeating: CustomAmendment(terms: "t", tenantIds: [tenant]), count: 11) }),
        Limit(name: "amendment tenants ≤ 20", field: "properties.customAmendments[0].tenantIds",
              atLimit: { $0.properties.customAmendments = [CustomAmendment(terms: "t", tenantIds: Array(repeating: tenant, count: 20))] },
              overLimit: { $0.properties.customAmendments = [CustomAmendment(terms: "t", tenantIds: Array(repeating: tenant, count: 21))] }),
        Limit(name: "own terms ≤ 10000", field: "properties.termsAndConditions",
              atLimit: { $0.properties.useStandardContract = false; $0.properties.termsAndConditions = s(10_000) },
              overLimit: { $0.properties.useStandardContract = false; $0.properties.termsAndConditions = s(10_001) }),
        Limit(name: "preview audience ≤ 20 (SaaS)", field: "previewAudience",
              atLimit: { $0.previewAudience = (0..<20).map { AudienceMember(id: "u\($0)@c.example") } },
              overLimit: { $0.previewAudience = (0..<21).map { AudienceMember(id: "u\($0)@c.example") } }),
        Limit(name: "landing page https", field: "technicalConfiguration.landingPageURL", atLimit: { _ in },
              overLimit: { $0.technicalConfiguration?.landingPageURL = "http://contoso.example/landing" }),
        Limit(name: "landing page without #", field: "technicalConfiguration.landingPageURL", atLimit: { _ in },
              overLimit: { $0.technicalConfiguration?.landingPageURL = "https://contoso.example/#/landing" }),
        Limit(name: "loopback http only for sandbox", field: "technicalConfiguration.connectionWebhookURL",
              atLimit: { $0.isSandbox = true; $0.technicalConfiguration?.connectionWebhookURL = "http://127.0.0.1:8081/webhook" },
              overLimit: { $0.technicalConfiguration?.connectionWebhookURL = "http://127.0.0.1:8081/webhook" }),
        Limit(name: "app ID is a GUID", field: "technicalConfiguration.aadAppId", atLimit: { _ in }, overLimit: { $0.technicalConfiguration?.aadAppId = "my-app" }),
        Limit(name: "dimensions ≤ 30", field: "dimensions",
              atLimit: { $0.dimensions += (1..<30).map { MeteredDimension(id: "d\($0)", displayName: "D", unitOfMeasure: "u") } },
              overLimit: { $0.dimensions += (1...30).map { MeteredDimension(id: "d\($0)", displayName: "D", unitOfMeasure: "u") } }),
        Limit(name: "plans ≤ 100", field: "plans",
              atLimit: { o in o.plans = (0..<100).map { var p = o.plans[0]; p.id = "p\($0)"; p.name = "P\($0)"; return p } },
              overLimit: { o in o.plans = (0..<101).map { var p = o.plans[0]; p.id = "p\($0)"; p.name = "P\($0)"; return p } }),
        Limit(name: "private plans ≤ 45", field: "plans",
              atLimit: { o in o.plans = (0..<45).map { var p = o.plans[0]; p.id = "p\($0)"; p.name = "P\($0)"; p.visibility = .private; p.privateAudience = [AudienceMember(id: tenant)]; return p } },
              overLimit: { o in o.plans = (0..<46).map { var p = o.plans[0]; p.id = "p\($0)"; p.name = "P\($0)"; p.visibility = .private; p.privateAudience = [AudienceMember(id: tenant)]; return p } }),
        Limit(name: "plan ID ≤ 50", field: "plans[0].id", atLimit: { $0.plans[0].id = s(50) }, overLimit: { $0.plans[0].id = s(51) }),
        Limit(name: "plan name ≤ 50", field: "plans[0].name", atLimit: { $0.plans[0].name = s(50) }, overLimit: { $0.plans[0].name = s(51) }),
        Limit(name: "plan description ≤ 500", field: "plans[0].description", atLimit: { $0.plans[0].description = s(500) }, overLimit: { $0.plans[0].description = s(501) }),
        Limit(name: "markets ≥ 1", field: "plans[0].markets", atLimit: { $0.plans[0].markets = ["US"] }, overLimit: { $0.plans[0].markets = [] }),
        Limit(name: "markets known", field: "plans[0].markets[1]", atLimit: { _ in }, overLimit: { $0.plans[0].markets = ["US", "XX"] }),
        Limit(name: "China only Free/BYOL", field: "plans[0].markets", atLimit: { _ in }, overLimit: { $0.plans[0].markets = ["US", "CN"] }),
        Limit(name: "metered only with flat rate", field: "plans[0].dimensions", atLimit: { _ in }, overLimit: { $0.plans[0].pricing = .perUser() }),
        Limit(name: "no free trial with metered", field: "plans[0].freeTrial", atLimit: { $0.plans[0].dimensions = []; $0.plans[0].freeTrial = true },
              overLimit: { $0.plans[0].freeTrial = true }),
        Limit(name: "per user min ≥ 1", field: "plans[0].pricing.minUsers",
              atLimit: { $0.plans[0].dimensions = []; $0.plans[0].pricing = .perUser(min: 1, max: 1) },
              overLimit: { $0.plans[0].dimensions = []; $0.plans[0].pricing = .perUser(min: 0) }),
        Limit(name: "per user max ≥ min", field: "plans[0].pricing.maxUsers",
              atLimit: { $0.plans[0].dimensions = []; $0.plans[0].pricing = .perUser(min: 5, max: 5) },
              overLimit: { $0.plans[0].dimensions = []; $0.plans[0].pricing = .perUser(min: 5, max: 4) }),
        Limit(name: "price not negative", field: "plans[0].billingTerms[0].price.amount", atLimit: { $0.plans[0].billingTerms[0].price = usd("0") },
              overLimit: { $0.plans[0].billingTerms[0].price = usd("-1") }),
        Limit(name: "base price in USD", field: "plans[0].billingTerms[0].price.currency", atLimit: { _ in },
              overLimit: { $0.plans[0].billingTerms[0].price = Money(49, "EUR") }),
        Limit(name: "market price in market currency", field: "plans[0].billingTerms[0].marketPrices.DE.currency",
              atLimit: { $0.plans[0].billingTerms[0].marketPrices = ["DE": Money(45, "EUR")] },
              overLimit: { $0.plans[0].billingTerms[0].marketPrices = ["DE": Money(45, "GBP")] }),
        Limit(name: "private audience are tenant GUIDs", field: "plans[0].privateAudience[0].id",
              atLimit: { $0.plans[0].visibility = .private; $0.plans[0].privateAudience = [AudienceMember(id: tenant)] },
              overLimit: { $0.plans[0].visibility = .private; $0.plans[0].privateAudience = [AudienceMember(id: "northwind.example")] }),
        Limit(name: "listing option per type", field: "setup.listingOption", atLimit: { _ in }, overLimit: { $0.setup.listingOption = .byol }),
    ]

    @Test("each limit: at the limit passes, over it fails on the field", arguments: limits)
    func limit(_ limit: Limit) {
        var ok = Self.valid()
        limit.atLimit(&ok)
        #expect(!fields(ok).contains(limit.field), "at limit: \(OfferValidator.formatIssues(ok))")
        var bad = Self.valid()
        limit.overLimit(&bad)
        #expect(fields(bad).contains(limit.field), "over limit: \(OfferValidator.formatIssues(bad))")
    }

    @Test("completeness names every missing required field by page")
    func completeness() {
        var o = Offer(id: "x", type: .saas, alias: "X", setup: OfferSetup(listingOption: .transact))
        o.plans = []
        let issues = OfferValidator.completenessIssues(o)
        let fields = Set(issues.map(\.field))
        for field in ["properties.categories", "listing.name", "listing.summary", "listing.description", "listing.gettingStartedInstructions",
                      "listing.privacyPolicyURL", "listing.supportContact", "listing.engineeringContact", "listing.supportingDocuments",
                      "listing.largeLogo", "listing.screenshots", "previewAudience", "technicalConfiguration", "plans"] {
            #expect(fields.contains(field), "\(field)")
        }
        #expect(OfferValidator.pageStatuses(o)[.offerListing] == "Incomplete")
        #expect(OfferValidator.pageStatuses(o)[.offerSetup] == "Complete")
    }

    @Test("listing options and plans per offer type", arguments: OfferType.allCases)
    func types(_ type: OfferType) {
        for option in ListingOption.allCases {
            var o = Offer(id: "x", type: type, alias: "X", setup: OfferSetup(listingOption: option))
            o.properties.useStandardContract = false
            let refused = OfferValidator.formatIssues(o).contains { $0.field == "setup.listingOption" }
            #expect(refused == !type.allowedListingOptions.contains(option), "\(type) \(option)")
        }
        #expect(type.allowedListingOptions.contains(.transact) == [.saas, .azureManagedApplication, .azureVirtualMachine].contains(type))
        #expect(type.hasPlans == ![.consultingService, .dynamics365BusinessCentral, .dynamics365CustomerEngagement, .dynamics365Operations, .powerBIApp, .powerBIVisual].contains(type))
    }

    @Test("type-specific fields are required where the documents name them")
    func typeSpecific() {
        var o = Offer(id: "x", type: .consultingService, alias: "X", setup: OfferSetup(listingOption: .contactMe))
        o.properties.useStandardContract = false
        #expect(Set(OfferValidator.completenessIssues(o).map(\.field)).isSuperset(of: ["typeSpecific.serviceType", "typeSpecific.duration"]))
        o.typeSpecific = ["serviceType": "Workshop", "duration": "1-Week"]
        #expect(!OfferValidator.completenessIssues(o).contains { $0.field.hasPrefix("typeSpecific") })
    }

    @Test("changes refused after publish", arguments: [
        "pricing model", "public to private", "delete plan", "disable trial", "remove term", "dimension unit", "transact to listing", "included quantity",
    ])
    func changesAfterPublish(_ change: String) {
        var live = Self.valid()
        live.plans.append(Plan(id: "team", name: "Team", description: "d", markets: ["US"], pricing: .perUser(), billingTerms: [
            BillingTerm(termUnit: .P1M, price: Self.usd("10")), BillingTerm(termUnit: .P1Y, price: Self.usd("100"))], freeTrial: true))
        var draft = live
        switch change {
        case "pricing model": draft.plans[1].pricing = .flatRate
        case "public to private": draft.plans[0].visibility = .private
        case "delete plan": draft.plans.removeLast()
        case "disable trial": draft.plans[1].freeTrial = false
        case "remove term": draft.plans[1].billingTerms.removeLast()
        case "dimension unit": draft.dimensions[0].unitOfMeasure = "per 100 emails"
        case "transact to listing": draft.setup.listingOption = .contactMe
        default: draft.plans[0].dimensions[0].includedMonthly = .quantity(2000)
        }
        #expect(!OfferValidator.changeIssues(published: live, draft: draft).isEmpty)
        // Allowed changes: private → public, new plan, new term, listing text.
        var allowed = live
        allowed.listing.name = "Contoso Analytics Pro"
        allowed.plans.append(Plan(id: "new", name: "New", description: "d", pricing: .flatRate, billingTerms: [BillingTerm(termUnit: .P1M, price: Self.usd("5"))]))
        allowed.plans[0].billingTerms.append(BillingTerm(termUnit: .P1Y, price: Self.usd("400")))
        #expect(OfferValidator.changeIssues(published: live, draft: allowed).isEmpty)
    }

    @Test("HTML allow-list", arguments: [
        ("<b>bold</b> <i>it</i> <em>em</em><br><br/><p>p</p><ul><li>x</li></ul><h6>h</h6>", 0),
        ("a < b and c > d", 0), ("<a href=\"https://x\">x</a>", 2), ("<img src=x onerror=alert(1)>", 1),
        ("<!-- hidden -->", 1), ("<p style=\"color:red\">x</p>", 1), ("<div><span>x</span></div>", 4), ("<p", 1),
    ])
    func html(_ pair: (String, Int)) {
        #expect(HTMLAllowList.problems(in: pair.0).count == pair.1, "\(HTMLAllowList.problems(in: pair.0))")
    }

    @Test("money keeps exact decimals and rounds to minor units half-even")
    func money() throws {
        #expect(Currency.exact(Decimal(string: "0.008")!, "USD") == "0.008")
        #expect(Currency.exact(49, "USD") == "49.00")
        #expect(Currency.exact(5400, "JPY") == "5400")
        #expect(Money(Decimal(string: "0.125")!, "USD").minorUnits == 12)
        #expect(Money(Decimal(string: "0.135")!, "USD").minorUnits == 14)
        let decoded = try JSONDecoder().decode(Money.self, from: Data(#"{"amount":"470.10","currency":"USD"}"#.utf8))
        #expect(decoded.amount == Decimal(string: "470.10")!)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Money.self, from: Data(#"{"amount":"4e7","currency":"USD"}"#.utf8)) }
        #expect(ExchangeRates.reference.convert(49, to: "JPY") == 7497)
        #expect(ExchangeRates.reference.convert(49, to: "EUR") == Decimal(string: "42.14")!)
    }

    @Test("outbound URL policy blocks private, link-local and metadata addresses", arguments: [
        ("https://contoso.example/hook", false, true), ("http://contoso.example/hook", false, false), ("https://169.254.169.254/latest", false, false),
        ("https://10.0.0.1/x", false, false), ("https://192.168.1.5/x", false, false), ("https://172.20.0.1/x", false, false),
        ("https://[::1]/x", false, false), ("http://127.0.0.1:8081/webhook", true, true), ("http://127.0.0.1:8081/webhook", false, false),
        ("https://localhost/x", false, false), ("ftp://contoso.example", false, false),
    ])
    func outbound(_ c: (String, Bool, Bool)) {
        #expect((OutboundURLPolicy.check(c.0, sandbox: c.1) == nil) == c.2, "\(c.0)")
    }
}
