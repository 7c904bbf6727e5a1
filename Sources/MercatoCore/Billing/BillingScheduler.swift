import Foundation

/// Work that falls due on the marketplace clock besides the subscription lifecycle (billing runs and payout dates),
/// so time travel can fire it in time order too.
public protocol ScheduledWork: Sendable {
    /// The next instant after `after` at which something may be due.
    func nextDue(after: Date) async throws -> Date?
    func runDue() async throws
}

/// Month-end billing runs, then the payout orders (5th) and sends (15th).
public struct BillingScheduler: ScheduledWork {
    public let billing: BillingService
    public let payouts: PayoutService

    public init(billing: BillingService, payouts: PayoutService) {
        self.billing = billing
        self.payouts = payouts
    }

    public func nextDue(after: Date) async throws -> Date? { min(billing.nextDue(after: after), payouts.nextDue(after: after)) }

    public func runDue() async throws {
        try await billing.runDue()
        let first = try await billing.repository.closedPeriods().first.flatMap { BillingPeriod($0.period)?.end }
        try await payouts.runDue(since: first)
    }
}
