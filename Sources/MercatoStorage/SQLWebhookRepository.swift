import Foundation
import MercatoCore
import SQLKit

/// The webhook outbox on SQL.
public struct SQLWebhookRepository: WebhookRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    static func json<T: Encodable>(_ v: T) throws -> String { try SQLCatalogRepository.json(v) }
    static func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T { try SQLCatalogRepository.decode(t, s) }

    /// Inserts an outbox row inside the caller's transaction; `seq` orders deliveries created in the same instant.
    static func insert(_ d: WebhookDelivery, _ tx: any SQLDatabase) async throws {
        try await tx.raw("""
            INSERT INTO webhook_deliveries (id, seq, publisher_id, offer_id, subscription_id, operation_id, action, status, attempts,
                                            next_attempt_at, created_at, delivered_at, claimed_until, delivery_json)
            VALUES (\(bind: d.id), (SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_deliveries), \(bind: d.publisherId), \(bind: d.offerId),
                    \(bind: d.subscriptionId), \(bind: d.operationId), \(bind: d.action.rawValue), \(bind: d.status.rawValue), \(bind: d.attempts),
                    \(bind: d.nextAttemptAt.millis), \(bind: d.createdAt.millis), NULL, NULL, \(bind: try json(d)))
            """).run()
    }

    public func claimDue(now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery] {
        try await db.write { tx in
            let lock = db.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            // Per-subscription ordering: only the oldest pending delivery of a subscription may go.
            let rows = try await tx.raw(SQLQueryString("""
                SELECT d.id, d.delivery_json FROM webhook_deliveries d
                WHERE d.status = 'Pending' AND d.next_attempt_at <= 
                """) + "\(bind: now.millis)" + SQLQueryString("""
                 AND (d.claimed_until IS NULL OR d.claimed_until < 
                """) + "\(bind: now.millis)" + SQLQueryString("""
                ) AND NOT EXISTS (
                    SELECT 1 FROM webhook_deliveries e WHERE e.subscription_id = d.subscription_id AND e.status = 'Pending'
                    AND (e.created_at < d.created_at OR (e.created_at = d.created_at AND e.seq < d.seq)))
                ORDER BY d.next_attempt_at, d.seq LIMIT 
                """) + "\(bind: limit)" + SQLQueryString(lock)).all()
            var out: [WebhookDelivery] = []
            for row in rows {
                let id = try row.decode(column: "id", as: String.self)
                try await tx.raw("UPDATE webhook_deliveries SET claimed_until = \(bind: now.addingTimeInterval(lease).millis) WHERE id = \(bind: id)").run()
                out.append(try Self.decode(WebhookDelivery.self, try row.decode(column: "delivery_json", as: String.self)))
            }
            return out
        }
    }

    public func record(_ a: WebhookAttempt, delivery d: WebhookDelivery) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO webhook_attempts (delivery_id, number, at, status_code, error, latency_ms, injected_fault)
                VALUES (\(bind: a.deliveryId), \(bind: a.number), \(bind: a.at.millis), \(bind: a.statusCode), \(bind: a.error),
                        \(bind: a.latencyMilliseconds), \(bind: a.injectedFault))
                """).run()
            try await tx.raw("""
                UPDATE webhook_deliveries SET status = \(bind: d.status.rawValue), attempts = \(bind: d.attempts),
                    next_attempt_at = \(bind: d.nextAttemptAt.millis), delivered_at = \(bind: d.deliveredAt?.millis), claimed_until = NULL,
                    delivery_json = \(bind: try Self.json(d))
                WHERE id = \(bind: d.id)
                """).run()
        }
    }

    public func delivery(id: String) async throws -> WebhookDelivery? {
        try await db.sql.raw("SELECT delivery_json FROM webhook_deliveries WHERE id = \(bind: id)").first().map {
            try Self.decode(WebhookDelivery.self, try $0.decode(column: "delivery_json", as: String.self))
        }
    }

    public func deliveries(publisherId: String, subscriptionId: String?, limit: Int) async throws -> [WebhookDelivery] {
        let rows: [any SQLRow]
        if let subscriptionId {
            rows = try await db.sql.raw("""
                SELECT delivery_json FROM webhook_deliveries WHERE publisher_id = \(bind: publisherId) AND subscription_id = \(bind: subscriptionId)
                ORDER BY created_at, seq LIMIT \(bind: limit)
                """).all()
        } else {
            rows = try await db.sql.raw("""
                SELECT delivery_json FROM webhook_deliveries WHERE publisher_id = \(bind: publisherId) ORDER BY created_at, seq LIMIT \(bind: limit)
                """).all()
        }
        return try rows.map { try Self.decode(WebhookDelivery.self, try $0.decode(column: "delivery_json", as: String.self)) }
    }

    public func attempts(deliveryId: String) async throws -> [WebhookAttempt] {
        try await db.sql.raw("SELECT * FROM webhook_attempts WHERE delivery_id = \(bind: deliveryId) ORDER BY number").all().map {
            WebhookAttempt(deliveryId: try $0.decode(column: "delivery_id", as: String.self), number: try $0.decode(column: "number", as: Int.self),
                           at: Date(millis: try $0.decode(column: "at", as: Int64.self)), statusCode: try $0.decode(column: "status_code", as: Int?.self),
                           error: try $0.decode(column: "error", as: String?.self), latencyMilliseconds: try $0.decode(column: "latency_ms", as: Int.self),
                           injectedFault: try $0.decode(column: "injected_fault", as: String?.self))
        }
    }

    public func replay(id: String, now: Date, audit entry: AuditEntry) async throws -> WebhookDelivery {
        try await db.write { tx in
            guard let row = try await tx.raw("SELECT delivery_json FROM webhook_deliveries WHERE id = \(bind: id)").first() else {
                throw DomainError.notFound(kind: "webhook delivery", id: id)
            }
            var d = try Self.decode(WebhookDelivery.self, try row.decode(column: "delivery_json", as: String.self))
            d.status = .pending
            d.nextAttemptAt = now
            d.deliveredAt = nil
            // A replay gets a fresh 8-hour window and goes to the back of its subscription's queue.
            d.createdAt = now
            d.firstAttemptAt = nil
            try await tx.raw("""
                UPDATE webhook_deliveries SET status = 'Pending', next_attempt_at = \(bind: now.millis), delivered_at = NULL, claimed_until = NULL,
                    created_at = \(bind: now.millis), seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_deliveries), delivery_json = \(bind: try Self.json(d))
                WHERE id = \(bind: id)
                """).run()
            try await self.audit.append(entry, in: tx)
            return d
        }
    }
}
