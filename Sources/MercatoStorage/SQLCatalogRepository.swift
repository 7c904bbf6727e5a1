import Foundation
import MercatoCore
import SQLKit

/// `CatalogRepository` on SQL (one implementation for SQLite and PostgreSQL).
public struct SQLCatalogRepository: CatalogRepository {
    let db: Database
    let audit: SQLAuditLog
    let documents = OfferDocumentCache()

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .millisecondsSince1970
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .millisecondsSince1970
        return d
    }()

    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try decoder.decode(T.self, from: Data(text.utf8)) }

    public func create(_ r: OfferRecord, history: [OfferHistoryEvent], audit entry: AuditEntry) async throws {
        try await db.write { tx in
            if try await tx.raw("SELECT offer_id FROM offers WHERE publisher_id = \(bind: r.publisherId) AND offer_id = \(bind: r.offerId)").first() != nil {
                throw DomainError.conflict(reason: "offer ID '\(r.offerId)' is already used in this account")
            }
            let app = Self.app(r)
            try await tx.raw("""
                INSERT INTO offers (publisher_id, offer_id, type, status, state_json, draft_json, preview_json, live_json, version,
                                    aad_tenant_id, aad_app_id, created_at, updated_at)
                VALUES (\(bind: r.publisherId), \(bind: r.offerId), \(bind: r.type.rawValue), \(bind: r.state.status.rawValue),
                        \(bind: try Self.json(r.state)), \(bind: try Self.json(r.draft)), \(bind: try r.preview.map(Self.json)),
                        \(bind: try r.live.map(Self.json)), \(bind: r.version), \(bind: app?.0), \(bind: app?.1),
                        \(bind: r.createdAt.millis), \(bind: r.updatedAt.millis))
                """).run()
            try await Self.appendHistory(history, r.publisherId, r.offerId, tx)
            try await self.audit.append(entry, in: tx)
        }
    }

    /// The (tenant, app) a record's newest slot names, lowercased.
    static func app(_ r: OfferRecord) -> (String, String)? {
        guard let t = r.draft.technicalConfiguration ?? r.live?.technicalConfiguration else { return nil }
        return (t.aadTenantId.lowercased(), t.aadAppId.lowercased())
    }

    public func offer(publisherId: String, offerId: String) async throws -> OfferRecord? {
        try await db.sql.raw("SELECT * FROM offers WHERE publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId)").first().map(record)
    }

    public func offers(publisherId: String) async throws -> [OfferRecord] {
        try await db.sql.raw("SELECT * FROM offers WHERE publisher_id = \(bind: publisherId) ORDER BY offer_id").all().map(record)
    }

    public func publishedOffers() async throws -> [OfferRecord] {
        try await db.sql.raw("SELECT * FROM offers WHERE live_json IS NOT NULL OR preview_json IS NOT NULL ORDER BY publisher_id, offer_id").all().map(record)
    }

    public func update(_ r: OfferRecord, expectedVersion: Int64, history: [OfferHistoryEvent], audit entry: AuditEntry?) async throws -> OfferRecord {
        try await db.write { tx in
            var next = r
            next.version = expectedVersion + 1
            let app = Self.app(r)
            let changed = try await tx.raw("""
                UPDATE offers SET status = \(bind: r.state.status.rawValue), state_json = \(bind: try Self.json(r.state)),
                    draft_json = \(bind: try Self.json(r.draft)), preview_json = \(bind: try r.preview.map(Self.json)),
                    live_json = \(bind: try r.live.map(Self.json)), version = \(bind: next.version),
                    aad_tenant_id = \(bind: app?.0), aad_app_id = \(bind: app?.1), updated_at = \(bind: r.updatedAt.millis)
                WHERE publisher_id = \(bind: r.publisherId) AND offer_id = \(bind: r.offerId) AND version = \(bind: expectedVersion)
                RETURNING version
                """).all()
            guard !changed.isEmpty else {
                throw DomainError.preconditionFailed(reason: "offer '\(r.offerId)' changed since it was read; reload and retry")
            }
            try await Self.appendHistory(history, r.publisherId, r.offerId, tx)
            if let entry { try await self.audit.append(entry, in: tx) }
            return next
        }
    }

    public func delete(publisherId: String, offerId: String, expectedVersion: Int64, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            let gone = try await tx.raw("""
                DELETE FROM offers WHERE publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId) AND version = \(bind: expectedVersion)
                RETURNING offer_id
                """).all()
            guard !gone.isEmpty else { throw DomainError.preconditionFailed(reason: "offer '\(offerId)' changed since it was read") }
            try await tx.raw("DELETE FROM offer_history WHERE publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId)").run()
            try await tx.raw("DELETE FROM publish_operations WHERE publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId)").run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func history(publisherId: String, offerId: String) async throws -> [OfferHistoryEvent] {
        try await db.sql.raw("SELECT * FROM offer_history WHERE publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId) ORDER BY seq").all().map {
            OfferHistoryEvent(time: Date(millis: try $0.decode(column: "time", as: Int64.self)), event: try $0.decode(column: "event", as: String.self),
                              initiatedBy: try $0.decode(column: "initiated_by", as: String?.self), details: try $0.decode(column: "details", as: String?.self))
        }
    }

    static func appendHistory(_ events: [OfferHistoryEvent], _ publisherId: String, _ offerId: String, _ tx: any SQLDatabase) async throws {
        guard !events.isEmpty else { return }
        let row = try await tx.raw("SELECT COALESCE(MAX(seq), 0) AS seq FROM offer_history WHERE publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId)").first()
        var seq = try row?.decode(column: "seq", as: Int64.self) ?? 0
        for e in events {
            seq += 1
            try await tx.raw("""
                INSERT INTO offer_history (publisher_id, offer_id, seq, time, event, initiated_by, details)
                VALUES (\(bind: publisherId), \(bind: offerId), \(bind: seq), \(bind: e.time.millis), \(bind: e.event), \(bind: e.initiatedBy), \(bind: e.details))
                """).run()
        }
    }

    public func offersUsingApp(tenantId: String, appId: String) async throws -> [(publisherId: String, offerId: String)] {
        try await db.sql.raw("SELECT publisher_id, offer_id FROM offers WHERE aad_tenant_id = \(bind: tenantId) AND aad_app_id = \(bind: appId)").all().map {
            (try $0.decode(column: "publisher_id", as: String.self), try $0.decode(column: "offer_id", as: String.self))
        }
    }

    public func offersUsingAnyApp(publisherId: String) async throws -> [(offerId: String, appId: String)] {
        try await db.sql.raw("SELECT offer_id, aad_app_id FROM offers WHERE publisher_id = \(bind: publisherId) AND aad_app_id IS NOT NULL").all().map {
            (try $0.decode(column: "offer_id", as: String.self), try $0.decode(column: "aad_app_id", as: String.self))
        }
    }

    func record(_ row: any SQLRow) throws -> OfferRecord {
        let publisherId = try row.decode(column: "publisher_id", as: String.self), offerId = try row.decode(column: "offer_id", as: String.self)
        func document(_ slot: OfferDocumentCache.Slot, _ text: String) throws -> Offer {
            try documents.offer(.init(publisherId: publisherId, offerId: offerId, slot: slot), text: text) { try Self.decode(Offer.self, $0) }
        }
        return OfferRecord(
            publisherId: publisherId, offerId: offerId,
            type: OfferType(rawValue: try row.decode(column: "type", as: String.self)) ?? .saas,
            state: try Self.decode(WorkflowState.self, try row.decode(column: "state_json", as: String.self)),
            draft: try document(.draft, try row.decode(column: "draft_json", as: String.self)),
            preview: try row.decode(column: "preview_json", as: String?.self).map { try document(.preview, $0) },
            live: try row.decode(column: "live_json", as: String?.self).map { try document(.live, $0) },
            version: try row.decode(column: "version", as: Int64.self),
            createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)),
            updatedAt: Date(millis: try row.decode(column: "updated_at", as: Int64.self)))
    }

    // MARK: Operations

    public func createOperation(_ op: PublishOperation) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO publish_operations (id, publisher_id, offer_id, kind, status, operation_json, created_at, updated_at, claimed_until)
                VALUES (\(bind: op.id), \(bind: op.publisherId), \(bind: op.offerId), \(bind: op.kind.rawValue), \(bind: op.status.rawValue),
                        \(bind: try Self.json(op)), \(bind: op.createdAt.millis), \(bind: op.updatedAt.millis), NULL)
                """).run()
        }
    }

    public func operation(id: String) async throws -> PublishOperation? {
        try await db.sql.raw("SELECT operation_json FROM publish_operations WHERE id = \(bind: id)").first().map {
            try Self.decode(PublishOperation.self, try $0.decode(column: "operation_json", as: String.self))
        }
    }

    public func operations(publisherId: String, offerId: String) async throws -> [PublishOperation] {
        try await db.sql.raw("""
            SELECT operation_json FROM publish_operations WHERE publisher_id = \(bind: publisherId) AND offer_id = \(bind: offerId) ORDER BY created_at, id
            """).all().map { try Self.decode(PublishOperation.self, try $0.decode(column: "operation_json", as: String.self)) }
    }

    public func saveOperation(_ op: PublishOperation) async throws {
        try await db.write { tx in
            try await tx.raw("""
                UPDATE publish_operations SET status = \(bind: op.status.rawValue), operation_json = \(bind: try Self.json(op)),
                    updated_at = \(bind: op.updatedAt.millis), claimed_until = NULL
                WHERE id = \(bind: op.id)
                """).run()
        }
    }

    public func claimPendingOperations(limit: Int, now: Date, lease: TimeInterval) async throws -> [PublishOperation] {
        try await db.write { tx in
            let lock = db.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            let rows = try await tx.raw(SQLQueryString("""
                SELECT id, operation_json FROM publish_operations
                WHERE status IN ('NotStarted', 'Running') AND (claimed_until IS NULL OR claimed_until < 
                """) + "\(bind: now.millis)) ORDER BY created_at LIMIT \(bind: limit)" + SQLQueryString(lock)).all()
            var ops: [PublishOperation] = []
            for row in rows {
                let id = try row.decode(column: "id", as: String.self)
                try await tx.raw("UPDATE publish_operations SET claimed_until = \(bind: now.addingTimeInterval(lease).millis) WHERE id = \(bind: id)").run()
                ops.append(try Self.decode(PublishOperation.self, try row.decode(column: "operation_json", as: String.self)))
            }
            return ops
        }
    }
}
