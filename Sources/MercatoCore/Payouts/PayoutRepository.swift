import Foundation

public protocol PayoutRepository: Sendable {
    func settings(publisherId: String) async throws -> PayoutSettings
    func save(_ settings: PayoutSettings, audit: AuditEntry) async throws
    /// Runs a payout stage once: `body` runs in a transaction only if `stageKey` was never run.
    func runStage<R: Sendable>(_ stageKey: String, _ body: @escaping @Sendable (any PayoutTransaction) async throws -> R) async throws -> R?
    func payouts(publisherId: String?) async throws -> [Payout]
    func earnings(publisherId: String?) async throws -> [Earning]
    /// Earning ID → payment ID for earnings in a payment.
    func paymentAssignments(publisherId: String?) async throws -> [String: String]
    func completedStages() async throws -> Set<String>
}

public protocol PayoutTransaction: Sendable {
    /// Earnings in no payment yet that became eligible by `by`.
    func unpaidEarnings(eligibleBy: Date) async throws -> [Earning]
    func settings(publisherIds: [String]) async throws -> [String: PayoutSettings]
    func insert(_ payout: Payout, earningIds: [String]) async throws
    func markSent(month: String, at: Date) async throws -> Int
}
