import Foundation
import MercatoCore
import SQLKit

/// The billing ledger on SQL. Charges are inserted once per key and never updated; invoices, invoice lines,
/// payments and earnings are append-only too.
public struct SQLBillingRepository: BillingRepository {
    let db: Database

    public init(db: Database) {
        self.db = db
    }

    static let chargeColumns = "charge_key, kind, publisher_id, offer_id, plan_id, subscription_id, customer_tenant_id, market, currency, amount_minor, quantity, description, occurred_at, dimension"

    /// Inserts charges whose key is new (inside the caller's transaction); returns how many were new.
    @discardableResult
    static func insert(_ charges: [BillingCharge], _ tx: any SQLDatabase) async throws -> Int {
        var inserted = 0
        for chunk in stride(from: 0, to: charges.count, by: 200).map({ Array(charges[$0..<min($0 + 200, charges.count)]) }) {
            var q = SQLQueryString("INSERT INTO billing_charges (\(unsafeRaw: chargeColumns)) VALUES ")
            for (i, c) in chunk.enumerated() {
                if i > 0 { q = q + ", " }
                q = q + "(\(bind: c.key), \(bind: c.kind.rawValue), \(bind: c.publisherId), \(bind: c.offerId), \(bind: c.planId), \(bind: c.subscriptionId), \(bind: c.customerTenantId), \(bind: c.market), \(bind: c.currency), \(bind: c.amountMinor), \(bind: c.quantity), \(bind: c.description), \(bind: c.occurredAt.millis), \(bind: c.dimension))"
            }
            q = q + " ON CONFLICT (charge_key) DO NOTHING RETURNING charge_key"
            inserted += try await tx.raw(q).all().count
        }
        return inserted
    }

    static func charge(_ row: any SQLRow) throws -> BillingCharge {
        BillingCharge(
            key: try row.decode(column: "charge_key", as: String.self),
            kind: BillingCharge.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .recurring,
            publisherId: try row.decode(column: "publisher_id", as: String.self), offerId: try row.decode(column: "offer_id", as: String.self),
            planId: try row.decode(column: "plan_id", as: String.self), subscriptionId: try row.decode(column: "subscription_id", as: String.self),
            customerTenantId: try row.decode(column: "customer_tenant_id", as: String.self), market: try row.decode(column: "market", as: String.self),
            currency: try row.decode(column: "currency", as: String.self), amountMinor: try row.decode(column: "amount_minor", as: Int64.self),
            quantity: try row.decode(column: "quantity", as: String.self), description: try row.decode(column: "description", as: String.self),
            occurredAt: Date(millis: try row.decode(column: "occurred_at", as: Int64.self)), dimension: try row.decode(column: "dimension", as: String?.self))
    }

