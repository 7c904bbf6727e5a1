import Foundation

/// One customer-side money movement in the ledger: a recurring fee, a proration, a refund or a metered overage.
/// Immutable once written; `key` makes every charge idempotent (a retried event or a second billing run writes
/// nothing new). Amounts are minor units of `currency` (house rule 5), signed: credits and refunds are negative.
public struct BillingCharge: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A term's price (or one monthly instalment of it), charged at activation, renewal, trial conversion or
        /// reinstatement, and by the billing run for later instalments.
        case recurring = "Recurring"
        /// Mid-term plan or seat change (spec-saas §10.3: "may be prorated if the customer upgrades or downgrades").
        case proration = "Proration"
        /// Cancellation inside the no-charge window (spec-saas §3.8: 24 h monthly, 14 days yearly).
        case refund = "Refund"
        /// Metered usage above the included quantity (spec-saas §7.6).
        case overage = "Overage"
    }

    public var key: String
    public var kind: Kind
    public var publisherId: String
    public var offerId: String
    public var planId: String
    public var subscriptionId: String
    public var customerTenantId: String
    public var market: String
    public var currency: String
    public var amountMinor: Int64
    /// Billed quantity: seats, 1 for a flat fee, or usage units (decimal text).
    public var quantity: String
    public var description: String
    public var occurredAt: Date
    /// For metered lines: the dimension.
    public var dimension: String?

    public init(key: String, kind: Kind, publisherId: String, offerId: String, planId: String, subscriptionId: String, customerTenantId: String,
                market: String, currency: String, amountMinor: Int64, quantity: String, description: String, occurredAt: Date, dimension: String? = nil) {
        self.key = key
        self.kind = kind
        self.publisherId = publisherId
        self.offerId = offerId
        self.planId = planId
        self.subscriptionId = subscriptionId
        self.customerTenantId = customerTenantId
        self.market = market
        self.currency = currency
        self.amountMinor = amountMinor
        self.quantity = quantity
        self.description = description
        self.occurredAt = occurredAt
        self.dimension = dimension
    }

    public var money: Money { Money(MinorUnits.decimal(amountMinor, currency), currency) }
}

/// Conversions between Decimal amounts and integer minor units.
public enum MinorUnits {
    /// Rounds half-even to the currency's minor unit.
    public static func of(_ amount: Decimal, _ currency: String) -> Int64 { Money(amount, currency).minorUnits }

    public static func decimal(_ minor: Int64, _ currency: String) -> Decimal {
        Currency.exponent(currency) == 0 ? Decimal(minor) : Decimal(minor) / 100
    }

    public static func format(_ minor: Int64, _ currency: String) -> String { Currency.format(decimal(minor, currency), currency) }
}
