import Foundation

/// Storage of the ledger: charges, invoices, customer payments, earnings and usage allowances.
public protocol BillingRepository: Sendable {
    /// Runs `body` in one transaction (exclusive on SQLite; the period row serialises replicas on PostgreSQL).
    func transaction<R: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) async throws -> R) async throws -> R
    func charges(subscriptionId: String) async throws -> [BillingCharge]
    func charges(publisherId: String?) async throws -> [BillingCharge]
    /// Usage per (resource, dimension, plan, UTC day) for hours in [fromHour, toHour).
    func dailyUsage(fromHour: Int64, toHour: Int64) async throws -> [DailyUsage]
    func closedPeriods() async throws -> [BillingRunSummary]
    func invoice(id: String) async throws -> Invoice?
    func invoices(customerTenantId: String?) async throws -> [Invoice]
    /// Subscriptions that may owe something: activated ones, except those canceled before `since`.
    func billableSubscriptions(since: Date) async throws -> [Subscription]
}

/// The writes of a billing run, all in one transaction.
public protocol BillingTransaction: Sendable {
    /// Records the period as closed; false when it already was (then the run must change nothing).
    func claim(_ summary: BillingRunSummary) async throws -> Bool
    func updateSummary(_ summary: BillingRunSummary) async throws
    /// Inserts charges whose key is new; returns how many were new.
    @discardableResult func insert(_ charges: [BillingCharge]) async throws -> Int
    func chargeTotal(subscriptionId: String, kinds: [BillingCharge.Kind], from: Date, through: Date) async throws -> Int64
    /// Charges on no invoice yet that occurred before `before`.
    func uninvoicedCharges(before: Date) async throws -> [BillingCharge]
    func insert(invoiceId: String, customerTenantId: String, period: String, currency: String, issuedAt: Date, lines: [InvoiceLine]) async throws
    /// Invoices without a customer payment.
    func unpaidInvoices() async throws -> [Invoice]
    func recordPayment(invoiceId: String, at: Date) async throws
    func insert(_ earnings: [Earning]) async throws
    /// Consumed quantity (millionths) per allowance key.
    func consumed(_ keys: [String]) async throws -> [String: Int64]
    func setConsumed(_ values: [String: Int64]) async throws
    /// Sets the reconciliation status of usage events in [fromHour, toHour) still `Submitted`; returns how many.
    func reconcileUsage(fromHour: Int64, toHour: Int64) async throws -> Int
    func markMismatch(resourceId: String, dimension: String, fromHour: Int64, toHour: Int64) async throws
}
