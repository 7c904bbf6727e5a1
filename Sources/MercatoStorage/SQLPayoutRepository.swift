import Foundation
import MercatoCore
import SQLKit

/// Payout settings, payments and the earning → payment assignments on SQL.
public struct SQLPayoutRepository: PayoutRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    public func settings(publisherId: String) async throws -> PayoutSettings {
        try await db.sql.raw("SELECT settings_json FROM payout_settings WHERE publisher_id = \(bind: publisherId)").first().map {
            try SQLCatalogRepository.decode(PayoutSettings.self, try $0.decode(column: "settings_json", as: String.self))
        } ?? PayoutSettings(publisherId: publisherId)
    }

    public func save(_ settings: PayoutSettings, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                INSERT INTO payout_settings (publisher_id, settings_json) VALUES (\(bind: settings.publisherId), \(bind: try SQLCatalogRepository.json(settings)))
                ON CONFLICT (publisher_id) DO UPDATE SET settings_json = excluded.settings_json
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func runStage<R: Sendable>(_ stageKey: String, _ body: @escaping @Sendable (any PayoutTransaction) async throws -> R) async throws -> R? {
        try await db.write { tx -> R? in
            let claimed = try await tx.raw("""
                INSERT INTO payout_stages (stage_key, ran_at) VALUES (\(bind: stageKey), \(bind: Date().millis)) ON CONFLICT (stage_key) DO NOTHING RETURNING stage_key
                """).all()
            guard !claimed.isEmpty else { return nil }
            return try await body(SQLPayoutTransaction(tx: tx))
        }
    }

    public func payouts(publisherId: String?) async throws -> [Payout] {
        var q = SQLQueryString("SELECT payout_json FROM payouts")
        if let publisherId { q = q + " WHERE publisher_id = \(bind: publisherId)" }
        q = q + " ORDER BY month, payment_id"
        return try await db.sql.raw(q).all().map { try SQLCatalogRepository.decode(Payout.self, try $0.decode(column: "payout_json", as: String.self)) }
    }

    public func earnings(publisherId: String?) async throws -> [Earning] {
        var q = SQLQueryString("SELECT * FROM earnings")
        if let publisherId { q = q + " WHERE publisher_id = \(bind: publisherId)" }
        q = q + " ORDER BY transaction_date, earning_id"
        return try await db.sql.raw(q).all().map(Self.earning)
    }

    public func paymentAssignments(publisherId: String?) async throws -> [String: String] {
        var q = SQLQueryString("SELECT i.earning_id, i.payment_id FROM payout_items i")
        if let publisherId { q = q + " JOIN payouts p ON p.payment_id = i.payment_id WHERE p.publisher_id = \(bind: publisherId)" }
        var out: [String: String] = [:]
        for row in try await db.sql.raw(q).all() { out[try row.decode(column: "earning_id", as: String.self)] = try row.decode(column: "payment_id", as: String.self) }
        return out
    }

    public func completedStages() async throws -> Set<String> {
        Set(try await db.sql.raw("SELECT stage_key FROM payout_stages").all().map { try $0.decode(column: "stage_key", as: String.self) })
    }

    static func earning(_ row: any SQLRow) throws -> Earning {
        Earning(earningId: try row.decode(column: "earning_id", as: String.self), publisherId: try row.decode(column: "publisher_id", as: String.self),
                invoiceId: try row.decode(column: "invoice_id", as: String.self), lineItemId: try row.decode(column: "line_item_id", as: String.self),
                chargeKey: try row.decode(column: "charge_key", as: String.self), currency: try row.decode(column: "currency", as: String.self),
                transactionAmountMinor: try row.decode(column: "transaction_amount_minor", as: Int64.self),
                feeRate: Decimal(string: try row.decode(column: "fee_rate", as: String.self)) ?? StoreFee.standard,
                storeFeeMinor: try row.decode(column: "store_fee_minor", as: Int64.self), earningAmountMinor: try row.decode(column: "earning_amount_minor", as: Int64.self),
                transactionType: Earning.TransactionType(rawValue: try row.decode(column: "transaction_type", as: String.self)) ?? .purchase,
                transactionDate: Date(millis: try row.decode(column: "transaction_date", as: Int64.self)),
                collectedAt: Date(millis: try row.decode(column: "collected_at", as: Int64.self)),
                eligibleAt: Date(millis: try row.decode(column: "eligible_at", as: Int64.self)))
    }
}

struct SQLPayoutTransaction: PayoutTransaction {
    let tx: any SQLDatabase

    func unpaidEarnings(eligibleBy: Date) async throws -> [Earning] {
        try await tx.raw("""
            SELECT e.* FROM earnings e LEFT JOIN payout_items i ON i.earning_id = e.earning_id
            WHERE i.earning_id IS NULL AND e.eligible_at <= \(bind: eligibleBy.millis) ORDER BY e.publisher_id, e.transaction_date, e.earning_id
            """).all().map(SQLPayoutRepository.earning)
    }

    func settings(publisherIds: [String]) async throws -> [String: PayoutSettings] {
        var out: [String: PayoutSettings] = [:]
        for id in publisherIds {
            if let row = try await tx.raw("SELECT settings_json FROM payout_settings WHERE publisher_id = \(bind: id)").first() {
                out[id] = try SQLCatalogRepository.decode(PayoutSettings.self, try row.decode(column: "settings_json", as: String.self))
            }
        }
        return out
    }

    func insert(_ payout: Payout, earningIds: [String]) async throws {
        try await tx.raw("""
            INSERT INTO payouts (payment_id, publisher_id, month, status, payout_json)
            VALUES (\(bind: payout.paymentId), \(bind: payout.publisherId), \(bind: payout.month), \(bind: payout.status.rawValue), \(bind: try SQLCatalogRepository.json(payout)))
            """).run()
        for chunk in stride(from: 0, to: earningIds.count, by: 300).map({ Array(earningIds[$0..<min($0 + 300, earningIds.count)]) }) {
            var q = SQLQueryString("INSERT INTO payout_items (earning_id, payment_id) VALUES ")
            for (i, e) in chunk.enumerated() { q = q + (i > 0 ? ", " : "") + "(\(bind: e), \(bind: payout.paymentId))" }
            try await tx.raw(q).run()
        }
    }

    func markSent(month: String, at: Date) async throws -> Int {
        let rows = try await tx.raw("SELECT payout_json FROM payouts WHERE month = \(bind: month) AND status = 'Upcoming'").all()
        for row in rows {
            var p = try SQLCatalogRepository.decode(Payout.self, try row.decode(column: "payout_json", as: String.self))
            p.status = .sent
            p.sentAt = at
            try await tx.raw("UPDATE payouts SET status = 'Sent', payout_json = \(bind: try SQLCatalogRepository.json(p)) WHERE payment_id = \(bind: p.paymentId)").run()
        }
        return rows.count
    }
}
