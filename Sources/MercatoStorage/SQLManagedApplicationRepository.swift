import Foundation
import MercatoCore
import SQLKit

/// Managed-application instances on SQL (migration 13): the instance as JSON, with the keys metering looks up by in
/// columns (the resource URI lower-cased, as Azure compares resource IDs case-insensitively).
public struct SQLManagedApplicationRepository: ManagedApplicationRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    public func create(_ app: ManagedApplication, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO managed_applications (usage_id, resource_uri_key, publisher_id, created_at, app_json)
                VALUES (\(bind: app.resourceUsageId), \(bind: app.resourceUri.lowercased()), \(bind: app.publisherId), \(bind: app.createdAt.millis),
                        \(bind: try SQLCatalogRepository.json(app)))
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func application(usageId: String) async throws -> ManagedApplication? {
        try await db.sql.raw("SELECT app_json FROM managed_applications WHERE usage_id = \(bind: usageId.lowercased())").first().map(Self.decode)
    }

    public func application(resourceUri: String) async throws -> ManagedApplication? {
        try await db.sql.raw("SELECT app_json FROM managed_applications WHERE resource_uri_key = \(bind: resourceUri.lowercased())").first().map(Self.decode)
    }

    public func applications(publisherId: String) async throws -> [ManagedApplication] {
        try await db.sql.raw("SELECT app_json FROM managed_applications WHERE publisher_id = \(bind: publisherId) ORDER BY created_at, usage_id").all().map(Self.decode)
    }

    public func applications(existingFrom from: Date, to: Date) async throws -> [ManagedApplication] {
        try await db.sql.raw("SELECT app_json FROM managed_applications WHERE created_at < \(bind: to.millis) ORDER BY created_at, usage_id").all()
            .map(Self.decode).filter { ($0.deletedAt ?? .distantFuture) > from }
    }

    public func markDeleted(usageId: String, at: Date, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            guard let row = try await tx.raw(SQLQueryString("SELECT app_json FROM managed_applications WHERE usage_id = \(bind: usageId)")
                                             + SQLQueryString(self.db.forUpdate)).first() else { return }
            var app = try Self.decode(row)
            guard app.deletedAt == nil else { return }
            app.deletedAt = at
            try await tx.raw("UPDATE managed_applications SET app_json = \(bind: try SQLCatalogRepository.json(app)) WHERE usage_id = \(bind: usageId)").run()
            try await self.audit.append(entry, in: tx)
        }
    }

    static func decode(_ row: any SQLRow) throws -> ManagedApplication {
        try SQLCatalogRepository.decode(ManagedApplication.self, try row.decode(column: "app_json", as: String.self))
    }
}
