import Foundation
import MercatoCore
import SQLKit

/// Usage events on SQL. `insert` is one transaction per call (the group commit's unit), multi-row INSERTs with
/// `ON CONFLICT DO NOTHING RETURNING`, then one read of the rows that already held a key.
public struct SQLUsageRepository: UsageRepository {
    let db: Database

    public init(db: Database) {
        self.db = db
    }

    static let columns = "hour, resource_id, dimension, usage_event_id, quantity, quantity_text, effective_start_time, effective_at, plan_id, publisher_id, offer_id, message_time, resource_uri, azure_subscription_id, recon_status, quantity_micros"

    /// On SQLite the usage writer groups concurrent inserts itself.
    public var groupCommits: Int? { db.usageWriter?.commits }

    /// Rows per INSERT statement on PostgreSQL.
    static let rowsPerStatement = 5_000

    public func insert(_ records: [UsageRecord]) async throws -> [UsageRecord?] {
        if let writer = db.usageWriter { return try await writer.insert(records) }
        // PostgreSQL from here (every SQLite database has its usage writer); `db.sql` is the one pool there.
        guard db.kind == .postgres else { throw StorageError.corrupt("SQLite usage events must go through the usage writer") }
        let inserted = InsertedIDs()
        let collect: @Sendable (any SQLRow) -> Void = { row in
            if let id = try? row.decode(column: "usage_event_id", as: String.self) { inserted.insert(id) }
        }
        if records.count <= Self.rowsPerStatement {
            // One statement is atomic on its own: no BEGIN/COMMIT round trips for a group commit.
            try await db.sql.execute(sql: UsageRowsInsert(records: records[...]), collect)
        } else {
            try await db.write { tx in
                for start in stride(from: 0, to: records.count, by: Self.rowsPerStatement) {
                    try await tx.execute(sql: UsageRowsInsert(records: records[start..<min(start + Self.rowsPerStatement, records.count)]), collect)
                }
            }
        }
        // Holders of refused keys: committed rows (usage rows are never deleted), so read after the insert.
        let stored = inserted.ids
        let conflicts = records.filter { !stored.contains($0.usageEventId) }
        var existing: [String: UsageRecord] = [:]
        for chunk in stride(from: 0, to: conflicts.count, by: 200).map({ Array(conflicts[$0..<min($0 + 200, conflicts.count)]) }) {
            var q = SQLQueryString("SELECT * FROM usage_events WHERE ")
            for (i, r) in chunk.enumerated() {
                if i > 0 { q = q + " OR " }
                q = q + "(hour = \(bind: r.hour) AND resource_id = \(bind: r.resourceId) AND dimension = \(bind: r.dimension))"
            }
            for row in try await db.sql.raw(q).all() {
                let rec = try Self.record(row)
                existing["\(rec.hour)|\(rec.resourceId)|\(rec.dimension)"] = rec
            }
        }
        return try records.map { r -> UsageRecord? in
            if stored.contains(r.usageEventId) { return nil }
            guard let holder = existing["\(r.hour)|\(r.resourceId)|\(r.dimension)"] else {
                throw StorageError.corrupt("usage event \(r.usageEventId) was neither stored nor found as a duplicate")
            }
            return holder
        }
    }

    /// The end (epoch hour) of the last closed billing period: usage before it has been rated.
    func reconciledThrough() async throws -> Int64 {
        let periods = try await db.sql.raw("SELECT period FROM billing_periods").all().compactMap { BillingPeriod(try $0.decode(column: "period", as: String.self)) }
        return periods.max().map { Int64($0.end.timeIntervalSince1970 / 3600) } ?? Int64.min
    }

    /// Stored status, except that Submitted events of closed periods are Accepted (the billing run rated them).
    static func reconciled(_ records: [UsageRecord], through hour: Int64) -> [UsageRecord] {
        records.map { r in
            var r = r
            if r.reconStatus == "Submitted" && r.hour < hour { r.reconStatus = "Accepted" }
            return r
        }
    }

    public func records(publisherId: String, from: Date, to: Date) async throws -> [UsageRecord] {
        let through = try await reconciledThrough()
        return Self.reconciled(try await db.sql.raw("""
            SELECT * FROM usage_events WHERE publisher_id = \(bind: publisherId) AND hour >= \(bind: MeteringRules.hour(from)) AND hour < \(bind: MeteringRules.hour(to) + 1)
            ORDER BY hour, resource_id, dimension
            """).all().map(Self.record), through: through)
    }

