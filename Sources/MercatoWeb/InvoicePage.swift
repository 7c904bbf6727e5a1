import Foundation
import MercatoCore

/// The customer's printable invoice (issue 8): a typed model rendered by `invoice.mustache` (values escaped).
public struct InvoicePage: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var date: String
        public var description: String
        public var offerId: String
        public var planId: String
        public var subscriptionId: String
        public var lineItemId: String
        public var quantity: String
        public var amount: String
    }

    public var id: String
    public var status: String
    public var isDue: Bool
    public var customerTenantId: String
    public var period: String
    public var issued: String
    public var paid: String?
    public var currency: String
    public var total: String
    public var lines: [Line]

    public init(_ invoice: Invoice) {
        id = invoice.id
        status = invoice.status.rawValue
        isDue = invoice.status == .due
        customerTenantId = invoice.customerTenantId
        period = invoice.period
        issued = String(WireTime.day(invoice.issuedAt).prefix(10))
        paid = invoice.paidAt.map { String(WireTime.day($0).prefix(10)) }
        currency = invoice.currency
        total = MinorUnits.format(invoice.totalMinor, invoice.currency)
        lines = invoice.lines.map { l in
            Line(date: String(WireTime.day(l.charge.occurredAt).prefix(10)), description: l.charge.description, offerId: l.charge.offerId,
                 planId: l.charge.planId, subscriptionId: l.charge.subscriptionId, lineItemId: l.lineItemId, quantity: l.charge.quantity,
                 amount: MinorUnits.format(l.charge.amountMinor, l.charge.currency))
        }
    }
}
