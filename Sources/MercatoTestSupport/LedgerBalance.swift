import Foundation
import MercatoApp
import MercatoCore

/// The money identity of issue 8, read from the ledger's separate tables, per currency in minor units:
/// Σ customer charges − Σ refunds = Σ payouts sent + Σ store fees + Σ held or pending.
public struct LedgerBalance: Sendable, Equatable, CustomStringConvertible {
    public var currency: String
    /// Signed sum of every charge (refunds and credits negative): from `billing_charges`.
    public var charged: Int64 = 0
    /// Sent payments: from `payouts`.
    public var paidOut: Int64 = 0
    /// Store fees withheld: from `earnings`.
    public var storeFees: Int64 = 0
    /// Earnings not in a sent payment (holding period, below threshold, held, upcoming).
    public var earningsPending: Int64 = 0
    /// Invoiced but not collected (failing payment method).
    public var uncollected: Int64 = 0
    /// Charged but not invoiced yet (the current month).
    public var uninvoiced: Int64 = 0

    public var heldOrPending: Int64 { earningsPending + uncollected + uninvoiced }
    public var balances: Bool { charged == paidOut + storeFees + heldOrPending }

    public var description: String {
        "\(currency): charged \(charged) = paid \(paidOut) + fees \(storeFees) + pending earnings \(earningsPending) + uncollected \(uncollected) + uninvoiced \(uninvoiced)"
    }

    public static func allBalance(_ b: [String: LedgerBalance]) -> Bool { b.values.allSatisfy { $0.balances } }

    public static func read(_ env: MercatoEnvironment) async throws -> [String: LedgerBalance] {
        var out: [String: LedgerBalance] = [:]
        func touch(_ c: String, _ f: (inout LedgerBalance) -> Void) {
            var b = out[c] ?? LedgerBalance(currency: c)
            f(&b)
            out[c] = b
        }
        let charges = try await env.billing.repository.charges(publisherId: nil)
        for c in charges { touch(c.currency) { $0.charged += c.amountMinor } }
        let invoices = try await env.billing.repository.invoices(customerTenantId: nil)
        var invoiced = Set<String>()
        for i in invoices {
            for l in i.lines { invoiced.insert(l.charge.key) }
            if i.status == .due { touch(i.currency) { $0.uncollected += i.lines.reduce(0) { $0 + $1.charge.amountMinor } } }
        }
        for c in charges where !invoiced.contains(c.key) { touch(c.currency) { $0.uninvoiced += c.amountMinor } }
        let payouts = try await env.payouts.repository.payouts(publisherId: nil)
        let sent = Set(payouts.filter { $0.status == .sent }.map(\.paymentId))
        for p in payouts where p.status == .sent { touch(p.currency) { $0.paidOut += p.totalPaymentMinor } }
        let assignments = try await env.payouts.repository.paymentAssignments(publisherId: nil)
        for e in try await env.payouts.repository.earnings(publisherId: nil) {
            touch(e.currency) { b in
                b.storeFees += e.storeFeeMinor
                if !(assignments[e.earningId].map(sent.contains) ?? false) { b.earningsPending += e.earningAmountMinor }
            }
        }
        return out
    }
}
