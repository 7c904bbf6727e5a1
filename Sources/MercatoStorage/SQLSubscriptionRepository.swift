import Foundation
import MercatoCore
import SQLKit

/// `SubscriptionRepository` on SQL: subscription and operation documents as JSON with the queried fields in columns.
public struct SQLSubscriptionRepository: SubscriptionRepository {
    let db: Database
    let audit: SQLAuditLog
    let cache: SubscriptionCache

    public init(db: Database, audit: SQLAuditLog, cacheTTL: TimeInterval = 1) {
        self.db = db
        self.audit = audit
        self.cache = SubscriptionCache(ttl: cacheTTL)
    }

    static func json<T: Encodable>(_ v: T) throws -> String { try SQLCatalogRepository.json(v) }
    static func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T { try SQLCatalogRepository.decode(t, s) }

    public func create(_ s: Subscription, token: PurchaseToken, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await Self.insert(s, tx)
            try await Self.insertToken(token, tx)
            try await self.audit.append(entry, in: tx)
        }
    }

    static func paid(_ s: Subscription) -> Int64 { s.activatedAt != nil && !s.isFreeTrial ? 1 : 0 }

    static func insert(_ s: Subscription, _ tx: any SQLDatabase) async throws {
        let seq = try await nextChange(tx)
        try await tx.raw("""
            INSERT INTO subscriptions (id, publisher_id, offer_id, status, plan_id, customer_tenant_id, has_paid, created_at, updated_at,
                                       subscription_json, next_event_at, change_seq)
            VALUES (\(bind: s.id), \(bind: s.publisherId), \(bind: s.offerId), \(bind: s.status.rawValue), \(bind: s.planId),
                    \(bind: s.beneficiary.tenantId), \(bind: paid(s)), \(bind: s.created.millis), \(bind: (s.lastModified ?? s.created).millis),
                    \(bind: try json(s)), \(bind: LifecycleRules.nextEvent(s)?.millis), \(bind: seq))
            """).run()
    }

    /// The next number of the subscription change feed (migration 10). The counter row stays locked until commit, so
    /// numbers become visible in order and a reader's "changed since N" never skips one.
    static func nextChange(_ tx: any SQLDatabase) async throws -> Int64 {
        guard let row = try await tx.raw("UPDATE change_counters SET n = n + 1 WHERE name = 'subscriptions' RETURNING n").first() else {
            throw StorageError.corrupt("change_counters has no 'subscriptions' row")
        }
        return try row.decode(column: "n", as: Int64.self)
    }

    static func insertToken(_ t: PurchaseToken, _ tx: any SQLDatabase) async throws {
        try await tx.raw("""
            INSERT INTO purchase_tokens (token_hash, subscription_id, publisher_id, expires_at)
            VALUES (\(bind: t.hash), \(bind: t.subscriptionId), \(bind: t.publisherId), \(bind: t.expiresAt.millis))
            """).run()
    }

    public func subscription(id: String) async throws -> Subscription? {
        try await cached(id: id)?.subscription
    }

    public func facts(id: String) async throws -> SubscriptionFacts? {
        try await cached(id: id)?.facts
    }

    /// Through the read cache (docs/architecture.md "Hot read path").
    func cached(id: String) async throws -> SubscriptionCache.Entry? {
        if let watermark = cache.claimSync(now: Date()) { try await syncCache(from: watermark) }
        if let hit = cache.get(id) { return hit }
        let generation = cache.currentGeneration()
        guard let row = try await db.sql.raw("SELECT subscription_json, change_seq FROM subscriptions WHERE id = \(bind: id)").first() else { return nil }
        let s = try Self.decode(Subscription.self, try row.decode(column: "subscription_json", as: String.self))
        let entry = SubscriptionCache.Entry(s, seq: try row.decode(column: "change_seq", as: Int64.self))
        cache.put(entry, generation: generation)
        return entry
    }

    /// Drops cached subscriptions that changed (elsewhere) since the last look at the change feed.
    func syncCache(from watermark: Int64) async throws {
        var changes: [(String, Int64)] = []
        do {
            let limit = 5000
            let rows = try await db.sql.raw("""
                SELECT id, change_seq FROM subscriptions WHERE change_seq > \(bind: watermark) ORDER BY change_seq LIMIT \(unsafeRaw: String(limit + 1))
                """).all()
            changes = try rows.map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "change_seq", as: Int64.self)) }
            if changes.count > limit {
                let top = try await db.sql.raw("SELECT n FROM change_counters WHERE name = 'subscriptions'").first()?.decode(column: "n", as: Int64.self)
                cache.finishSync(changes: nil, watermark: top ?? watermark)
            } else {
                cache.finishSync(changes: changes, watermark: changes.last?.1 ?? watermark)
            }
        } catch {
            cache.finishSync(changes: nil, watermark: watermark, failed: true)
            throw error
        }
    }

    public func page(publisherId: String, after cursor: SubscriptionCursor?, limit: Int) async throws -> [Subscription] {
        let generation = cache.currentGeneration()
        let rows: [any SQLRow]
        if let cursor {
            let ms = cursor.created.millis
            rows = try await db.sql.raw("""
                SELECT id, change_seq, subscription_json FROM subscriptions
                WHERE publisher_id = \(bind: publisherId) AND (created_at > \(bind: ms) OR (created_at = \(bind: ms) AND id > \(bind: cursor.id)))
                ORDER BY created_at, id LIMIT \(bind: limit)
                """).all()
        } else {
            rows = try await db.sql.raw("""
                SELECT id, change_seq, subscription_json FROM subscriptions WHERE publisher_id = \(bind: publisherId)
                ORDER BY created_at, id LIMIT \(bind: limit)
                """).all()
        }
        return try subscriptions(rows, generation: generation)
    }

    public func subscriptions(customerTenantId: String) async throws -> [Subscription] {
        let generation = cache.currentGeneration()
        let rows = try await db.sql.raw("""
            SELECT id, change_seq, subscription_json FROM subscriptions WHERE customer_tenant_id = \(bind: customerTenantId) ORDER BY created_at, id
            """).all()
        return try subscriptions(rows, generation: generation)
    }

    /// Rows of (id, change_seq, subscription_json) as subscriptions. A cached entry with the row's change number is
    /// that very row already decoded (every write takes a new number), so only the others go through JSONDecoder,
    /// which took 45% of a list page's CPU when every row did; they join the cache for the next read.
    func subscriptions(_ rows: [any SQLRow], generation: Int) throws -> [Subscription] {
        try rows.map { row in
            let id = try row.decode(column: "id", as: String.self)
            let seq = try row.decode(column: "change_seq", as: Int64.self)
            if let hit = cache.get(id), hit.seq == seq { return hit.subscription }
            let entry = SubscriptionCache.Entry(try Self.decode(Subscription.self, try row.decode(column: "subscription_json", as: String.self)), seq: seq)
            cache.put(entry, generation: generation)
            return entry.subscription
        }
    }

    public func mutate<R: Sendable>(subscriptionId: String, _ body: @escaping @Sendable (inout SubscriptionAggregate) throws -> R) async throws -> R {
        let written = SubscriptionCache.Box()
        let writtenSeq = SubscriptionCache.SeqBox()
        let result: R
        do {
            result = try await db.write { tx in
                guard let row = try await tx.raw(SQLQueryString("SELECT subscription_json FROM subscriptions WHERE id = ") + "\(bind: subscriptionId)"
                                                 + SQLQueryString(db.forUpdate)).first() else {
                    throw TransitionRefusal(404, "EntityNotFound", "SaaS subscription \(subscriptionId) cannot be found.", target: "subscriptionId")
                }
                let subscription = try Self.decode(Subscription.self, try row.decode(column: "subscription_json", as: String.self))
                let pending = try await tx.raw("""
                    SELECT operation_json FROM saas_operations WHERE subscription_id = \(bind: subscriptionId) AND is_final = 0 ORDER BY created_at
                    """).all().map { try Self.decode(SubscriptionOperation.self, try $0.decode(column: "operation_json", as: String.self)) }
                var aggregate = SubscriptionAggregate(subscription: subscription, operations: pending)
                let result = try body(&aggregate)
                let s = aggregate.subscription
                if s != subscription {
                    let seq = try await Self.nextChange(tx)
                    try await tx.raw("""
                        UPDATE subscriptions SET status = \(bind: s.status.rawValue), plan_id = \(bind: s.planId), has_paid = \(bind: Self.paid(s)),
                            updated_at = \(bind: (s.lastModified ?? s.created).millis), subscription_json = \(bind: try Self.json(s)),
                            next_event_at = \(bind: LifecycleRules.nextEvent(s)?.millis), change_seq = \(bind: seq)
                        WHERE id = \(bind: s.id)
                        """).run()
                    writtenSeq.value = seq
                }
                for op in aggregate.operations where !pending.contains(op) {
                    try await tx.raw("""
                        INSERT INTO saas_operations (id, subscription_id, status, is_final, created_at, operation_json)
                        VALUES (\(bind: op.id), \(bind: op.subscriptionId), \(bind: op.status.rawValue), \(bind: op.status.isFinal ? 1 : 0),
                                \(bind: op.created.millis), \(bind: try Self.json(op)))
                        ON CONFLICT (id) DO UPDATE SET status = excluded.status, is_final = excluded.is_final, operation_json = excluded.operation_json
                        """).run()
                }
                for delivery in aggregate.outbox { try await SQLWebhookRepository.insert(delivery, tx) }
                try await SQLBillingRepository.insert(aggregate.charges, tx)
                for entry in aggregate.audit { try await self.audit.append(entry, in: tx) }
                written.value = s
                return result
            }
        } catch {
            cache.invalidate(subscriptionId)
            throw error
        }
        // Committed: this process reads its own write at once.
        if let s = written.value, let seq = writtenSeq.value { cache.store(s, seq: seq) }
        return result
    }

    public func addToken(_ token: PurchaseToken) async throws {
        try await db.write { tx in try await Self.insertToken(token, tx) }
    }

    public func token(hash: String) async throws -> PurchaseToken? {
        try await db.sql.raw("SELECT * FROM purchase_tokens WHERE token_hash = \(bind: hash)").first().map {
            PurchaseToken(hash: try $0.decode(column: "token_hash", as: String.self), subscriptionId: try $0.decode(column: "subscription_id", as: String.self),
                          publisherId: try $0.decode(column: "publisher_id", as: String.self),
                          expiresAt: Date(millis: try $0.decode(column: "expires_at", as: Int64.self)))
        }
    }

    public func operation(id: String) async throws -> SubscriptionOperation? {
        try await db.sql.raw("SELECT operation_json FROM saas_operations WHERE id = \(bind: id)").first().map {
            try Self.decode(SubscriptionOperation.self, try $0.decode(column: "operation_json", as: String.self))
        }
    }

    public func operations(subscriptionId: String) async throws -> [SubscriptionOperation] {
        try await db.sql.raw("SELECT operation_json FROM saas_operations WHERE subscription_id = \(bind: subscriptionId) ORDER BY created_at, id").all().map {
            try Self.decode(SubscriptionOperation.self, try $0.decode(column: "operation_json", as: String.self))
        }
    }

    public func unfinishedOperations(limit: Int) async throws -> [SubscriptionOperation] {
        try await db.sql.raw("SELECT operation_json FROM saas_operations WHERE is_final = 0 ORDER BY created_at LIMIT \(bind: limit)").all().map {
            try Self.decode(SubscriptionOperation.self, try $0.decode(column: "operation_json", as: String.self))
        }
    }

    public func due(now: Date, limit: Int) async throws -> [Subscription] {
        try await db.sql.raw("""
            SELECT subscription_json FROM subscriptions WHERE next_event_at IS NOT NULL AND next_event_at <= \(bind: now.millis)
            ORDER BY next_event_at, id LIMIT \(bind: limit)
            """).all().map { try Self.decode(Subscription.self, try $0.decode(column: "subscription_json", as: String.self)) }
    }

    public func nextDueTime(after: Date) async throws -> Date? {
        let events = try await db.sql.raw("SELECT MIN(next_event_at) AS t FROM subscriptions WHERE next_event_at > \(bind: after.millis)").first()
        let acks = try await db.sql.raw("SELECT operation_json FROM saas_operations WHERE is_final = 0").all()
            .compactMap { try Self.decode(SubscriptionOperation.self, try $0.decode(column: "operation_json", as: String.self)).acknowledgeBy }
            .filter { $0 > after }
        let event = try events?.decode(column: "t", as: Int64?.self).map(Date.init(millis:))
        return ([event].compactMap { $0 } + acks).min()
    }

    public func paymentFailing(customerTenantId: String) async throws -> Bool {
        try await db.sql.raw("SELECT failing FROM customer_payment WHERE tenant_id = \(bind: customerTenantId)").first()
            .map { try $0.decode(column: "failing", as: Int64.self) == 1 } ?? false
    }

    public func setPaymentFailing(customerTenantId: String, failing: Bool, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO customer_payment (tenant_id, failing, updated_at) VALUES (\(bind: customerTenantId), \(bind: failing ? 1 : 0), \(bind: entry.time.millis))
                ON CONFLICT (tenant_id) DO UPDATE SET failing = excluded.failing, updated_at = excluded.updated_at
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func hasPaid(customerTenantId: String, publisherId: String, offerId: String) async throws -> Bool {
        try await db.sql.raw("""
            SELECT id FROM subscriptions WHERE customer_tenant_id = \(bind: customerTenantId) AND publisher_id = \(bind: publisherId)
            AND offer_id = \(bind: offerId) AND has_paid = 1 LIMIT 1
            """).first() != nil
    }
}

