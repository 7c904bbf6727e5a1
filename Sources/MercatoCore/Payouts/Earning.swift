import Foundation

/// A publisher's earning from one collected invoice line (spec-analytics-governance §B.4.1): the transaction amount,
/// the store service fee withheld, and what is owed to the publisher. Refund lines give negative earnings.
public struct Earning: Sendable, Equatable, Codable {
    public enum TransactionType: String, Sendable, Codable { case purchase, refund }

    public var earningId: String
    public var publisherId: String
    public var invoiceId: String
    public var lineItemId: String
    public var chargeKey: String
    public var currency: String
    public var transactionAmountMinor: Int64
    /// The store fee rate applied, e.g. 0.03 (spec-portal §6.2).
    public var feeRate: Decimal
    public var storeFeeMinor: Int64
    public var earningAmountMinor: Int64
    public var transactionType: TransactionType
    public var transactionDate: Date
    /// When the customer paid.
    public var collectedAt: Date
    /// End of the 30-day holding period for card payments (spec-portal §6.6).
    public var eligibleAt: Date

    public init(earningId: String, publisherId: String, invoiceId: String, lineItemId: String, chargeKey: String, currency: String,
                transactionAmountMinor: Int64, feeRate: Decimal, storeFeeMinor: Int64, earningAmountMinor: Int64, transactionType: TransactionType,
                transactionDate: Date, collectedAt: Date, eligibleAt: Date) {
        self.earningId = earningId
        self.publisherId = publisherId
        self.invoiceId = invoiceId
        self.lineItemId = lineItemId
        self.chargeKey = chargeKey
        self.currency = currency
        self.transactionAmountMinor = transactionAmountMinor
        self.feeRate = feeRate
        self.storeFeeMinor = storeFeeMinor
        self.earningAmountMinor = earningAmountMinor
        self.transactionType = transactionType
        self.transactionDate = transactionDate
        self.collectedAt = collectedAt
        self.eligibleAt = eligibleAt
    }
}

/// Store service fees (spec-portal §6.2; spec-analytics-governance §B.6).
public enum StoreFee {
    /// "Microsoft has reduced its standard store service fee to 3%" (2021-07-14): SaaS, VM usage-based, managed apps.
    public static let standard: Decimal = Decimal(string: "0.03")!
    /// BYOL: 0% of the license fee.
    public static let byol: Decimal = 0

    public static func rate(pricing: PricingModel.Kind) -> Decimal { pricing == .byol ? byol : standard }

    /// `storeFee = round(amount × rate)` per earning line; `earning = amount − storeFee`, so the two always add up to
    /// the transaction to the minor unit. The private-offer rule ("fee on the post-discount price") holds because the
    /// amount is what the customer was charged.
    public static func split(_ amountMinor: Int64, rate: Decimal, currency: String) -> (fee: Int64, earning: Int64) {
        let fee = MinorUnits.of(MinorUnits.decimal(amountMinor, currency) * rate, currency)
        return (fee, amountMinor - fee)
    }

    /// The holding period for credit-card and monthly-invoice purchases (spec-portal §6.6).
    public static let cardHold: TimeInterval = 30 * 86_400
}
