import Foundation
import MercatoCore
import SQLKit

/// Passwords and browser sessions on SQL (migration 11; publisher users since migration 12). Each realm keeps its
/// passwords in its own table, so a customer's user ID can never unlock the portal or the other way round.
public struct SQLWebSessionRepository: WebSessionRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    static func passwordTable(_ realm: WebSession.Realm) -> String {
        switch realm { case .customer: "customer_passwords"; case .publisher: "publisher_passwords" }
    }

    public func setPasswordHash(userId: String, realm: WebSession.Realm, hash: String, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO \(unsafeRaw: Self.passwordTable(realm)) (user_id, password_hash, updated_at) VALUES (\(bind: userId), \(bind: hash), \(bind: entry.time.millis))
                ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at
                """).run()
            // A new password ends every session of that user.
            try await tx.raw("DELETE FROM web_sessions WHERE user_id = \(bind: userId) AND realm = \(bind: realm.rawValue)").run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func passwordHash(userId: String, realm: WebSession.Realm) async throws -> String? {
        try await db.sql.raw("SELECT password_hash FROM \(unsafeRaw: Self.passwordTable(realm)) WHERE user_id = \(bind: userId)").first()?
            .decode(column: "password_hash", as: String.self)
    }

    public func create(_ s: WebSession) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO web_sessions (realm, id_hash, user_id, tenant_id, email, display_name, csrf_token, created_at, expires_at)
                VALUES (\(bind: s.realm.rawValue), \(bind: s.idHash), \(bind: s.userId), \(bind: s.tenantId), \(bind: s.email), \(bind: s.displayName), \(bind: s.csrfToken),
                        \(bind: s.createdAt.millis), \(bind: s.expiresAt.millis))
                """).run()
            try await tx.raw("DELETE FROM web_sessions WHERE expires_at < \(bind: s.createdAt.millis)").run()
        }
    }

    public func session(idHash: String) async throws -> WebSession? {
        try await db.sql.raw("SELECT * FROM web_sessions WHERE id_hash = \(bind: idHash)").first().map { row in
            WebSession(realm: WebSession.Realm(rawValue: try row.decode(column: "realm", as: String.self)) ?? .customer,
                       idHash: try row.decode(column: "id_hash", as: String.self), userId: try row.decode(column: "user_id", as: String.self),
                       tenantId: try row.decode(column: "tenant_id", as: String.self), email: try row.decode(column: "email", as: String.self),
                       displayName: try row.decode(column: "display_name", as: String.self), csrfToken: try row.decode(column: "csrf_token", as: String.self),
                       createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)),
                       expiresAt: Date(millis: try row.decode(column: "expires_at", as: Int64.self)))
        }
    }

    public func delete(idHash: String) async throws {
        try await db.write { tx in try await tx.raw("DELETE FROM web_sessions WHERE id_hash = \(bind: idHash)").run() }
    }
}

/// Leads on SQL (migration 11): the lead as JSON, with its delivery state in columns for the dispatcher's claim.
public struct SQLLeadRepository: LeadRepository {
    let db: Database

    public init(db: Database) {
        self.db = db
    }

    public func insert(_ lead: Lead) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO leads (id, publisher_id, offer_id, status, next_attempt_at, created_at, lead_json)
                VALUES (\(bind: lead.id), \(bind: lead.publisherId), \(bind: lead.offerId), \(bind: lead.status.rawValue),
                        \(bind: lead.nextAttemptAt?.millis), \(bind: lead.createdAt.millis), \(bind: try SQLCatalogRepository.json(lead)))
                """).run()
        }
    }

    public func leads(publisherId: String, limit: Int) async throws -> [Lead] {
        try await db.sql.raw("""
            SELECT lead_json FROM leads WHERE publisher_id = \(bind: publisherId) ORDER BY created_at DESC, id LIMIT \(unsafeRaw: String(max(1, limit)))
            """).all().map { try SQLCatalogRepository.decode(Lead.self, try $0.decode(column: "lead_json", as: String.self)) }
    }

    public func claimDue(now: Date, lease: TimeInterval, limit: Int) async throws -> [Lead] {
        try await db.write { tx in
            let rows = try await tx.raw(SQLQueryString("""
                SELECT lead_json FROM leads WHERE status = 'Pending' AND next_attempt_at <= \(bind: now.millis)
                ORDER BY next_attempt_at LIMIT \(unsafeRaw: String(max(1, limit)))
                """) + SQLQueryString(db.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : "")).all()
            var claimed: [Lead] = []
            for row in rows {
                var lead = try SQLCatalogRepository.decode(Lead.self, try row.decode(column: "lead_json", as: String.self))
                lead.nextAttemptAt = now.addingTimeInterval(lease)
                try await tx.raw("UPDATE leads SET next_attempt_at = \(bind: lead.nextAttemptAt?.millis), lead_json = \(bind: try SQLCatalogRepository.json(lead)) WHERE id = \(bind: lead.id)").run()
                claimed.append(lead)
            }
            return claimed
        }
    }

    public func update(_ lead: Lead) async throws {
        try await db.write { tx in
            try await tx.raw("""
                UPDATE leads SET status = \(bind: lead.status.rawValue), next_attempt_at = \(bind: lead.nextAttemptAt?.millis),
                    lead_json = \(bind: try SQLCatalogRepository.json(lead)) WHERE id = \(bind: lead.id)
                """).run()
        }
    }
}
