import Foundation

/// A plan (SKU) of an offer (spec-portal §3).
public struct Plan: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var visibility: PlanVisibility
    /// Private audience: tenant IDs for SaaS (≤ 10 manual, ≤ 20,000 by CSV; spec-portal §3.7).
    public var privateAudience: [AudienceMember]
    /// Market codes (1…141).
    public var markets: [String]
    public var pricing: PricingModel
    public var billingTerms: [BillingTerm]
    public var dimensions: [PlanDimension]
    /// "Allow a one-month free trial" (SaaS; not with metered dimensions).
    public var freeTrial: Bool
    /// Distribution stopped (no new customers); `isStopSell` in listAvailablePlans.
    public var isStopSell: Bool
    /// Price changes scheduled after publish (spec-portal §3.8).
    public var scheduledPriceChanges: [ScheduledPriceChange]

    public init(id: String, name: String, description: String = "", visibility: PlanVisibility = .public,
                privateAudience: [AudienceMember] = [], markets: [String] = ["US"], pricing: PricingModel,
                billingTerms: [BillingTerm], dimensions: [PlanDimension] = [], freeTrial: Bool = false,
                isStopSell: Bool = false, scheduledPriceChanges: [ScheduledPriceChange] = []) {
        self.id = id
        self.name = name
        self.description = description
        self.visibility = visibility
        self.privateAudience = privateAudience
        self.markets = markets
        self.pricing = pricing
        self.billingTerms = billingTerms
        self.dimensions = dimensions
        self.freeTrial = freeTrial
        self.isStopSell = isStopSell
        self.scheduledPriceChanges = scheduledPriceChanges
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, visibility, privateAudience, markets, pricing, billingTerms, dimensions, freeTrial, isStopSell, scheduledPriceChanges
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        visibility = try c.decodeIfPresent(PlanVisibility.self, forKey: .visibility) ?? .public
        privateAudience = try c.decodeIfPresent([AudienceMember].self, forKey: .privateAudience) ?? []
        markets = try c.decodeIfPresent([String].self, forKey: .markets) ?? []
        pricing = try c.decode(PricingModel.self, forKey: .pricing)
        billingTerms = try c.decodeIfPresent([BillingTerm].self, forKey: .billingTerms) ?? []
        dimensions = try c.decodeIfPresent([PlanDimension].self, forKey: .dimensions) ?? []
        freeTrial = try c.decodeIfPresent(Bool.self, forKey: .freeTrial) ?? false
        isStopSell = try c.decodeIfPresent(Bool.self, forKey: .isStopSell) ?? false
        scheduledPriceChanges = try c.decodeIfPresent([ScheduledPriceChange].self, forKey: .scheduledPriceChanges) ?? []
    }

    public func isVisible(toTenant tenantId: String?) -> Bool {
        switch visibility {
        case .public: true
        case .private: tenantId.map { t in privateAudience.contains { $0.id.lowercased() == t.lowercased() } } ?? false
        }
    }

    public func term(_ unit: TermUnit) -> BillingTerm? { billingTerms.first { $0.termUnit == unit } }
}

public enum PlanVisibility: String, Codable, Sendable {
    case `public` = "Public"
    case `private` = "Private"
}

/// Pricing models (spec-portal §3.3; spec-saas §10.3).
public struct PricingModel: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case flatRate = "FlatRate"
        case perUser = "PerUser"
        case free = "Free"
        case byol = "BYOL"
    }

    public var kind: Kind
    /// Per user only: unset means min 1 and no max.
    public var minUsers: Int?
    public var maxUsers: Int?

    public init(kind: Kind, minUsers: Int? = nil, maxUsers: Int? = nil) {
        self.kind = kind
        self.minUsers = minUsers
        self.maxUsers = maxUsers
    }

    public static let flatRate = PricingModel(kind: .flatRate)
    public static func perUser(min: Int? = nil, max: Int? = nil) -> PricingModel { PricingModel(kind: .perUser, minUsers: min, maxUsers: max) }

    public var isPricePerSeat: Bool { kind == .perUser }
    public var effectiveMinUsers: Int { minUsers ?? 1 }
}

/// ISO 8601 term durations of the SaaS API (`TermUnit`).
public enum TermUnit: String, Codable, Sendable, CaseIterable, Comparable {
    case P1M, P1Y, P2Y, P3Y, P4Y, P5Y

    public var months: Int {
        switch self {
        case .P1M: 1
        case .P1Y: 12
        case .P2Y: 24
        case .P3Y: 36
        case .P4Y: 48
        case .P5Y: 60
        }
    }

