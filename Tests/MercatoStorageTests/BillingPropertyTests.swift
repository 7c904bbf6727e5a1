import Foundation
import MercatoApp
import MercatoCore
import MercatoStorage
import MercatoTestSupport
import Testing

/// Issue 8's property: over generated histories (purchases in several currencies, plan and seat changes, usage,
/// cancellations inside and outside the refund windows, failing and restored payment methods, suspensions, clock
/// jumps of hours to months), per currency and to the minor unit:
///   Σ customer charges − Σ refunds = Σ payouts + Σ store fees + Σ held or pending.
/// Each batch is one marketplace with `perBatch` customers, one history each, interleaved on one clock.
@Suite("Billing property: the ledger always balances", .serialized)
struct BillingPropertyTests {
    typealias RNG = SplitMix64

    struct Coverage: Sendable {
        var histories = 0
        var kinds: [BillingCharge.Kind: Int] = [:]
        var currencies = Set<String>()
        var paidOut: Int64 = 0
        var suspended = 0
        var checks = 0
    }

    static let plans: [(id: String, seats: ClosedRange<Int>?, metered: Bool)] = [
        ("silver", nil, true), ("gold", nil, true), ("per-seat", 1...40, false), ("team-pro", 5...60, false),
    ]
    static let markets = ["US", "DE", "JP", "GB"]

    static var batches: Int { Int(ProcessInfo.processInfo.environment["MERCATO_PROPERTY_BATCHES"] ?? "") ?? 20 }