    public func allRecords(from: Date, to: Date) async throws -> [UsageRecord] {
        try await db.sql.raw("""
            SELECT * FROM usage_events WHERE hour >= \(bind: MeteringRules.hour(from)) AND hour < \(bind: MeteringRules.hour(to) + 1)
            ORDER BY hour, resource_id, dimension
            """).all().map(Self.record)
    }

    static func record(_ row: any SQLRow) throws -> UsageRecord {
        UsageRecord(
            usageEventId: try row.decode(column: "usage_event_id", as: String.self), hour: try row.decode(column: "hour", as: Int64.self),
            resourceId: try row.decode(column: "resource_id", as: String.self), resourceUri: try row.decode(column: "resource_uri", as: String?.self),
            dimension: try row.decode(column: "dimension", as: String.self),
            quantity: Decimal(decimalText: try row.decode(column: "quantity", as: String.self)) ?? 0,
            quantityText: try row.decode(column: "quantity_text", as: String.self),
            effectiveStartTime: try row.decode(column: "effective_start_time", as: String.self),
            effectiveAt: Date(millis: try row.decode(column: "effective_at", as: Int64.self)), planId: try row.decode(column: "plan_id", as: String.self),
            publisherId: try row.decode(column: "publisher_id", as: String.self), offerId: try row.decode(column: "offer_id", as: String.self),
            messageTime: Date(millis: try row.decode(column: "message_time", as: Int64.self)),
            azureSubscriptionId: try row.decode(column: "azure_subscription_id", as: String.self),
            reconStatus: try row.decode(column: "recon_status", as: String.self))
    }
}

/// Usage events as one INSERT … SELECT FROM unnest(arrays) on PostgreSQL: one column array per bind, so the statement
/// text is the same for every batch size — PostgreSQL parses and plans a short statement instead of a VALUES list of
/// thousands of parameters, and the driver encodes 15 arrays instead of 12 binds per row. (SQLite never comes here:
/// its usage writer inserts with a prepared statement.)
struct UsageRowsInsert: SQLExpression {
    let records: ArraySlice<UsageRecord>

    func serialize(to s: inout SQLSerializer) {
        let quantities = records.map(\.storedQuantity)
        s.write("INSERT INTO usage_events (\(SQLUsageRepository.columns)) SELECT h, r, d, e, q, qt, est, ea, pl, pu, o, mt, NULLIF(uri, ''), az, 'Submitted', qm FROM unnest(")
        s.write(bind: records.map(\.hour)); s.write("::bigint[], ")
        s.write(bind: records.map(\.resourceId)); s.write("::text[], ")
        s.write(bind: records.map(\.dimension)); s.write("::text[], ")
        s.write(bind: records.map(\.usageEventId)); s.write("::text[], ")
        s.write(bind: quantities.map(\.text)); s.write("::text[], ")
        s.write(bind: records.map(\.quantityText)); s.write("::text[], ")
        s.write(bind: records.map(\.effectiveStartTime)); s.write("::text[], ")
        s.write(bind: records.map(\.effectiveAt.millis)); s.write("::bigint[], ")
        s.write(bind: records.map(\.planId)); s.write("::text[], ")
        s.write(bind: records.map(\.publisherId)); s.write("::text[], ")
        s.write(bind: records.map(\.offerId)); s.write("::text[], ")
        s.write(bind: records.map(\.messageTime.millis)); s.write("::bigint[], ")
        s.write(bind: records.map { $0.resourceUri ?? "" }); s.write("::text[], ")
        s.write(bind: records.map(\.azureSubscriptionId)); s.write("::text[], ")
        s.write(bind: quantities.map(\.micros)); s.write("::bigint[]")
        s.write(") AS u(h, r, d, e, q, qt, est, ea, pl, pu, o, mt, uri, az, qm) ON CONFLICT (hour, resource_id, dimension) DO NOTHING RETURNING usage_event_id")
    }
}

/// The IDs a RETURNING clause reported (filled from the row callback).
final class InsertedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Set<String>()
    func insert(_ id: String) { lock.withLock { _ = stored.insert(id) } }
    var ids: Set<String> { lock.withLock { stored } }
}
