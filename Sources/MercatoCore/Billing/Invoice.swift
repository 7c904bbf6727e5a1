import Foundation

/// A customer's invoice for one billing period and currency (spec-portal §6.3). Derived from ledger charges at the
/// billing run and never edited: later corrections (refunds, credits) appear as lines of a later invoice.
public struct Invoice: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// Collected from the customer's payment method.
        case paid = "Paid"
        /// Not collected yet: the customer's payment method is failing.
        case due = "Due"
    }

    /// Also the `purchaseRecordId`/`OrderID` of the payout reports (spec-analytics-governance §B.2).
    public var id: String
    public var customerTenantId: String
    public var period: String
    public var currency: String
    public var issuedAt: Date
    public var totalMinor: Int64
    public var status: Status
    public var paidAt: Date?
    public var lines: [InvoiceLine]

    public init(id: String, customerTenantId: String, period: String, currency: String, issuedAt: Date, totalMinor: Int64, status: Status,
                paidAt: Date?, lines: [InvoiceLine]) {
        self.id = id
        self.customerTenantId = customerTenantId
        self.period = period
        self.currency = currency
        self.issuedAt = issuedAt
        self.totalMinor = totalMinor
        self.status = status
        self.paidAt = paidAt
        self.lines = lines
    }

    public var total: Money { Money(MinorUnits.decimal(totalMinor, currency), currency) }
}

/// One line of an invoice: one ledger charge. `lineItemId` is the `purchaseRecordLineItemId`/`LineItemId` join key.
public struct InvoiceLine: Sendable, Equatable, Codable {
    public var lineItemId: String
    public var charge: BillingCharge

    public init(lineItemId: String, charge: BillingCharge) {
        self.lineItemId = lineItemId
        self.charge = charge
    }
}

/// What one billing run did.
public struct BillingRunSummary: Sendable, Equatable, Codable {
    public var period: String
    public var closedAt: Date
    public var charges: Int
    public var invoices: Int
    public var collected: Int
    public var earnings: Int
    public var usageEventsRated: Int
    /// False when the period had already been closed: nothing changed.
    public var ranNow: Bool

    public init(period: String, closedAt: Date, charges: Int, invoices: Int, collected: Int, earnings: Int, usageEventsRated: Int, ranNow: Bool) {
        self.period = period
        self.closedAt = closedAt
        self.charges = charges
        self.invoices = invoices
        self.collected = collected
        self.earnings = earnings
        self.usageEventsRated = usageEventsRated
        self.ranNow = ranNow
    }
}

/// Usage of one resource, dimension and plan on one UTC day, summed in millionths (exact integers in SQL).
public struct DailyUsage: Sendable, Equatable {
    public var resourceId: String
    public var dimension: String
    public var planId: String
    /// Days since 1970-01-01 (UTC).
    public var day: Int64
    public var quantityMicros: Int64
    public var events: Int

    public init(resourceId: String, dimension: String, planId: String, day: Int64, quantityMicros: Int64, events: Int) {
        self.resourceId = resourceId
        self.dimension = dimension
        self.planId = planId
        self.day = day
        self.quantityMicros = quantityMicros
        self.events = events
    }

    /// Quantities are stored in millionths as well as text; finer fractions are rounded half-even.
    public static func micros(_ q: Decimal) -> Int64 {
        var value = q * 1_000_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .bankers)
        return NSDecimalNumber(decimal: rounded).int64Value
    }
    public static func decimal(_ micros: Int64) -> Decimal { Decimal(micros) / 1_000_000 }
}
