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

    @Test("list pages show another replica's write at once, while a point read may serve its cached copy for the TTL", arguments: TestBackend.available)
    func pagesMatchTheRowVersion(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let demo = try await DemoSeeder(environment: env).run()
            var ids: [String] = []
            for _ in 0..<3 {
                ids.append(try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver"),
                                                                 context: .system).subscription.id)
            }
            let publisherId = try #require(try await env.subscriptions.repository.subscription(id: ids[0])?.publisherId)
            // A long TTL: the point lookup below would serve A's stale copy for an hour; a page must not.
            let replicaA = SQLSubscriptionRepository(db: env.db, audit: env.audit, cacheTTL: 3600)
            let replicaB = SQLSubscriptionRepository(db: env.db, audit: env.audit, cacheTTL: 3600)
            func names(_ repo: SQLSubscriptionRepository) async throws -> [String: String] {
                Dictionary(uniqueKeysWithValues: try await repo.page(publisherId: publisherId, after: nil, limit: 100).map { ($0.id, $0.name) })
            }
            let first = try await names(replicaA) // decodes every row and caches it
            #expect(ids.allSatisfy { first[$0] != nil })
            #expect(try await names(replicaA) == first) // served from the cache: same rows, same content
            #expect(try await replicaA.subscription(id: ids[1])?.name == first[ids[1]]) // A has looked at the change feed
            try await replicaB.mutate(subscriptionId: ids[1]) { $0.subscription.name = "renamed by B" }
            #expect(try await replicaA.subscription(id: ids[1])?.name == first[ids[1]]) // stale until A's TTL is up
            let after = try await names(replicaA)
            #expect(after[ids[1]] == "renamed by B") // the row's change number differs from the cached one
            #expect(after[ids[0]] == first[ids[0]] && after[ids[2]] == first[ids[2]])
            // Its own write is read back through both paths.
            try await replicaA.mutate(subscriptionId: ids[2]) { $0.subscription.name = "renamed by A" }
            #expect(try await names(replicaA)[ids[2]] == "renamed by A")
            #expect(try await replicaA.subscriptions(customerTenantId: try #require(try await replicaA.subscription(id: ids[2])).beneficiary.tenantId)
                .first { $0.id == ids[1] }?.name == "renamed by B")
        }
    }
}
