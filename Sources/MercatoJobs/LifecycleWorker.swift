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
        try await scheduled?.runDue() // month-end billing, payout orders on the 5th and sends on the 15th
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
