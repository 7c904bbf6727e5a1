import Foundation

/// The transaction-to-payout report (spec-analytics-governance §B.4.1, the union of the 09/2020 columns and the
/// marketplace join keys): one row per earning, joined to the invoice line it came from and the payment that paid it.
public struct TransactionReportRow: Sendable, Equatable {
    public var values: [(String, String)]

    public static func == (a: TransactionReportRow, b: TransactionReportRow) -> Bool { a.values.map(\.0) == b.values.map(\.0) && a.values.map(\.1) == b.values.map(\.1) }

    public subscript(_ column: String) -> String? { values.first { $0.0 == column }?.1 }
}

public enum TransactionReport {
    public static let columns = [
        "earningId", "participantId", "participantIdType", "participantName", "programName", "transactionId", "transactionCurrency", "transactionDate",
        "transactionAmount", "lever", "earningRate", "quantity", "quantityType", "earningType", "earningAmount", "earningDate", "paymentId",
        "paymentStatus", "paymentStatusDescription", "paymentDate", "productName", "productId", "productType", "transactionType", "storeFee",
        "AssetId", "OrderID", "LineItemId", "customerId", "TenantID", "SkuId", "subscriptionId", "purchaseRecordId", "purchaseRecordLineItemId",
    ]

    /// `paymentStatus` of an earning: in a sent payment → Sent; in an ordered one → Upcoming; else Unprocessed.
    public static func status(_ earning: Earning, payment: Payout?) -> String {
        switch payment?.status {
        case .sent?: "Sent"
        case .upcoming?: "Upcoming"
        default: "Unprocessed"
        }
    }

    public static func rows(publisherId: String, publisherName: String, earnings: [Earning], charges: [String: BillingCharge], payments: [String: Payout],
                            assignments: [String: String]) -> [TransactionReportRow] {
        earnings.sorted { ($0.transactionDate, $0.earningId) < ($1.transactionDate, $1.earningId) }.compactMap { e in
            guard let c = charges[e.chargeKey] else { return nil }
            let payment = assignments[e.earningId].flatMap { payments[$0] }
            let status = status(e, payment: payment)
            let description: String = switch status {
            case "Sent": "Payment sent to the bank"
            case "Upcoming": "Payment order generated, pending send on the 15th"
            default: e.eligibleAt > (payment?.orderedAt ?? .distantFuture) ? "In the 30-day holding period" : "Eligible; waiting for the next payout cycle"
            }
            let values: [(String, String)] = [
                ("earningId", e.earningId), ("participantId", publisherId), ("participantIdType", "Seller ID"), ("participantName", publisherName),
                ("programName", "Commercial marketplace"), ("transactionId", e.lineItemId), ("transactionCurrency", e.currency),
                ("transactionDate", WireTime.precise(e.transactionDate)), ("transactionAmount", MinorUnits.format(e.transactionAmountMinor, e.currency)),
                ("lever", "Azure Marketplace"), ("earningRate", "\(1 - e.feeRate)"), ("quantity", c.quantity),
                ("quantityType", c.kind == .overage ? "Usage" : "Billed quantity"), ("earningType", c.kind == .refund ? "Refund" : "Sell"),
                ("earningAmount", MinorUnits.format(e.earningAmountMinor, e.currency)), ("earningDate", WireTime.precise(e.collectedAt)),
                ("paymentId", payment?.paymentId ?? ""), ("paymentStatus", status), ("paymentStatusDescription", description),
                ("paymentDate", payment?.sentAt.map(WireTime.precise) ?? ""), ("productName", c.offerId), ("productId", c.offerId), ("productType", "SaaS"),
                ("transactionType", e.transactionType.rawValue), ("storeFee", MinorUnits.format(e.storeFeeMinor, e.currency)),
                ("AssetId", c.subscriptionId), ("OrderID", e.invoiceId), ("LineItemId", e.lineItemId), ("customerId", c.customerTenantId),
                ("TenantID", c.customerTenantId), ("SkuId", c.planId), ("subscriptionId", c.subscriptionId), ("purchaseRecordId", e.invoiceId),
                ("purchaseRecordLineItemId", e.lineItemId),
            ]
            return TransactionReportRow(values: values)
        }
    }

    /// RFC 4180 CSV with a header row.
    public static func csv(_ rows: [TransactionReportRow]) -> String {
        func field(_ s: String) -> String {
            // Cells starting with = + - @ are prefixed so spreadsheets don't run them as formulas.
            var v = s
            if let f = v.first, "=+-@".contains(f), Decimal(string: v) == nil { v = "'" + v }
            return v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v
        }
        var out = columns.joined(separator: ",") + "\r\n"
        for r in rows { out += r.values.map { field($0.1) }.joined(separator: ",") + "\r\n" }
        return out
    }
}
