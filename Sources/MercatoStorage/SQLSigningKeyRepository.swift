import Foundation
import MercatoCore
import SQLKit

/// Signing keys on SQL. Private keys are stored as PEM: whoever can read the database can mint tokens, so protect
/// the database file / credentials accordingly (noted in README).
public struct SQLSigningKeyRepository: SigningKeyRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    public func allKeys() async throws -> [SigningKeyRecord] {
        try await db.sql.raw("SELECT * FROM signing_keys ORDER BY serial").all().map {
            SigningKeyRecord(kid: try $0.decode(column: "kid", as: String.self),
                             privateKeyPEM: try $0.decode(column: "private_key_pem", as: String.self),
                             publicKeyPEM: try $0.decode(column: "public_key_pem", as: String.self),
                             createdAt: Date(millis: try $0.decode(column: "created_at", as: Int64.self)),
                             retiredAt: try $0.decode(column: "retired_at", as: Int64?.self).map(Date.init(millis:)))
        }
    }

    public func insert(_ key: SigningKeyRecord, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO signing_keys (kid, private_key_pem, public_key_pem, created_at, retired_at, serial)
                VALUES (\(bind: key.kid), \(bind: key.privateKeyPEM), \(bind: key.publicKeyPEM), \(bind: key.createdAt.millis),
                        \(bind: key.retiredAt?.millis), (SELECT COALESCE(MAX(serial), 0) + 1 FROM signing_keys))
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func retire(kid: String, at: Date, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            guard try await tx.raw("SELECT kid FROM signing_keys WHERE kid = \(bind: kid) AND retired_at IS NULL").first() != nil else {
                throw DomainError.notFound(kind: "active signing key", id: kid)
            }
            try await tx.raw("UPDATE signing_keys SET retired_at = \(bind: at.millis) WHERE kid = \(bind: kid)").run()
            try await self.audit.append(entry, in: tx)
        }
    }
}