/// Decoded subscriptions for the hot read path (GET subscription, resolve, metering). This process's own committed
/// writes replace entries at once; every `ttl` one reader asks the change feed (migration 10) what changed since it
/// last looked and drops those entries, so another replica's (or the CLI's) write shows within about a second while an
/// unchanged subscription is never decoded twice.
final class SubscriptionCache: @unchecked Sendable {
    final class Box: @unchecked Sendable { var value: Subscription? }
    final class SeqBox: @unchecked Sendable { var value: Int64? }
    /// Immutable and shared: a hit hands out one reference (the caller copies what it reads).
    final class Entry: @unchecked Sendable {
        let subscription: Subscription
        let seq: Int64
        let facts: SubscriptionFacts
        init(_ subscription: Subscription, seq: Int64) {
            self.subscription = subscription
            self.seq = seq
            facts = SubscriptionFacts(subscription)
        }
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// The newest change number known per subscription (from the feed and own writes): an older read is not cached.
    private var newest: [String: Int64] = [:]
    /// Bumped when everything is dropped; a read begun under an older generation is not cached.
    private var generation = 0
    private var watermark: Int64 = -1
    private var syncedAt: Date = .distantPast
    private var syncing = false
    let ttl: TimeInterval

    init(ttl: TimeInterval) { self.ttl = ttl }

