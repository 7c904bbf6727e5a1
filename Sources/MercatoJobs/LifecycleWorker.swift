import Foundation
import Logging
import MercatoCore
import ServiceLifecycle

/// Moves SaaS operations on the marketplace clock: starts waiting operations and auto-accepts the ones whose
/// acknowledgement window (10 s, spec-saas §5.5) has passed. A ServiceLifecycle service, one tick per `interval`.
public struct LifecycleWorker: Service {
    let subscriptions: SubscriptionService
    let logger: Logger
    let interval: Duration

    public init(subscriptions: SubscriptionService, logger: Logger, interval: Duration = .seconds(1)) {
        self.subscriptions = subscriptions
        self.logger = logger
        self.interval = interval
    }

    @discardableResult
    public func runOnce() async throws -> [SubscriptionOperation] {
        let changed = try await subscriptions.advanceOperations()
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