    public func transaction<R: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) async throws -> R) async throws -> R {
        try await db.write { tx in try await body(SQLBillingTransaction(tx: tx)) }
    }

    public func charges(subscriptionId: String) async throws -> [BillingCharge] {
        try await db.sql.raw("SELECT * FROM billing_charges WHERE subscription_id = \(bind: subscriptionId) ORDER BY occurred_at, charge_key").all().map(Self.charge)
    }

    public func charges(publisherId: String?) async throws -> [BillingCharge] {
        if let publisherId {
            return try await db.sql.raw("SELECT * FROM billing_charges WHERE publisher_id = \(bind: publisherId) ORDER BY occurred_at, charge_key").all().map(Self.charge)
        }
        return try await db.sql.raw("SELECT * FROM billing_charges ORDER BY occurred_at, charge_key").all().map(Self.charge)
    }

    public func dailyUsage(fromHour: Int64, toHour: Int64) async throws -> [DailyUsage] {
        try await db.sql.raw("""
            SELECT resource_id, dimension, plan_id, hour / 24 AS day, CAST(SUM(quantity_micros) AS BIGINT) AS micros, COUNT(*) AS events
            FROM usage_events WHERE hour >= \(bind: fromHour) AND hour < \(bind: toHour)
            GROUP BY resource_id, dimension, plan_id, hour / 24
            """).all().map {
            DailyUsage(resourceId: try $0.decode(column: "resource_id", as: String.self), dimension: try $0.decode(column: "dimension", as: String.self),
                       planId: try $0.decode(column: "plan_id", as: String.self), day: try $0.decode(column: "day", as: Int64.self),
                       quantityMicros: try $0.decode(column: "micros", as: Int64.self), events: Int(try $0.decode(column: "events", as: Int64.self)))
        }
    }

    public func closedPeriods() async throws -> [BillingRunSummary] {
        try await db.sql.raw("SELECT summary_json FROM billing_periods ORDER BY period").all().map {
            try SQLCatalogRepository.decode(BillingRunSummary.self, try $0.decode(column: "summary_json", as: String.self))
        }
    }

    public func invoice(id: String) async throws -> Invoice? {
        try await Self.invoices(db.sql, where: "i.id = ", id).first
    }

    public func invoices(customerTenantId: String?) async throws -> [Invoice] {
        if let customerTenantId { return try await Self.invoices(db.sql, where: "i.customer_tenant_id = ", customerTenantId) }
        return try await Self.invoices(db.sql, where: nil, nil)
    }

    static func invoices(_ sql: any SQLDatabase, where column: String?, _ value: String?) async throws -> [Invoice] {
        var q = SQLQueryString("""
            SELECT i.id, i.customer_tenant_id, i.period, i.currency, i.issued_at, i.total_minor, p.collected_at, l.line_item_id, c.*
            FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id JOIN billing_charges c ON c.charge_key = l.charge_key
            LEFT JOIN invoice_payments p ON p.invoice_id = i.id
            """)
        if let column, let value { q = q + " WHERE \(unsafeRaw: column)\(bind: value)" }
        q = q + " ORDER BY i.issued_at, i.id, c.occurred_at, c.charge_key"
        var order: [String] = []
        var byId: [String: Invoice] = [:]
        for row in try await sql.raw(q).all() {
            let id = try row.decode(column: "id", as: String.self)
            let line = InvoiceLine(lineItemId: try row.decode(column: "line_item_id", as: String.self), charge: try charge(row))
            if byId[id] == nil {
                let paidAt = try row.decode(column: "collected_at", as: Int64?.self).map(Date.init(millis:))
                byId[id] = Invoice(id: id, customerTenantId: try row.decode(column: "customer_tenant_id", as: String.self),
                                   period: try row.decode(column: "period", as: String.self), currency: try row.decode(column: "currency", as: String.self),
                                   issuedAt: Date(millis: try row.decode(column: "issued_at", as: Int64.self)),
                                   totalMinor: try row.decode(column: "total_minor", as: Int64.self), status: paidAt == nil ? .due : .paid, paidAt: paidAt, lines: [])
                order.append(id)
            }
            byId[id]!.lines.append(line)
        }
        return order.map { byId[$0]! }
    }

    public func billableSubscriptions(since: Date) async throws -> [Subscription] {
        try await db.sql.raw("""
            SELECT subscription_json FROM subscriptions
            WHERE status <> 'PendingFulfillmentStart' AND (status <> 'Unsubscribed' OR updated_at >= \(bind: since.millis))
            ORDER BY created_at, id
            """).all().map { try SQLCatalogRepository.decode(Subscription.self, try $0.decode(column: "subscription_json", as: String.self)) }
            .filter { $0.activatedAt != nil }
    }
}

struct SQLBillingTransaction: BillingTransaction {
    let tx: any SQLDatabase

    func claim(_ summary: BillingRunSummary) async throws -> Bool {
        let rows = try await tx.raw("""
            INSERT INTO billing_periods (period, summary_json) VALUES (\(bind: summary.period), \(bind: try SQLCatalogRepository.json(summary)))
            ON CONFLICT (period) DO NOTHING RETURNING period
            """).all()
        return !rows.isEmpty
    }

    func updateSummary(_ summary: BillingRunSummary) async throws {
        try await tx.raw("UPDATE billing_periods SET summary_json = \(bind: try SQLCatalogRepository.json(summary)) WHERE period = \(bind: summary.period)").run()
    }

    func insert(_ charges: [BillingCharge]) async throws -> Int { try await SQLBillingRepository.insert(charges, tx) }

    func chargeTotal(subscriptionId: String, kinds: [BillingCharge.Kind], from: Date, through: Date) async throws -> Int64 {
        var q = SQLQueryString("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS total FROM billing_charges WHERE subscription_id = \(bind: subscriptionId)")
        q = q + " AND occurred_at >= \(bind: from.millis) AND occurred_at <= \(bind: through.millis) AND kind IN ("
        for (i, k) in kinds.enumerated() { q = q + (i > 0 ? ", " : "") + "\(bind: k.rawValue)" }
        q = q + ")"
        return try await tx.raw(q).first()?.decode(column: "total", as: Int64.self) ?? 0
    }

    func uninvoicedCharges(before: Date) async throws -> [BillingCharge] {
        try await tx.raw("""
            SELECT c.* FROM billing_charges c LEFT JOIN invoice_lines l ON l.charge_key = c.charge_key
            WHERE l.charge_key IS NULL AND c.occurred_at < \(bind: before.millis) ORDER BY c.occurred_at, c.charge_key
            """).all().map(SQLBillingRepository.charge)
    }