    public static func < (a: TermUnit, b: TermUnit) -> Bool { a.months < b.months }
}

/// How a multi-month term is paid: all at once, or in monthly instalments.
public enum PaymentOption: String, Codable, Sendable {
    case upfront = "Upfront"
    case monthly = "Monthly"
}

/// One billing term of a plan with its price: a base price in USD and the per-market prices derived from it on
/// save (or set by the publisher per market, as the pricing import does).
public struct BillingTerm: Codable, Sendable, Equatable {
    public var termUnit: TermUnit
    public var paymentOption: PaymentOption
    /// Price per term (flat rate) or per user per term (per user), in USD.
    public var price: Money
    /// Market code → price in the market's currency.
    public var marketPrices: [String: Money]

    public init(termUnit: TermUnit, paymentOption: PaymentOption = .upfront, price: Money, marketPrices: [String: Money] = [:]) {
        self.termUnit = termUnit
        self.paymentOption = paymentOption
        self.price = price
        self.marketPrices = marketPrices
    }

    enum CodingKeys: String, CodingKey { case termUnit, paymentOption, price, marketPrices }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        termUnit = try c.decode(TermUnit.self, forKey: .termUnit)
        paymentOption = try c.decodeIfPresent(PaymentOption.self, forKey: .paymentOption) ?? .upfront
        price = try c.decode(Money.self, forKey: .price)
        marketPrices = try c.decodeIfPresent([String: Money].self, forKey: .marketPrices) ?? [:]
    }
}

/// Included quantity of a dimension: a whole number, or unlimited (∞).
public enum IncludedQuantity: Codable, Sendable, Equatable {
    case quantity(Int)
    case unlimited

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            self = .quantity(n)
        } else if let s = try? c.decode(String.self), s.lowercased() == "unlimited" {
            self = .unlimited
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "an included quantity is a whole number or \"unlimited\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .quantity(n): try c.encode(n)
        case .unlimited: try c.encode("unlimited")
        }
    }
}

/// A plan's use of an offer-level dimension (spec-portal §3.4).
public struct PlanDimension: Codable, Sendable, Equatable {
    public var dimensionId: String
    public var enabled: Bool
    /// Price per unit in USD ("It can be 0").
    public var pricePerUnit: Money
    public var marketPricesPerUnit: [String: Money]
    public var includedMonthly: IncludedQuantity
    public var includedAnnual: IncludedQuantity

    public init(dimensionId: String, enabled: Bool = true, pricePerUnit: Money, marketPricesPerUnit: [String: Money] = [:],
                includedMonthly: IncludedQuantity = .quantity(0), includedAnnual: IncludedQuantity = .quantity(0)) {
        self.dimensionId = dimensionId
        self.enabled = enabled
        self.pricePerUnit = pricePerUnit
        self.marketPricesPerUnit = marketPricesPerUnit
        self.includedMonthly = includedMonthly
        self.includedAnnual = includedAnnual
    }

    enum CodingKeys: String, CodingKey { case dimensionId, enabled, pricePerUnit, marketPricesPerUnit, includedMonthly, includedAnnual }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimensionId = try c.decode(String.self, forKey: .dimensionId)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        pricePerUnit = try c.decode(Money.self, forKey: .pricePerUnit)
        marketPricesPerUnit = try c.decodeIfPresent([String: Money].self, forKey: .marketPricesPerUnit) ?? [:]
        includedMonthly = try c.decodeIfPresent(IncludedQuantity.self, forKey: .includedMonthly) ?? .quantity(0)
        includedAnnual = try c.decodeIfPresent(IncludedQuantity.self, forKey: .includedAnnual) ?? .quantity(0)
    }
}

/// A price change after publish, with its effective date (spec-portal §3.8).
public struct ScheduledPriceChange: Codable, Sendable, Equatable {
    public enum Direction: String, Codable, Sendable { case increase = "Increase", decrease = "Decrease" }

    /// What changes: a term's price, or a dimension's price per unit.
    public var termUnit: TermUnit?
    public var dimensionId: String?
    public var market: String
    public var oldPrice: Money
    public var newPrice: Money
    public var direction: Direction
    public var effectiveDate: Date
    public var scheduledAt: Date

    public init(termUnit: TermUnit?, dimensionId: String?, market: String, oldPrice: Money, newPrice: Money,
                direction: Direction, effectiveDate: Date, scheduledAt: Date) {
        self.termUnit = termUnit
        self.dimensionId = dimensionId
        self.market = market
        self.oldPrice = oldPrice
        self.newPrice = newPrice
        self.direction = direction
        self.effectiveDate = effectiveDate
        self.scheduledAt = scheduledAt
    }
}