    @Test("1,000 generated histories on SQLite (20 marketplaces × 50 customers)")
    func sqlite() async throws {
        var total = Coverage()
        for batch in 0..<Self.batches {
            let c = try await Self.runBatch(.sqlite, seed: 0x5EED_0000 + UInt64(batch), customers: 50)
            total.histories += c.histories
            total.kinds.merge(c.kinds, uniquingKeysWith: +)
            total.currencies.formUnion(c.currencies)
            total.paidOut += c.paidOut
            total.suspended += c.suspended
            total.checks += c.checks
        }
        #expect(total.histories >= 1_000 || Self.batches < 20)
        // The generator really exercised every kind of money movement.
        for kind in BillingCharge.Kind.allCases { #expect((total.kinds[kind] ?? 0) > 0, "no \(kind.rawValue) charge was generated") }
        #expect(total.currencies.isSuperset(of: ["USD", "EUR", "JPY", "GBP"]), "\(total.currencies)")
        #expect(total.paidOut > 0)
        #expect(total.suspended > 0)
    }

    @Test("100 generated histories on PostgreSQL", .enabled(if: TestBackend.postgresURL != nil))
    func postgres() async throws {
        for batch in 0..<2 { _ = try await Self.runBatch(.postgres, seed: 0xB0B0_0000 + UInt64(batch), customers: 50) }
    }

    static func runBatch(_ backend: TestBackend, seed: UInt64, customers: Int) async throws -> Coverage {
        var rng = RNG(seed: seed)
        let start = Date(timeIntervalSince1970: 1_767_225_600 + TimeInterval(Int.random(in: 0..<(300 * 86_400), using: &rng))) // 2026
        let clock = ManualClock(start)
        return try await withTestEnvironment(backend, clock: clock) { env in
            var coverage = Coverage()
            let demo = try await DemoSeeder(environment: env).run()
            let pub = demo.publisherId
            // Most marketplaces have complete payout profiles; some lack them or hold payments.
            if Int.random(in: 0..<10, using: &rng) < 8 {
                _ = try await env.payouts.setTaxProfile(publisherId: pub, country: "US", entityType: "Company", form: "W-9", context: .system)
                _ = try await env.payouts.setPayoutAccount(publisherId: pub, method: "Bank", holder: "Contoso", country: "US", currency: "USD",
                                                           accountNumber: "ACC123456", context: .system)
                if Int.random(in: 0..<8, using: &rng) == 0 { _ = try await env.payouts.setHold(publisherId: pub, hold: true, context: .system) }
            }
            var emails: [String] = []
            var tenants: [String] = []
            for i in 0..<customers {
                let (customer, user) = try await env.accounts.registerCustomer(tenantId: nil, name: "Customer \(i)", userEmail: "buyer\(i)@c\(i).example",
                                                                                userName: "Buyer \(i)", context: .system)
                emails.append(user.email)
                tenants.append(customer.tenantId)
            }
            coverage.histories = customers
            var subs: [String?] = Array(repeating: nil, count: customers)

            func tolerate(_ body: () async throws -> Void) async throws {
                do { try await body() } catch is TransitionRefusal {} catch is DomainError {} // a random action the rules refuse
            }

            for _ in 0..<36 {
                for _ in 0..<(customers / 3) {
                    let i = Int.random(in: 0..<customers, using: &rng)
                    var current: Subscription?
                    if let id = subs[i] { current = try await env.subscriptions.repository.subscription(id: id) }
                    let roll = Int.random(in: 0..<100, using: &rng)
                    switch current?.status {
                    case nil, .unsubscribed?:
                        guard roll < 60 else { break }
                        let plan = plans.randomElement(using: &rng)!
                        let term: TermUnit = Bool.random(using: &rng) ? .P1M : .P1Y
                        let payment: PaymentOption = Bool.random(using: &rng) ? .monthly : .upfront
                        let seats = plan.seats.map { Int.random(in: $0, using: &rng) }
                        try await tolerate {
                            let p = try await env.subscriptions.purchase(.init(buyerEmail: emails[i], offerId: demo.offerId, planId: plan.id, quantity: seats,
                                                                                termUnit: term, paymentOption: payment, autoRenew: roll < 50,
                                                                                market: markets.randomElement(using: &rng)!), context: .system)
                            subs[i] = p.subscription.id
                            if roll < 54 {
                                _ = try await env.subscriptions.activate(id: p.subscription.id, publisherId: pub, planId: plan.id, quantity: seats, context: .system)
                            }
                        }
                    case .pendingFulfillmentStart?:
                        try await tolerate {
                            if roll < 70 {
                                _ = try await env.subscriptions.activate(id: current!.id, publisherId: pub, planId: current!.planId, quantity: current!.quantity, context: .system)
                            } else {
                                _ = try await env.subscriptions.cancel(id: current!.id, publisherId: nil, source: .azure, context: .system)
                            }
                        }
                    case let status?:
                        let s = current!
                        try await tolerate {
                            if roll < 35, status == .subscribed, s.planId == "silver" || s.planId == "gold" {
                                let q = Decimal(Int.random(in: 1...4_000, using: &rng))
                                let at = clock.now().addingTimeInterval(-TimeInterval(Int.random(in: 60...(23 * 3600), using: &rng)))
                                _ = try await env.metering.submit([UsageEventInput(resourceId: s.id, quantity: q, quantityText: "\(q)", dimension: "emails",
                                                                                   effectiveStartTime: WireTime.precise(at), planId: s.planId)], publisherId: pub)
                            } else if roll < 50 {
                                let target = plans.filter { $0.id != s.planId }.randomElement(using: &rng)!
                                let op = try await env.subscriptions.requestChange(id: s.id, publisherId: nil, change: .plan(target.id), source: .azure, context: .system)
                                try await acknowledgeOrNot(env, op, pub, &rng)
                            } else if roll < 62, let seats = plans.first(where: { $0.id == s.planId })?.seats {
                                let op = try await env.subscriptions.requestChange(id: s.id, publisherId: pub, change: .quantity(Int.random(in: seats, using: &rng)),
                                                                                   source: .partner, context: .system)
                                try await acknowledgeOrNot(env, op, pub, &rng)
                            } else if roll < 72 {
                                _ = try await env.subscriptions.cancel(id: s.id, publisherId: Bool.random(using: &rng) ? pub : nil, source: .azure, context: .system)
                            } else if roll < 80 {
                                _ = try await env.subscriptions.setPaymentFailing(customerTenantId: tenants[i], failing: status == .subscribed, context: .system)
                            }
                        }
                    }
                }
                // Clock jumps: hours, days, or months.
                let jump: TimeInterval = switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5: TimeInterval(Int.random(in: 1...30, using: &rng) * 3600)
                case 5..<9: TimeInterval(Int.random(in: 1...20, using: &rng) * 86_400)
                default: TimeInterval(Int.random(in: 30...80, using: &rng) * 86_400)
                }
                _ = try await env.clockService!.advance(by: jump, context: .system)
                try await check(env, &coverage)
            }
            // Everyone pays again; run out the clock so every earning reaches a payout date.
            for t in tenants { _ = try await env.subscriptions.setPaymentFailing(customerTenantId: t, failing: false, context: .system) }
            _ = try await env.clockService!.advance(by: 100 * 86_400, context: .system)
            try await check(env, &coverage)
            // A second run of every closed period changes nothing.
            let before = try await LedgerBalance.read(env)
            for p in try await env.billing.repository.closedPeriods() {
                let again = try await env.billing.run(BillingPeriod(p.period)!)
                #expect(again.ranNow == false)
            }
            #expect(try await LedgerBalance.read(env) == before)
            for c in try await env.billing.repository.charges(publisherId: nil) {
                coverage.kinds[c.kind, default: 0] += 1
                coverage.currencies.insert(c.currency)
            }
            coverage.paidOut += before.values.reduce(0) { $0 + $1.paidOut }
            for s in try await env.subscriptions.repository.page(publisherId: pub, after: nil, limit: 10_000) {
                let ops = try await env.subscriptions.repository.operations(subscriptionId: s.id)
                if ops.contains(where: { $0.action == .suspend }) { coverage.suspended += 1 }
            }
            return coverage
        }
    }

