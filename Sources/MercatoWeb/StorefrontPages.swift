import Foundation
import MercatoCore

/// Typed models of the storefront pages (ARCHITECTURE: a Model struct per page, rendered by a .mustache template).

public struct OfferCard: Sendable, Equatable {
    public var url: String
    public var name: String
    public var summary: String
    public var publisher: String
    public var type: String
    public var pricing: String
    public var freeTrial: Bool
}

public struct SelectOption: Sendable, Equatable {
    public var value: String
    public var label: String
    public var selected: Bool
}

public struct HomePage: Sendable, Equatable {
    public var viewer: Viewer?
    public struct CategoryLink: Sendable, Equatable { public var key: String; public var label: String }
    public var title = "Marketplace"
    public var query = ""
    public var featured: [OfferCard]
    public var categories: [CategoryLink]
}

public struct SearchPage: Sendable, Equatable {
    public var viewer: Viewer?
    public var title: String
    public var query: String
    public var heading: String
    public var countText: String
    public var results: [OfferCard]
    public var types: [SelectOption]
    public var categories: [SelectOption]
    public var pricings: [SelectOption]
    public var trialOnly: Bool
}

public struct OfferPageModel: Sendable, Equatable {
    public struct MarketOption: Sendable, Equatable { public var code: String; public var name: String; public var selected: Bool }
    public struct PlanView: Sendable, Equatable {
        public struct Term: Sendable, Equatable { public var text: String }
        public struct Dimension: Sendable, Equatable { public var name, unit, price, monthly, annual: String }
        public var id: String
        public var name: String
        public var description: String
        public var isPrivate: Bool
        public var freeTrial: Bool
        public var pricingModel: String
        public var terms: [Term]
        public var hasDimensions: Bool
        public var dimensions: [Dimension]
        /// Where "Subscribe" goes (transactable SaaS plans only).
        public var buyURL: String?
    }

    public var title: String
    public var query = ""
    public var url: String
    public var name: String
    public var publisher: String
    public var type: String
    public var isPreview: Bool
    public var summary: String
    public var descriptionHTML: String
    public var gettingStarted: String?
    public var markets: [MarketOption]
    public var plans: [PlanView]
    public var hasLinks: Bool
    public var links: [Link]
    public var viewer: Viewer?
    public var csrf = ""
    public var contactSent = false
    public var contactFields: [FormField] = ContactForm.fields(values: [:], errors: [:])
    public var consentError: String?
}

public struct ErrorPage: Sendable, Equatable {
    public var viewer: Viewer?
    public var title: String
    public var query = ""
    public var heading: String
    public var message: String

    public init(heading: String, message: String) {
        self.title = heading
        self.heading = heading
        self.message = message
    }
}

/// Builds the models from the catalog.
public enum StorefrontModels {
    public static func offerURL(_ publisherId: String, _ offerId: String) -> String {
        "/offers/\(publisherId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? publisherId)/\(offerId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? offerId)"
    }

    static func typeLabel(_ t: OfferType) -> String {
        switch t {
        case .saas: "SaaS"
        case .azureManagedApplication: "Azure managed application"
        case .azureSolutionTemplate: "Azure solution template"
        case .azureContainer: "Container"
        case .azureVirtualMachine: "Virtual machine"
        case .consultingService: "Consulting service"
        case .dynamics365BusinessCentral: "Dynamics 365 Business Central"
        case .dynamics365CustomerEngagement: "Dynamics 365 Customer Engagement"
        case .dynamics365Operations: "Dynamics 365 Operations"
        case .iotEdgeModule: "IoT Edge module"
        case .managedService: "Managed service"
        case .powerBIApp: "Power BI app"
        case .powerBIVisual: "Power BI visual"
        }
    }

    static func unitLabel(_ u: TermUnit) -> String {
        switch u {
        case .P1M: "month"
        case .P1Y: "year"
        default: "\(u.months / 12) years"
        }
    }

    static func pricingLabel(_ k: PricingModel.Kind) -> String {
        switch k {
        case .flatRate: "Flat rate"
        case .perUser: "Per user"
        case .free: "Free"
        case .byol: "Bring your own license"
        }
    }

