import Foundation
import MercatoCore
import SQLKit

/// Usage anomalies on SQL; one per (resource, dimension, day), so detection runs are idempotent.
public struct SQLAnomalyRepository: AnomalyRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    public func insertNew(_ anomalies: [UsageAnomaly]) async throws -> [UsageAnomaly] {
        guard !anomalies.isEmpty else { return [] }
        return try await db.write { tx in
            var inserted: [UsageAnomaly] = []
            for a in anomalies {
                let rows = try await tx.raw("""
                    INSERT INTO usage_anomalies (id, publisher_id, resource_id, dimension, usage_day, state, first_flagged_at, anomaly_json)
                    VALUES (\(bind: a.id), \(bind: a.publisherId), \(bind: a.resourceId), \(bind: a.dimension), \(bind: Int64(a.usageDate.timeIntervalSince1970 / 86_400)),
                            \(bind: a.state.rawValue), \(bind: a.firstFlaggedAt.millis), \(bind: try SQLCatalogRepository.json(a)))
                    ON CONFLICT (resource_id, dimension, usage_day) DO NOTHING RETURNING id
                    """).all()
                if !rows.isEmpty { inserted.append(a) }
            }
            return inserted
        }
    }

    public func anomalies(publisherId: String, since: Date) async throws -> [UsageAnomaly] {
        try await db.sql.raw("""
            SELECT anomaly_json FROM usage_anomalies WHERE publisher_id = \(bind: publisherId) AND first_flagged_at >= \(bind: since.millis)
            ORDER BY usage_day DESC, id
            """).all().map { try SQLCatalogRepository.decode(UsageAnomaly.self, try $0.decode(column: "anomaly_json", as: String.self)) }
    }

    public func anomaly(id: String) async throws -> UsageAnomaly? {
        try await db.sql.raw("SELECT anomaly_json FROM usage_anomalies WHERE id = \(bind: id)").first().map {
            try SQLCatalogRepository.decode(UsageAnomaly.self, try $0.decode(column: "anomaly_json", as: String.self))
        }
    }

    public func save(_ a: UsageAnomaly, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("UPDATE usage_anomalies SET state = \(bind: a.state.rawValue), anomaly_json = \(bind: try SQLCatalogRepository.json(a)) WHERE id = \(bind: a.id)").run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func marked(from: Date, to: Date) async throws -> [UsageAnomaly] {
        try await db.sql.raw("SELECT anomaly_json FROM usage_anomalies WHERE state = 'MarkedAnomaly' ORDER BY id").all()
            .map { try SQLCatalogRepository.decode(UsageAnomaly.self, try $0.decode(column: "anomaly_json", as: String.self)) }
            .filter { a in a.actionTakenAt.map { $0 >= from && $0 < to } ?? false }
    }

    public func lastDetection() async throws -> Date? {
        try await db.sql.raw("SELECT last_run FROM marketplace_jobs WHERE name = 'anomaly-detection'").first().map {
            Date(millis: try $0.decode(column: "last_run", as: Int64.self))
        }
    }

    public func setLastDetection(_ date: Date) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO marketplace_jobs (name, last_run) VALUES ('anomaly-detection', \(bind: date.millis))
                ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run
                """).run()
        }
    }
}