    func insert(invoiceId: String, customerTenantId: String, period: String, currency: String, issuedAt: Date, lines: [InvoiceLine]) async throws {
        let total = lines.reduce(Int64(0)) { $0 + $1.charge.amountMinor }
        try await tx.raw("""
            INSERT INTO invoices (id, customer_tenant_id, period, currency, issued_at, total_minor)
            VALUES (\(bind: invoiceId), \(bind: customerTenantId), \(bind: period), \(bind: currency), \(bind: issuedAt.millis), \(bind: total))
            """).run()
        for chunk in stride(from: 0, to: lines.count, by: 300).map({ Array(lines[$0..<min($0 + 300, lines.count)]) }) {
            var q = SQLQueryString("INSERT INTO invoice_lines (charge_key, invoice_id, line_item_id) VALUES ")
            for (i, l) in chunk.enumerated() { q = q + (i > 0 ? ", " : "") + "(\(bind: l.charge.key), \(bind: invoiceId), \(bind: l.lineItemId))" }
            try await tx.raw(q).run()
        }
    }

    func unpaidInvoices() async throws -> [Invoice] {
        let ids = try await tx.raw("""
            SELECT i.id FROM invoices i LEFT JOIN invoice_payments p ON p.invoice_id = i.id WHERE p.invoice_id IS NULL ORDER BY i.issued_at, i.id
            """).all().map { try $0.decode(column: "id", as: String.self) }
        var out: [Invoice] = []
        for id in ids { out += try await SQLBillingRepository.invoices(tx, where: "i.id = ", id) }
        return out
    }

    func recordPayment(invoiceId: String, at: Date) async throws {
        try await tx.raw("INSERT INTO invoice_payments (invoice_id, collected_at) VALUES (\(bind: invoiceId), \(bind: at.millis))").run()
    }

    func insert(_ earnings: [Earning]) async throws {
        for chunk in stride(from: 0, to: earnings.count, by: 200).map({ Array(earnings[$0..<min($0 + 200, earnings.count)]) }) {
            var q = SQLQueryString("""
                INSERT INTO earnings (earning_id, publisher_id, invoice_id, line_item_id, charge_key, currency, transaction_amount_minor, fee_rate,
                                      store_fee_minor, earning_amount_minor, transaction_type, transaction_date, collected_at, eligible_at) VALUES
                """)
            for (i, e) in chunk.enumerated() {
                q = q + (i > 0 ? ", " : "") + "(\(bind: e.earningId), \(bind: e.publisherId), \(bind: e.invoiceId), \(bind: e.lineItemId), \(bind: e.chargeKey), \(bind: e.currency), \(bind: e.transactionAmountMinor), \(bind: "\(e.feeRate)"), \(bind: e.storeFeeMinor), \(bind: e.earningAmountMinor), \(bind: e.transactionType.rawValue), \(bind: e.transactionDate.millis), \(bind: e.collectedAt.millis), \(bind: e.eligibleAt.millis))"
            }
            try await tx.raw(q).run()
        }
    }

    func consumed(_ keys: [String]) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for chunk in stride(from: 0, to: keys.count, by: 300).map({ Array(keys[$0..<min($0 + 300, keys.count)]) }) {
            var q = SQLQueryString("SELECT allowance_key, consumed_micros FROM usage_allowances WHERE allowance_key IN (")
            for (i, k) in chunk.enumerated() { q = q + (i > 0 ? ", " : "") + "\(bind: k)" }
            q = q + ")"
            for row in try await tx.raw(q).all() {
                out[try row.decode(column: "allowance_key", as: String.self)] = try row.decode(column: "consumed_micros", as: Int64.self)
            }
        }
        return out
    }

    func setConsumed(_ values: [String: Int64]) async throws {
        let pairs = values.sorted { $0.key < $1.key }
        for chunk in stride(from: 0, to: pairs.count, by: 300).map({ Array(pairs[$0..<min($0 + 300, pairs.count)]) }) {
            var q = SQLQueryString("INSERT INTO usage_allowances (allowance_key, consumed_micros) VALUES ")
            for (i, p) in chunk.enumerated() { q = q + (i > 0 ? ", " : "") + "(\(bind: p.key), \(bind: p.value))" }
            q = q + " ON CONFLICT (allowance_key) DO UPDATE SET consumed_micros = excluded.consumed_micros"
            try await tx.raw(q).run()
        }
    }

    /// Closing the period is what reconciles its usage: events stored as Submitted in a closed period read as Accepted
    /// (see `SQLUsageRepository`), so a run over a million events does not rewrite a million rows. Returns the count.
    func reconcileUsage(fromHour: Int64, toHour: Int64) async throws -> Int {
        let count = try await tx.raw("""
            SELECT COUNT(*) AS n FROM usage_events WHERE hour >= \(bind: fromHour) AND hour < \(bind: toHour) AND recon_status = 'Submitted'
            """).first()?.decode(column: "n", as: Int64.self) ?? 0
        return Int(count)
    }

    func markMismatch(resourceId: String, dimension: String, fromHour: Int64, toHour: Int64) async throws {
        try await tx.raw("""
            UPDATE usage_events SET recon_status = 'Mismatch'
            WHERE hour >= \(bind: fromHour) AND hour < \(bind: toHour) AND resource_id = \(bind: resourceId) AND dimension = \(bind: dimension)
            """).run()
    }
}
