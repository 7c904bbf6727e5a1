import Foundation
import Logging
import MercatoCore
import ServiceLifecycle

/// Runs pending publishing operations (publish → preview, go live, stop distribution) from their durable rows,
/// one poll every `interval`. On PostgreSQL replicas claim rows with FOR UPDATE SKIP LOCKED, so each operation is
/// processed by one replica; a crashed replica's claim expires after the lease.
public struct PublishingWorker: Service {
    let catalog: CatalogService
    let logger: Logger
    let interval: Duration

    public init(catalog: CatalogService, logger: Logger, interval: Duration = .seconds(1)) {
        self.catalog = catalog
        self.logger = logger
        self.interval = interval
    }

    /// Processes what is pending now; returns how many operations were handled.
    @discardableResult
    public func runOnce() async throws -> Int {
        let ops = try await catalog.repository.claimPendingOperations(limit: 10, now: catalog.clock.now(), lease: 120)
        for op in ops {
            let done = try await catalog.process(op)
            logger.info("publishing operation finished", metadata: [
                "operationId": .string(done.id), "offerId": .string(done.offerId), "kind": .string(done.kind.rawValue), "status": .string(done.status.rawValue),
            ])
        }
        return ops.count
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await runOnce()
            } catch {
                logger.error("publishing worker failed", metadata: ["error": .string("\(error)")])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