    func currentGeneration() -> Int { lock.withLock { generation } }

    func get(_ id: String) -> Entry? {
        lock.withLock { entries[id] }
    }

    /// The watermark to read the change feed from, when a look is due and nobody else is looking.
    func claimSync(now: Date) -> Int64? {
        lock.withLock {
            guard !syncing, now.timeIntervalSince(syncedAt) >= ttl || now < syncedAt else { return nil }
            syncing = true
            return watermark
        }
    }

    /// `changes` nil: too many (or unknown) changes, drop everything.
    func finishSync(changes: [(String, Int64)]?, watermark new: Int64, failed: Bool = false) {
        lock.withLock {
            syncing = false
            if failed { return }
            if let changes {
                for (id, seq) in changes {
                    if let e = entries[id], e.seq < seq { entries[id] = nil }
                    if seq > newest[id] ?? -1 { newest[id] = seq }
                }
            } else {
                dropAll()
            }
            watermark = max(watermark, new)
            syncedAt = Date()
            if newest.count > 200_000 { dropAll() }
        }
    }

    /// Stores what a read returned (with the row's change number), unless something newer is known.
    func put(_ entry: Entry, generation readGeneration: Int) {
        let id = entry.subscription.id
        lock.withLock {
            guard readGeneration == generation, entry.seq >= newest[id] ?? -1, entry.seq >= entries[id]?.seq ?? -1 else { return }
            if entries.count > 200_000 { dropAll() }
            entries[id] = entry
        }
    }

    /// Stores a committed write.
    func store(_ s: Subscription, seq: Int64) {
        lock.withLock {
            if entries.count > 200_000 { dropAll() }
            entries[s.id] = Entry(s, seq: seq)
            if seq > newest[s.id] ?? -1 { newest[s.id] = seq }
        }
    }

    func invalidate(_ id: String) {
        lock.withLock { entries[id] = nil }
    }

    private func dropAll() {
        entries.removeAll()
        newest.removeAll()
        generation += 1
    }
}