    static func acknowledgeOrNot(_ env: MercatoEnvironment, _ op: SubscriptionOperation, _ pub: String, _ rng: inout RNG) async throws {
        _ = try await env.subscriptions.advanceOperations()
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: try await env.subscriptions.acknowledge(subscriptionId: op.subscriptionId, operationId: op.id, publisherId: pub, success: true, context: .system)
        case 1: try await env.subscriptions.acknowledge(subscriptionId: op.subscriptionId, operationId: op.id, publisherId: pub, success: false, context: .system)
        default: break // auto-accepted by the lifecycle after the acknowledgement window
        }
    }

    /// The identity, per currency, plus structural invariants of the ledger.
    static func check(_ env: MercatoEnvironment, _ coverage: inout Coverage) async throws {
        coverage.checks += 1
        let balance = try await LedgerBalance.read(env)
        for b in balance.values { #expect(b.balances, "\(b)") }
        var seen = Set<String>()
        for invoice in try await env.billing.repository.invoices(customerTenantId: nil) {
            #expect(invoice.totalMinor == invoice.lines.reduce(0) { $0 + $1.charge.amountMinor }, "invoice \(invoice.id) total")
            #expect(invoice.lines.allSatisfy { $0.charge.currency == invoice.currency && $0.charge.customerTenantId == invoice.customerTenantId })
            for l in invoice.lines { #expect(seen.insert(l.charge.key).inserted, "charge \(l.charge.key) on two invoices") }
        }
        // Refunds never give back more than was paid for the subscription.
        let bySubscription = Dictionary(grouping: try await env.billing.repository.charges(publisherId: nil), by: \.subscriptionId)
        for (sid, charges) in bySubscription { #expect(charges.reduce(0) { $0 + $1.amountMinor } >= 0, "subscription \(sid) nets negative: \(charges.map { "\($0.key) \($0.amountMinor) \($0.currency) \(WireTime.precise($0.occurredAt)) \($0.description)" })") }
        for p in try await env.payouts.repository.payouts(publisherId: nil) where p.status != .notPaid {
            #expect(p.totalPaymentMinor >= PayoutService.thresholdMinorStatic(p.currency))
        }
    }
}
