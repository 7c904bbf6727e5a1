import Foundation
import MercatoCore
import SQLKit

/// Fault rules on SQL.
public struct SQLFaultRepository: FaultRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    public func add(_ rule: FaultRule, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO fault_rules (id, publisher_id, rule_json, created_at)
                VALUES (\(bind: rule.id), \(bind: rule.publisherId), \(bind: try SQLCatalogRepository.json(rule)), \(bind: rule.createdAt.millis))
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func rules(publisherId: String?) async throws -> [FaultRule] {
        let rows = try await (publisherId.map { db.sql.raw("SELECT rule_json FROM fault_rules WHERE publisher_id = \(bind: $0) ORDER BY created_at, id") }
            ?? db.sql.raw("SELECT rule_json FROM fault_rules ORDER BY created_at, id")).all()
        return try rows.map { try SQLCatalogRepository.decode(FaultRule.self, try $0.decode(column: "rule_json", as: String.self)) }
    }

    public func remove(id: String, publisherId: String, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            let gone = try await tx.raw("DELETE FROM fault_rules WHERE id = \(bind: id) AND publisher_id = \(bind: publisherId) RETURNING id").all()
            guard !gone.isEmpty else { throw DomainError.notFound(kind: "fault rule", id: id) }
            try await self.audit.append(entry, in: tx)
        }
    }

    public func clear(publisherId: String, audit entry: AuditEntry) async throws -> Int {
        try await db.write { tx in
            let gone = try await tx.raw("DELETE FROM fault_rules WHERE publisher_id = \(bind: publisherId) RETURNING id").all()
            try await self.audit.append(entry, in: tx)
            return gone.count
        }
    }
}

/// The marketplace clock offset on SQL.
public struct SQLClockStore: ClockStore {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    public func offset() async throws -> TimeInterval {
        let row = try await db.sql.raw("SELECT offset_ms FROM marketplace_clock WHERE id = 1").first()
        return TimeInterval(try row?.decode(column: "offset_ms", as: Int64.self) ?? 0) / 1000
    }

    public func setOffset(_ seconds: TimeInterval, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            // Only forward: a concurrent, larger offset wins.
            try await tx.raw("""
                UPDATE marketplace_clock SET offset_ms = \(bind: Int64((seconds * 1000).rounded())), updated_at = \(bind: entry.time.millis)
                WHERE id = 1 AND offset_ms < \(bind: Int64((seconds * 1000).rounded()))
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }
}
