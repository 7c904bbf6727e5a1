import Foundation
import MercatoApp
import MercatoCore
@testable import MercatoStorage
import MercatoTestSupport
import Testing

/// Offer documents are decoded once per stored text; any other text, even one Swift's `==` calls equal, decodes anew.
@Suite("Offer document cache")
struct OfferDocumentCacheTests {
    final class Counter: @unchecked Sendable { var decodes = 0 }

    static func text(_ offer: Offer) throws -> String { try SQLCatalogRepository.json(offer) }

    @Test("same bytes: one decode; other bytes, even canonically equal ones: decoded again; past capacity: dropped")
    func reuseOnlyOnSameBytes() throws {
        let cache = OfferDocumentCache(capacity: 2)
        let counter = Counter()
        func read(_ key: OfferDocumentCache.Key, _ text: String) throws -> Offer {
            try cache.offer(key, text: text) { counter.decodes += 1; return try SQLCatalogRepository.decode(Offer.self, $0) }
        }
        let key = OfferDocumentCache.Key(publisherId: "p", offerId: "o", slot: .live)
        var offer = CatalogFixtures.saas(id: "o")
        offer.alias = "Caf\u{E9}" // precomposed é
        let composed = try Self.text(offer)
        #expect(try read(key, composed).alias == "Caf\u{E9}")
        #expect(try read(key, String(decoding: Array(composed.utf8), as: UTF8.self)).alias == "Caf\u{E9}") // a copy, same bytes
        #expect(counter.decodes == 1)
        offer.alias = "Cafe\u{301}" // e + combining acute: `==` says equal, the bytes differ
        let decomposed = try Self.text(offer)
        #expect(decomposed == composed && !OfferDocumentCache.sameBytes(decomposed, composed))
        #expect(try read(key, decomposed).alias.unicodeScalars.count == 5)
        #expect(counter.decodes == 2)
        // Another slot of the same offer is its own entry; a third key overflows capacity 2 and starts afresh.
        _ = try read(.init(publisherId: "p", offerId: "o", slot: .draft), composed)
        #expect(cache.count == 2)
        _ = try read(.init(publisherId: "p", offerId: "other", slot: .live), composed)
        #expect(cache.count == 1 && counter.decodes == 4)
        _ = try read(key, decomposed) // dropped with the rest: decoded again
        #expect(counter.decodes == 5)
    }

    @Test("an offer changed by another replica is read back changed at once", arguments: TestBackend.available)
    func otherReplicasWrite(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let demo = try await DemoSeeder(environment: env).run()
            let replicaA = SQLCatalogRepository(db: env.db, audit: env.audit)
            let replicaB = SQLCatalogRepository(db: env.db, audit: env.audit)
            let before = try #require(try await replicaA.offer(publisherId: demo.publisherId, offerId: demo.offerId))
            #expect(try await replicaA.offer(publisherId: demo.publisherId, offerId: demo.offerId) == before) // now from the cache
            #expect(replicaA.documents.count >= 1)
            var changed = before
            changed.draft.alias = before.draft.alias + " (renamed by B)"
            _ = try await replicaB.update(changed, expectedVersion: before.version, history: [], audit: nil)
            let after = try #require(try await replicaA.offer(publisherId: demo.publisherId, offerId: demo.offerId))
            #expect(after.draft.alias == changed.draft.alias && after.version == before.version + 1)
            #expect(after.live == before.live) // the untouched slot, still served (and equal)
            #expect(try await replicaA.offers(publisherId: demo.publisherId).first { $0.offerId == demo.offerId }?.draft.alias == changed.draft.alias)
        }
    }
}
