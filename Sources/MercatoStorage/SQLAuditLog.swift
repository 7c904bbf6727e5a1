import Foundation
import MercatoCore
import SQLKit

/// The audit log on SQL (GOV-AUD-01/03). Appends lock the chain head, seal the entry after the current last
/// record and insert it — inside the caller's transaction when the entry belongs to a state change.
public struct SQLAuditLog: AuditLog {
    let db: Database
    let chain: AuditChain

    public init(db: Database, chain: AuditChain) {
        self.db = db
        self.chain = chain
    }

    @discardableResult
    public func append(_ entry: AuditEntry) async throws -> AuditRecord {
        try await db.write { tx in try await self.append(entry, in: tx) }
    }

    /// Appends within an open transaction `tx`.
    @discardableResult
    public func append(_ entry: AuditEntry, in tx: any SQLDatabase) async throws -> AuditRecord {
        guard let head = try await tx.raw(SQLQueryString("SELECT seq, hash FROM audit_head WHERE id = 1" + db.forUpdate)).first() else {
            throw StorageError.corrupt("audit_head row is missing")
        }
        let seq = try head.decode(column: "seq", as: Int64.self)
        let hash = try head.decode(column: "hash", as: String.self)
        let record = chain.seal(entry, after: seq == 0 ? nil : (seq, hash))
        let e = record.entry
        try await tx.raw("""
            INSERT INTO audit_log (seq, event_id, time, actor_type, actor_id, on_behalf_of, publisher_id, action,
                target_type, target_id, before_state, after_state, decision, reason, correlation_id, request_id,
                source_ip, platform_version, prev_hash, hash)
            VALUES (\(bind: record.sequence), \(bind: e.eventId), \(bind: e.time.millis), \(bind: e.actorType.rawValue),
                \(bind: e.actorId), \(bind: e.onBehalfOf), \(bind: e.publisherId), \(bind: e.action), \(bind: e.targetType),
                \(bind: e.targetId), \(bind: e.before), \(bind: e.after), \(bind: e.decision.rawValue), \(bind: e.reason),
                \(bind: e.correlationId), \(bind: e.requestId), \(bind: e.sourceIP), \(bind: e.platformVersion),
                \(bind: record.previousHash), \(bind: record.hash))
            """).run()
        try await tx.raw("UPDATE audit_head SET seq = \(bind: record.sequence), hash = \(bind: record.hash) WHERE id = 1").run()
        return record
    }

    public func records(publisherId: String?, afterSequence: Int64, limit: Int) async throws -> [AuditRecord] {
        let rows: [any SQLRow]
        if let publisherId {
            rows = try await db.sql.raw("""
                SELECT * FROM audit_log WHERE publisher_id = \(bind: publisherId) AND seq > \(bind: afterSequence)
                ORDER BY seq LIMIT \(bind: limit)
                """).all()
        } else {
            rows = try await db.sql.raw("SELECT * FROM audit_log WHERE seq > \(bind: afterSequence) ORDER BY seq LIMIT \(bind: limit)").all()
        }
        return try rows.map(Self.record)
    }

    /// Walks the whole chain in pages and checks every link and hash, and the head.
    public func verify() async throws -> AuditVerification {
        var all: [AuditRecord] = []
        var after: Int64 = 0
        while true {
            let page = try await records(publisherId: nil, afterSequence: after, limit: 5_000)
            all += page
            guard let last = page.last, page.count == 5_000 else { break }
            after = last.sequence
        }
        let head = try await db.sql.raw("SELECT seq, hash FROM audit_head WHERE id = 1").first()
        let headValue = try head.map { (try $0.decode(column: "seq", as: Int64.self), try $0.decode(column: "hash", as: String.self)) }
        return chain.verify(all, head: headValue.flatMap { $0.0 == 0 ? nil : $0 })
    }

    static func record(_ row: any SQLRow) throws -> AuditRecord {
        func s(_ c: String) throws -> String { try row.decode(column: c, as: String.self) }
        func o(_ c: String) throws -> String? { try row.decode(column: c, as: String?.self) }
        let entry = AuditEntry(
            eventId: try s("event_id"), time: Date(millis: try row.decode(column: "time", as: Int64.self)),
            actorType: AuditEntry.ActorType(rawValue: try s("actor_type")) ?? .system, actorId: try s("actor_id"),
            onBehalfOf: try o("on_behalf_of"), publisherId: try o("publisher_id"), action: try s("action"),
            targetType: try s("target_type"), targetId: try s("target_id"), before: try o("before_state"),
            after: try o("after_state"), decision: AuditEntry.Decision(rawValue: try s("decision")) ?? .allowed,
            reason: try o("reason"), correlationId: try o("correlation_id"), requestId: try o("request_id"),
            sourceIP: try o("source_ip"), platformVersion: try s("platform_version"))
        return AuditRecord(sequence: try row.decode(column: "seq", as: Int64.self), entry: entry,
                           previousHash: try s("prev_hash"), hash: try s("hash"))
    }
}
