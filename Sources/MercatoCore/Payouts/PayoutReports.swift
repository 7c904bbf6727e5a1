import Foundation

/// Builds the payout reports from the ledger: the transaction-to-payout report per publisher.
public struct PayoutReports: Sendable {
    public let billing: any BillingRepository
    public let payouts: any PayoutRepository

    public init(billing: any BillingRepository, payouts: any PayoutRepository) {
        self.billing = billing
        self.payouts = payouts
    }

    public func transactions(publisherId: String, publisherName: String? = nil) async throws -> [TransactionReportRow] {
        let charges = Dictionary(try await billing.charges(publisherId: publisherId).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let payments = Dictionary(try await payouts.payouts(publisherId: publisherId).map { ($0.paymentId, $0) }, uniquingKeysWith: { a, _ in a })
        return TransactionReport.rows(publisherId: publisherId, publisherName: publisherName ?? publisherId,
                                      earnings: try await payouts.earnings(publisherId: publisherId), charges: charges, payments: payments,
                                      assignments: try await payouts.paymentAssignments(publisherId: publisherId))
    }
}
