import Foundation
import MercatoApp
import MercatoCore
import MercatoStorage
import MercatoTestSupport
import Testing

/// The subscription read cache: a process reads its own writes at once; another replica's writes show within the TTL.
@Suite("Subscription read cache")
struct SubscriptionCacheTests {
    @Test("own writes are read back at once; another replica's after the TTL", arguments: TestBackend.available)
    func readYourWritesAndTTL(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let demo = try await DemoSeeder(environment: env).run()
            let p = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver"), context: .system)
            let id = p.subscription.id
            let replicaA = SQLSubscriptionRepository(db: env.db, audit: env.audit, cacheTTL: 0.3)
            let replicaB = SQLSubscriptionRepository(db: env.db, audit: env.audit, cacheTTL: 0.3)
            #expect(try await replicaA.subscription(id: id)?.name == p.subscription.name) // now cached in A
            try await replicaA.mutate(subscriptionId: id) { $0.subscription.name = "renamed by A" }
            #expect(try await replicaA.subscription(id: id)?.name == "renamed by A")
            try await replicaB.mutate(subscriptionId: id) { $0.subscription.name = "renamed by B" }
            #expect(try await replicaB.subscription(id: id)?.name == "renamed by B")
            // A may serve its cached copy for up to the TTL, never longer.
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await replicaA.subscription(id: id)?.name == "renamed by B")
            // A refused write leaves the cache consistent with the database.
            await #expect(throws: TransitionRefusal.self) {
                try await replicaA.mutate(subscriptionId: id) { agg in
                    agg.subscription.name = "never committed"
                    throw TransitionRefusal(400, "BadRequest", "refused")
                }
            }
            #expect(try await replicaA.subscription(id: id)?.name == "renamed by B")
        }
    }
}
