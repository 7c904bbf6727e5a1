import Foundation
import MercatoCore
import SQLKit

public struct SQLPrivateOfferRepository: PrivateOfferRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    public func save(_ o: PrivateOffer, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO private_offers (id, publisher_id, offer_id, customer_tenant_id, created_at, offer_json)
                VALUES (\(bind: o.id), \(bind: o.publisherId), \(bind: o.offerId), \(bind: o.customerTenantId), \(bind: o.createdAt.millis), \(bind: try SQLCatalogRepository.json(o)))
                ON CONFLICT (id) DO UPDATE SET offer_json = excluded.offer_json
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    static func decode(_ rows: [any SQLRow]) throws -> [PrivateOffer] {
        try rows.map { try SQLCatalogRepository.decode(PrivateOffer.self, try $0.decode(column: "offer_json", as: String.self)) }
    }

    public func privateOffer(id: String) async throws -> PrivateOffer? {
        try Self.decode(try await db.sql.raw("SELECT offer_json FROM private_offers WHERE id = \(bind: id)").all()).first
    }

    public func privateOffers(publisherId: String) async throws -> [PrivateOffer] {
        try Self.decode(try await db.sql.raw("SELECT offer_json FROM private_offers WHERE publisher_id = \(bind: publisherId) ORDER BY created_at, id").all())
    }

    public func privateOffers(customerTenantId: String, publisherId: String, offerId: String) async throws -> [PrivateOffer] {
        try Self.decode(try await db.sql.raw("""
            SELECT offer_json FROM private_offers
            WHERE customer_tenant_id = \(bind: customerTenantId.lowercased()) AND publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId)
            ORDER BY created_at, id
            """).all())
    }
}
