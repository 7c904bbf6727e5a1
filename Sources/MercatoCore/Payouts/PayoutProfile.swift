import Foundation

/// Tax profile (spec-portal §6.4): needed before a payout profile (GOV-ACC-06) and before any payout.
public struct TaxProfile: Sendable, Equatable, Codable {
    public enum Form: String, Sendable, Codable, CaseIterable { case w9 = "W-9", w8ben = "W-8BEN", w8bene = "W-8BEN-E" }

    /// ISO 3166 alpha-2 of residence: decides the paying entity; the payout account must be in this country.
    public var countryOfResidence: String
    public var entityType: String
    public var taxForm: Form
    /// US withholding rate on sales into the US: 30% by default for non-US publishers, 0 for W-9 (spec-portal §6.4).
    public var withholdingPercent: Decimal
    public var submittedAt: Date

    public init(countryOfResidence: String, entityType: String, taxForm: Form, withholdingPercent: Decimal, submittedAt: Date) {
        self.countryOfResidence = countryOfResidence
        self.entityType = entityType
        self.taxForm = taxForm
        self.withholdingPercent = withholdingPercent
        self.submittedAt = submittedAt
    }
}

/// Payout (payment) profile (spec-portal §6.5). The account number is kept only as a hash and its last 4 characters.
public struct PayoutAccount: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Codable, CaseIterable { case bank = "Bank", payPal = "PayPal" }

    public var method: Method
    public var accountHolderName: String
    public var country: String
    public var currency: String
    public var accountNumberLast4: String
    public var accountNumberHash: String
    public var submittedAt: Date

    public init(method: Method, accountHolderName: String, country: String, currency: String, accountNumberLast4: String, accountNumberHash: String, submittedAt: Date) {
        self.method = method
        self.accountHolderName = accountHolderName
        self.country = country
        self.currency = currency
        self.accountNumberLast4 = accountNumberLast4
        self.accountNumberHash = accountNumberHash
        self.submittedAt = submittedAt
    }
}

/// A publisher's payout settings.
public struct PayoutSettings: Sendable, Equatable, Codable {
    public var publisherId: String
    public var tax: TaxProfile?
    public var account: PayoutAccount?
    /// "Hold my Payment" (spec-portal §6.6): revenue is still recorded, nothing is sent until released.
    public var hold: Bool

    public init(publisherId: String, tax: TaxProfile? = nil, account: PayoutAccount? = nil, hold: Bool = false) {
        self.publisherId = publisherId
        self.tax = tax
        self.account = account
        self.hold = hold
    }

    /// Why no payment can be sent, if so.
    public var blocker: Payout.Reason? {
        if tax == nil { return .taxProfileMissing }
        if account == nil { return .payoutProfileMissing }
        if hold { return .held }
        return nil
    }
}

/// A monthly payment to a publisher in one currency (spec-analytics-governance §B.3, §B.4.2), or the record of why
/// the month's eligible earnings were carried forward instead.
public struct Payout: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// Payment order generated on the 5th, pending send.
        case upcoming = "Upcoming"
        /// Sent by the 15th.
        case sent = "Sent"
        /// Nothing was paid this month; the earnings carry forward (see `reason`).
        case notPaid = "NotPaid"
    }

    public enum Reason: String, Sendable, Codable {
        case belowThreshold = "BelowThreshold"
        case taxProfileMissing = "TaxProfileMissing"
        case payoutProfileMissing = "PayoutProfileMissing"
        case held = "Held"

        public var message: String {
            switch self {
            case .belowThreshold: "Eligible earnings are below the $50 USD payment threshold; they carry forward to the next month."
            case .taxProfileMissing: "No tax profile: submit one under Payout and tax before payouts can be sent."
            case .payoutProfileMissing: "No payout profile: add a bank or PayPal account under Payout and tax before payouts can be sent."
            case .held: "Hold my Payment is on: earnings are recorded and paid once the hold is released."
            }
        }
    }

    /// `paymentId` on the bank statement.
    public var paymentId: String
    public var publisherId: String
    public var currency: String
    /// "2026-12": the payout month.
    public var month: String
    public var status: Status
    public var reason: Reason?
    /// Sum of the earnings in this payment (or carried forward).
    public var earnedMinor: Int64
    public var withheldTaxMinor: Int64
    public var totalPaymentMinor: Int64
    public var orderedAt: Date
    public var sentAt: Date?
    public var earningCount: Int

    public init(paymentId: String, publisherId: String, currency: String, month: String, status: Status, reason: Reason?, earnedMinor: Int64,
                withheldTaxMinor: Int64, totalPaymentMinor: Int64, orderedAt: Date, sentAt: Date?, earningCount: Int) {
        self.paymentId = paymentId
        self.publisherId = publisherId
        self.currency = currency
        self.month = month
        self.status = status
        self.reason = reason
        self.earnedMinor = earnedMinor
        self.withheldTaxMinor = withheldTaxMinor
        self.totalPaymentMinor = totalPaymentMinor
        self.orderedAt = orderedAt
        self.sentAt = sentAt
        self.earningCount = earningCount
    }
}