    /// "49.00 USD per month", "10.00 USD per user per month", or the listing option for list-only offers.
    static func priceText(_ plan: Plan, _ term: BillingTerm, market: String, at now: Date) -> String? {
        guard let price = ChargeRules.termPrice(plan, unit: term.termUnit, market: market, at: now) else { return nil }
        let perUser = plan.pricing.isPricePerSeat ? " per user" : ""
        var text = "\(Currency.format(price.amount, price.currency)) \(price.currency)\(perUser) per \(unitLabel(term.termUnit))"
        if term.termUnit != .P1M { text += term.paymentOption == .monthly ? ", paid monthly" : ", paid upfront" }
        return text
    }

    public static func card(_ e: CatalogEntry, now: Date) -> OfferCard {
        let o = e.offer
        var pricing: String
        switch o.setup.listingOption {
        case .transact:
            let candidates = o.plans.flatMap { p in p.billingTerms.compactMap { t -> (Decimal, String)? in
                guard let m = ChargeRules.termPrice(p, unit: t.termUnit, market: "US", at: now) else { return nil }
                return (m.amount / Decimal(t.termUnit.months), priceText(p, t, market: "US", at: now) ?? "")
            } }
            pricing = candidates.min { $0.0 < $1.0 }.map { "From \($0.1)" } ?? "Price on request"
        case .contactMe: pricing = "Contact me"
        case .freeTrial: pricing = "Free trial"
        case .getItNow: pricing = "Get it now"
        case .byol: pricing = "Bring your own license"
        }
        return OfferCard(url: offerURL(e.publisherId, o.id), name: o.listing.name, summary: o.listing.summary, publisher: e.publisherId,
                         type: typeLabel(o.type), pricing: pricing,
                         freeTrial: o.plans.contains(where: \.freeTrial) || o.setup.listingOption == .freeTrial)
    }

    public static func offerPage(_ e: CatalogEntry, market requested: String?, now: Date) -> OfferPageModel {
        let o = e.offer
        let markets = Array(Set(o.plans.flatMap(\.markets))).sorted()
        let market = requested.map { $0.uppercased() }.flatMap { markets.contains($0) ? $0 : nil } ?? (markets.contains("US") ? "US" : markets.first ?? "US")
        let dimensionInfo = Dictionary(o.dimensions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let plans = o.plans.filter { $0.markets.contains(market) }.map { p -> OfferPageModel.PlanView in
            let dims = p.dimensions.filter(\.enabled).map { d -> OfferPageModel.PlanView.Dimension in
                let price = ChargeRules.unitPrice(d, market: market)
                func incl(_ q: IncludedQuantity) -> String { if case let .quantity(n) = q { return String(n) } else { return "Unlimited" } }
                return .init(name: dimensionInfo[d.dimensionId]?.displayName ?? d.dimensionId, unit: dimensionInfo[d.dimensionId]?.unitOfMeasure ?? "",
                             price: "\(Currency.exact(price.amount, price.currency)) \(price.currency)", monthly: incl(d.includedMonthly), annual: incl(d.includedAnnual))
            }
            return .init(id: p.id, name: p.name, description: p.description, isPrivate: p.visibility == .private, freeTrial: p.freeTrial,
                         pricingModel: pricingLabel(p.pricing.kind)
                            + (p.pricing.isPricePerSeat ? " (\(p.pricing.effectiveMinUsers)–\(p.pricing.maxUsers.map(String.init) ?? "unlimited") users)" : ""),
                         terms: p.billingTerms.compactMap { t in priceText(p, t, market: market, at: now).map { .init(text: $0) } },
                         hasDimensions: !dims.isEmpty, dimensions: dims,
                         buyURL: o.type == .saas && o.setup.listingOption == .transact && o.technicalConfiguration != nil
                            ? offerURL(e.publisherId, o.id) + "/buy?plan=" + FormEncoding.escape(p.id) : nil)
        }
        return OfferPageModel(
            title: o.listing.name, url: offerURL(e.publisherId, o.id), name: o.listing.name, publisher: e.publisherId, type: typeLabel(o.type),
            isPreview: e.isPreview, summary: o.listing.summary, descriptionHTML: SafeHTML.render(o.listing.description),
            gettingStarted: o.listing.gettingStartedInstructions,
            markets: markets.map { .init(code: $0, name: "\(Markets.market($0)?.name ?? $0) (\(Markets.market($0)?.currency ?? ""))", selected: $0 == market) },
            plans: plans, hasLinks: !o.listing.usefulLinks.isEmpty, links: o.listing.usefulLinks)
    }
}
