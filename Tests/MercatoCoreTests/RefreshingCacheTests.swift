import Foundation
import MercatoCore
import Testing

@Suite("RefreshingCache: stale entries serve while one caller reloads")
struct RefreshingCacheTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    func ticket(_ l: RefreshingCache<String, Int>.Lookup, sourceLocation: SourceLocation = #_sourceLocation) -> RefreshingCache<String, Int>.Load? {
        if case let .load(t) = l { return t }
        Issue.record("expected a load", sourceLocation: sourceLocation)
        return nil
    }

    func hit(_ l: RefreshingCache<String, Int>.Lookup) -> Int? {
        if case let .hit(v) = l { return v }
        return nil
    }

    @Test("fresh hits; once stale exactly one caller reloads and the rest get the old value until it stores")
    func staleWhileRefreshing() throws {
        let cache = RefreshingCache<String, Int>(maxAge: 5)
        let first = try #require(ticket(cache.lookup("k", now: t0)))
        cache.store(1, for: first, now: t0)
        #expect(hit(cache.lookup("k", now: t0.addingTimeInterval(4.9))) == 1)
        let later = t0.addingTimeInterval(5)
        let reload = try #require(ticket(cache.lookup("k", now: later)))
        for _ in 0..<10 { #expect(hit(cache.lookup("k", now: later)) == 1) } // no stampede
        cache.store(2, for: reload, now: later)
        #expect(hit(cache.lookup("k", now: later)) == 2)
        // Other keys are independent.
        #expect(hit(cache.lookup("other", now: later)) == nil)
    }

    @Test("a failed reload lets the next caller try again; the stale value is not served forever")
    func failedReload() throws {
        let cache = RefreshingCache<String, Int>(maxAge: 1)
        cache.store(1, for: try #require(ticket(cache.lookup("k", now: t0))), now: t0)
        let stale = t0.addingTimeInterval(2)
        let reload = try #require(ticket(cache.lookup("k", now: stale)))
        cache.loadFailed(reload)
        #expect(ticket(cache.lookup("k", now: stale)) != nil)
    }

    @Test("invalidate drops entries, and a load that began before it is not stored")
    func invalidation() async throws {
        let cache = RefreshingCache<String, Int>(maxAge: 60)
        let before = try #require(ticket(cache.lookup("k", now: t0)))
        cache.invalidate()
        cache.store(1, for: before, now: t0) // read before the change: discarded
        let after = try #require(ticket(cache.lookup("k", now: t0)))
        cache.store(2, for: after, now: t0)
        #expect(hit(cache.lookup("k", now: t0)) == 2)
        cache.invalidate()
        #expect(try await cache.value(for: "k", now: t0) { 3 } == 3)
    }

    @Test("a clock that moves backwards makes an entry stale; value(for:) rethrows and does not cache a failure")
    func backwardsAndErrors() async throws {
        let cache = RefreshingCache<String, Int>(maxAge: 60)
        #expect(try await cache.value(for: "k", now: t0) { 1 } == 1)
        #expect(try await cache.value(for: "k", now: t0.addingTimeInterval(-1)) { 2 } == 2)
        struct Boom: Error {}
        let stale = t0.addingTimeInterval(120)
        await #expect(throws: Boom.self) { try await cache.value(for: "k", now: stale) { throw Boom() } }
        #expect(try await cache.value(for: "k", now: stale) { 4 } == 4)
    }
}
