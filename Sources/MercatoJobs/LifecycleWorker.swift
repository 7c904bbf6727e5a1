import Foundation
import Logging
import MercatoCore
import ServiceLifecycle

/// The lifecycle engine's heartbeat on the marketplace clock: starts waiting operations, auto-accepts the ones whose
/// acknowledgement window (10 s, spec-saas §5.5) has passed, fires renewals, expiries, suspensions and the 30-day
/// auto-cancel. A ServiceLifecycle service, one tick per `interval`.
public struct LifecycleWorker: Service {
    let subscriptions: SubscriptionService
    let clock: ClockService?
    let anomalies: AnomalyService?
    let scheduled: (any ScheduledWork)?
    let logger: Logger
    let interval: Duration
    /// When the scheduled work (a calendar: month ends, the 5th, the 15th) next has something to do; the tick skips
    /// it until then instead of asking the database every second.
    let scheduledGate = ScheduledGate()

    final class ScheduledGate: @unchecked Sendable {
        private let lock = NSLock()
        private var next: Date?
        func isDue(_ now: Date) -> Bool { lock.withLock { next.map { now >= $0 } ?? true } }
        func wait(until date: Date?) { lock.withLock { next = date } }
    }

    public init(subscriptions: SubscriptionService, clock: ClockService?, anomalies: AnomalyService? = nil, scheduled: (any ScheduledWork)? = nil,
                logger: Logger, interval: Duration = .seconds(1)) {
        self.subscriptions = subscriptions
        self.clock = clock
        self.anomalies = anomalies
        self.scheduled = scheduled
        self.logger = logger
        self.interval = interval
    }

    /// One tick: adopt the shared clock, start and auto-accept operations, fire due renewals, suspensions, expiries.
    @discardableResult
    public func runOnce() async throws -> [SubscriptionOperation] {
        try await clock?.sync()
        let changed = try await subscriptions.advanceOperations() + subscriptions.processDue()
        try await anomalies?.detectIfDue() // weekly (spec-saas §7.8)
        if let scheduled, case let now = subscriptions.clock.now(), scheduledGate.isDue(now) {
            try await scheduled.runDue() // month-end billing, payout orders on the 5th and sends on the 15th
            scheduledGate.wait(until: try await scheduled.nextDue(after: now))
        }
        for op in changed {
            logger.info("operation advanced", metadata: [
                "operationId": .string(op.id), "subscriptionId": .string(op.subscriptionId), "action": .string(op.action.rawValue), "status": .string(op.status.rawValue),
            ])
        }
        return changed
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await runOnce()
            } catch {
                logger.error("lifecycle worker failed", metadata: ["error": .string("\(error)")])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
