import Foundation
import MercatoApp
import MercatoCore
import MercatoStorage
import MercatoTestSupport
import Testing

/// Billing and payouts end to end on the real services and storage (issue 8): charges at the subscription's events,
/// the monthly run on the marketplace clock, invoices, earnings, payouts and the transaction report.
@Suite("Billing and payouts", .serialized)
struct BillingLedgerTests {
    static func date(_ s: String) -> Date { ISO8601DateFormatter().date(from: s)! }

    struct World {
        var env: MercatoEnvironment
        var demo: DemoSeeder.Result
        var clock: ManualClock
    }

    func withWorld(_ backend: TestBackend, start: String = "2026-03-10T09:00:00Z", _ body: @escaping @Sendable (World) async throws -> Void) async throws {
        let clock = ManualClock(Self.date(start))
        try await withTestEnvironment(backend, clock: clock) { env in
            let demo = try await DemoSeeder(environment: env).run()
            try await body(World(env: env, demo: demo, clock: clock))
        }
    }

    func buy(_ w: World, _ plan: String, quantity: Int? = nil, term: TermUnit? = nil, email: String? = nil) async throws -> Subscription {
        let p = try await w.env.subscriptions.purchase(.init(buyerEmail: email ?? w.demo.customerEmail, offerId: w.demo.offerId, planId: plan,
                                                             quantity: quantity, termUnit: term), context: .system)
        return try await w.env.subscriptions.activate(id: p.subscription.id, publisherId: w.demo.publisherId, planId: plan, quantity: quantity, context: .system)
    }

    func travel(_ w: World, to iso: String) async throws {
        _ = try await w.env.clockService!.advance(by: Self.date(iso).timeIntervalSince(w.clock.now()), context: .system)
    }

    func setProfiles(_ w: World) async throws {
        _ = try await w.env.payouts.setTaxProfile(publisherId: w.demo.publisherId, country: "US", entityType: "Company", form: "W-9", context: .system)
        _ = try await w.env.payouts.setPayoutAccount(publisherId: w.demo.publisherId, method: "Bank", holder: "Contoso Ltd", country: "US",
                                                     currency: "USD", accountNumber: "GB29NWBK60161331926819", context: .system)
    }

    @Test("a metered month: flat fee plus overage invoiced at month end; the run is idempotent; usage reconciled", arguments: TestBackend.available)
    func meteredMonth(_ backend: TestBackend) async throws {
        try await withWorld(backend) { w in
            let s = try await buy(w, "silver", term: .P1M)
            // 1,500 emails with 1,000 included at $0.01 → 500 × $0.01 = $5.00 of overage.
            let hour = WireTime.precise(w.clock.now().addingTimeInterval(-3600))
            let outcomes = try await w.env.metering.submit([UsageEventInput(resourceId: s.id, quantity: 1500, quantityText: "1500", dimension: "emails",
                                                                            effectiveStartTime: hour, planId: "silver")], publisherId: w.demo.publisherId)
            #expect(outcomes.map(\.status) == [.accepted])
            try await travel(w, to: "2026-04-02T06:00:00Z")
            let invoices = try await w.env.billing.repository.invoices(customerTenantId: w.demo.customerTenantId)
            let march = try #require(invoices.first { $0.period == "2026-03" })
            #expect(march.lines.map(\.charge.kind) == [.recurring, .overage])
            #expect(march.lines.map(\.charge.amountMinor) == [4_900, 500])
            #expect(march.totalMinor == 5_400 && march.status == .paid && march.currency == "USD")
            // Earnings: 97 % of each line, the fee 3 % (spec-portal §6.2).
            let earnings = try await w.env.payouts.repository.earnings(publisherId: w.demo.publisherId)
            #expect(earnings.map(\.storeFeeMinor) == [147, 15])
            #expect(earnings.map(\.earningAmountMinor) == [4_753, 485])
            // Running the closed period again changes nothing.
            let again = try await w.env.billing.run(BillingPeriod("2026-03")!)
            #expect(again.ranNow == false)
            #expect(try await w.env.billing.repository.invoices(customerTenantId: nil).count == invoices.count)
            #expect(try await w.env.payouts.repository.earnings(publisherId: nil).count == earnings.count)
            // Usage is reconciled by the run.
            let records = try await w.env.metering.usage.records(publisherId: w.demo.publisherId, from: Self.date("2026-03-01T00:00:00Z"), to: Self.date("2026-03-31T00:00:00Z"))
            #expect(records.map(\.reconStatus) == ["Accepted"])
            let balance = try await LedgerBalance.read(w.env)
            #expect(LedgerBalance.allBalance(balance), "\(balance)")
        }
    }

    @Test("usage reported late for the month's last hour is still billed in that month (the run waits 24 h)", arguments: TestBackend.available)
    func lateUsage(_ backend: TestBackend) async throws {
        try await withWorld(backend) { w in
            let s = try await buy(w, "silver", term: .P1M)
            try await travel(w, to: "2026-04-01T05:00:00Z")
            #expect(try await w.env.billing.repository.closedPeriods().isEmpty)
            let outcomes = try await w.env.metering.submit([UsageEventInput(resourceId: s.id, quantity: 1200, quantityText: "1200", dimension: "emails",
                                                                            effectiveStartTime: "2026-03-31T23:10:00", planId: "silver")], publisherId: w.demo.publisherId)
            #expect(outcomes.map(\.status) == [.accepted])
            await #expect(throws: BillingService.BillingError.self) { _ = try await w.env.billing.run(BillingPeriod("2026-03")!) }
            try await travel(w, to: "2026-04-02T00:00:00Z")
            let march = try #require(try await w.env.billing.repository.invoices(customerTenantId: w.demo.customerTenantId).first { $0.period == "2026-03" })
            #expect(march.lines.filter { $0.charge.kind == .overage }.map(\.charge.amountMinor) == [200])
            let records = try await w.env.metering.usage.records(publisherId: w.demo.publisherId, from: Self.date("2026-03-31T00:00:00Z"), to: Self.date("2026-04-01T00:00:00Z"))
            #expect(records.map(\.reconStatus) == ["Accepted"])
        }
    }

    @Test("managed applications: the monthly fee for the days each instance existed, metered overage above the monthly included quantity",
          arguments: TestBackend.available)
    func managedApplications(_ backend: TestBackend) async throws {
        try await withWorld(backend) { w in
            // An Azure Application offer: $100.00 a month plus cpu-hours at $0.50 above 100 included a month (spec-saas §7.7).
            let plan = Plan(id: "standard", name: "Standard", description: "Standard", pricing: .flatRate,
                            billingTerms: [BillingTerm(termUnit: .P1M, price: Money(100, "USD"))],
                            dimensions: [PlanDimension(dimensionId: "cpu-hours", pricePerUnit: Money(Decimal(string: "0.5")!, "USD"), includedMonthly: .quantity(100))])
            let offer = Offer(id: "contoso-vault", type: .azureManagedApplication, alias: "Vault", setup: OfferSetup(listingOption: .transact),
                              dimensions: [MeteredDimension(id: "cpu-hours", displayName: "CPU hours", unitOfMeasure: "per hour")], plans: [plan])
            let now = w.clock.now()
            try await w.env.catalog.repository.create(OfferRecord(publisherId: w.demo.publisherId, offerId: offer.id, type: offer.type,
                                                                  state: WorkflowState(status: .live, hasBeenPreviewed: true, hasBeenLive: true), draft: offer,
                                                                  preview: offer, live: offer, version: 1, createdAt: now, updatedAt: now),
                                                      history: [], audit: AuditContext.system.entry(ids: w.env.ids, clock: w.clock, publisherId: w.demo.publisherId,
                                                                                                    action: "offer.create", targetType: "offer", targetId: offer.id))
            let service = w.env.managedApplications
            // Deployed on March 10 (22 of March's 31 days); a second instance deleted on March 20 (11 days).
            let prod = try await service.deploy(publisherId: w.demo.publisherId, offerId: offer.id, planId: "standard",
                                                customerTenantId: w.demo.customerTenantId, name: "vault-prod", context: .system)
            let test = try await service.deploy(publisherId: w.demo.publisherId, offerId: offer.id, planId: "standard",
                                                customerTenantId: w.demo.customerTenantId, name: "vault-test", context: .system)
            await #expect(throws: DomainError.self) {
                _ = try await service.deploy(publisherId: w.demo.publisherId, offerId: offer.id, planId: "standard",
                                             customerTenantId: w.demo.customerTenantId, name: "vault-xx", market: "ZZ", context: .system)
            }
            try await travel(w, to: "2026-03-10T12:00:00Z")
            // 3 × 60 = 180 cpu-hours on vault-prod → 80 above the 100 included → $40.00; 90 on vault-test → within its own 100.
            var events = ["09", "10", "11"].map {
                UsageEventInput(resourceId: prod.resourceUsageId, quantity: 60, quantityText: "60", dimension: "cpu-hours",
                                effectiveStartTime: "2026-03-10T\($0):05:00", planId: "standard")
            }
            events.append(UsageEventInput(resourceId: test.resourceUsageId, quantity: 90, quantityText: "90", dimension: "cpu-hours",
                                          effectiveStartTime: "2026-03-10T10:00:00", planId: "standard"))
            let outcomes = try await w.env.metering.submit(events, publisherId: w.demo.publisherId)
            #expect(outcomes.map(\.status) == [.accepted, .accepted, .accepted, .accepted])
            try await travel(w, to: "2026-03-20T12:00:00Z")
            _ = try await service.delete(usageId: test.resourceUsageId, publisherId: w.demo.publisherId, context: .system)
            try await travel(w, to: "2026-04-02T06:00:00Z")
            var invoices = try await w.env.billing.repository.invoices(customerTenantId: w.demo.customerTenantId)
            let march = try #require(invoices.first { $0.period == "2026-03" })
            let lines = Set(march.lines.map { "\($0.charge.subscriptionId) \($0.charge.kind.rawValue) \($0.charge.amountMinor)" })
            // 100 × 22/31 = 70.97; 100 × 11/31 = 35.48.
            #expect(lines == ["\(prod.resourceUsageId) Recurring 7097", "\(test.resourceUsageId) Recurring 3548", "\(prod.resourceUsageId) Overage 4000"])
            #expect(march.lines.count == 3 && march.status == .paid && march.totalMinor == 7_097 + 3_548 + 4_000)
            #expect(march.lines.allSatisfy { $0.charge.offerId == offer.id && $0.charge.publisherId == w.demo.publisherId })
            let earnings = try await w.env.payouts.repository.earnings(publisherId: w.demo.publisherId)
            #expect(earnings.filter { $0.invoiceId == march.id }.map(\.transactionAmountMinor).reduce(0, +) == march.totalMinor)
            let records = try await w.env.metering.usage.records(publisherId: w.demo.publisherId, from: Self.date("2026-03-10T00:00:00Z"),
                                                                 to: Self.date("2026-03-11T00:00:00Z"))
            #expect(records.count == 4 && records.allSatisfy { $0.reconStatus == "Accepted" })
            // April: the whole month for the instance still deployed, nothing for the deleted one.
            try await travel(w, to: "2026-05-02T06:00:00Z")
            invoices = try await w.env.billing.repository.invoices(customerTenantId: w.demo.customerTenantId)
            let april = try #require(invoices.first { $0.period == "2026-04" })
            #expect(april.lines.map { "\($0.charge.subscriptionId) \($0.charge.amountMinor)" } == ["\(prod.resourceUsageId) 10000"])
            let balance = try await LedgerBalance.read(w.env)
            #expect(LedgerBalance.allBalance(balance), "\(balance)")
        }
    }

    @Test("payouts: missing tax profile blocks, then Unprocessed → Upcoming on the 5th → Sent on the 15th; report joins", arguments: TestBackend.available)
    func payoutLifecycle(_ backend: TestBackend) async throws {
        try await withWorld(backend) { w in
            let s = try await buy(w, "team-pro", quantity: 5, term: .P1M) // $75.00 a month
            // March invoice (issued Apr 1, collected Apr 1) is held 30 days → eligible May 1 → ordered May 5.
            try await travel(w, to: "2026-05-06T00:00:00Z")
            var statements = try await w.env.payouts.statements(publisherId: w.demo.publisherId)
            #expect(statements.map(\.status) == [.notPaid])
            #expect(statements.first?.reason == .taxProfileMissing)
            try await setProfiles(w)
            try await travel(w, to: "2026-06-05T12:00:00Z")
            statements = try await w.env.payouts.statements(publisherId: w.demo.publisherId)
            let june = try #require(statements.first { $0.month == "2026-06" })
            #expect(june.status == .upcoming)
            // March and April's fees were carried forward to June: 2 × 72.75.
            #expect(june.earnedMinor == 2 * 7_275)
            try await travel(w, to: "2026-06-15T01:00:00Z")
            statements = try await w.env.payouts.statements(publisherId: w.demo.publisherId)
            #expect(statements.first { $0.month == "2026-06" }?.status == .sent)
            #expect(statements.first { $0.month == "2026-06" }?.sentAt == Self.date("2026-06-15T00:00:00Z"))
            // The transaction-to-payout report: one row per earning, join keys to the order, invoice line and payment.
            let rows = try await w.env.payoutReports.transactions(publisherId: w.demo.publisherId)
            let sent = rows.filter { $0["paymentStatus"] == "Sent" }
            #expect(sent.count == 2)
            #expect(sent.allSatisfy { $0["AssetId"] == s.id && $0["paymentId"] == june.paymentId && $0["storeFee"] == "2.25" && $0["earningAmount"] == "72.75" })
            let invoice = try #require(try await w.env.billing.repository.invoices(customerTenantId: w.demo.customerTenantId).first)
            #expect(rows.first?["OrderID"] == invoice.id)
            #expect(rows.first?["LineItemId"] == invoice.lines.first?.lineItemId)
            let csv = TransactionReport.csv(rows)
            #expect(csv.hasPrefix("earningId,participantId,participantIdType,"))
            #expect(csv.components(separatedBy: "\r\n").count == rows.count + 2)
            let balance = try await LedgerBalance.read(w.env)
            let paidOut: Int64 = balance["USD"]?.paidOut ?? -1
            #expect(paidOut == 2 * 7_275)
            #expect(LedgerBalance.allBalance(balance), "\(balance)")
        }
    }

    @Test("below the $50 threshold earnings carry forward to the next month", arguments: TestBackend.available)
    func thresholdCarriesForward(_ backend: TestBackend) async throws {
        try await withWorld(backend) { w in
            try await setProfiles(w)
            _ = try await buy(w, "silver", term: .P1M) // $49.00 → $47.53 earned a month
            try await travel(w, to: "2026-05-05T01:00:00Z")
            var statements = try await w.env.payouts.statements(publisherId: w.demo.publisherId)
            #expect(statements.map(\.status) == [.notPaid])
            #expect(statements.first?.reason == .belowThreshold && statements.first?.earnedMinor == 4_753)
            try await travel(w, to: "2026-06-05T01:00:00Z")
            statements = try await w.env.payouts.statements(publisherId: w.demo.publisherId)
            #expect(statements.first { $0.month == "2026-06" }.map { ($0.status, $0.earnedMinor) } ?? (.notPaid, 0) == (.upcoming, 2 * 4_753))
        }
    }

    @Test("cancel inside the 24-hour window refunds the month; the invoice nets to zero", arguments: TestBackend.available)
    func refundWindow(_ backend: TestBackend) async throws {
        try await withWorld(backend) { w in
            let s = try await buy(w, "team-pro", quantity: 5, term: .P1M)
            w.clock.advance(by: 2 * 3600)
            _ = try await w.env.subscriptions.cancel(id: s.id, publisherId: nil, source: .azure, context: .system)
            let late = try await buy(w, "silver", term: .P1M)
            w.clock.advance(by: 25 * 3600) // outside the window: no refund
            _ = try await w.env.subscriptions.cancel(id: late.id, publisherId: nil, source: .azure, context: .system)
            try await travel(w, to: "2026-04-02T01:00:00Z")
            let lines = try await w.env.billing.repository.invoices(customerTenantId: w.demo.customerTenantId).flatMap(\.lines).map(\.charge)
            #expect(lines.filter { $0.subscriptionId == s.id }.map(\.amountMinor) == [7_500, -7_500])
            #expect(lines.filter { $0.subscriptionId == late.id }.map(\.amountMinor) == [4_900])
            let balance = try await LedgerBalance.read(w.env)
            #expect(LedgerBalance.allBalance(balance), "\(balance)")
        }
    }

    @Test("plan change mid-term is prorated; a failing card leaves the invoice due until it works again", arguments: TestBackend.available)
    func prorationAndCollection(_ backend: TestBackend) async throws {
        try await withWorld(backend, start: "2026-03-01T08:00:00Z") { w in
            let s = try await buy(w, "silver", term: .P1M) // term Mar 1 – Mar 31
            try await travel(w, to: "2026-03-17T08:00:00Z") // 15 of 31 days left
            let op = try await w.env.subscriptions.requestChange(id: s.id, publisherId: nil, change: .plan("gold"), source: .azure, context: .system)
            try await w.env.lifecycleWorker.runOnce()
            try await w.env.subscriptions.acknowledge(subscriptionId: s.id, operationId: op.id, publisherId: w.demo.publisherId, success: true, context: .system)
            let charges = try await w.env.billing.repository.charges(subscriptionId: s.id)
            #expect(charges.map(\.kind) == [.recurring, .proration, .proration])
            #expect(charges.map(\.amountMinor).sorted() == [-MinorUnits.of(Decimal(49) * 15 / 31, "USD"), MinorUnits.of(Decimal(99) * 15 / 31, "USD"), 4_900])
            _ = try await w.env.subscriptions.setPaymentFailing(customerTenantId: w.demo.customerTenantId, failing: true, context: .system)
            try await travel(w, to: "2026-04-02T01:00:00Z")
            let march = try #require(try await w.env.billing.repository.invoices(customerTenantId: w.demo.customerTenantId).first)
            #expect(march.status == .due)
            #expect(try await w.env.payouts.repository.earnings(publisherId: nil).isEmpty)
            var balance = try await LedgerBalance.read(w.env)
            #expect(balance["USD"]?.uncollected == march.totalMinor)
            #expect(LedgerBalance.allBalance(balance), "\(balance)")
            _ = try await w.env.subscriptions.setPaymentFailing(customerTenantId: w.demo.customerTenantId, failing: false, context: .system)
            try await travel(w, to: "2026-05-02T01:00:00Z")
            #expect(try await w.env.billing.invoice(id: march.id).status == .paid)
            balance = try await LedgerBalance.read(w.env)
            #expect(balance["USD"]?.uncollected == 0)
            #expect(LedgerBalance.allBalance(balance), "\(balance)")
        }
    }

    @Test("payout profiles: tax first, same country, alphanumeric account, W-9 only for US (GOV-ACC-06)", arguments: TestBackend.available)
    func profiles(_ backend: TestBackend) async throws {
        try await withWorld(backend) { w in
            let pub = w.demo.publisherId
            await #expect(throws: DomainError.self) {
                _ = try await w.env.payouts.setPayoutAccount(publisherId: pub, method: "Bank", holder: "X", country: "US", currency: "USD", accountNumber: "123456", context: .system)
            }
            await #expect(throws: DomainError.self) {
                _ = try await w.env.payouts.setTaxProfile(publisherId: pub, country: "DE", entityType: "Company", form: "W-9", context: .system)
            }
            _ = try await w.env.payouts.setTaxProfile(publisherId: pub, country: "DE", entityType: "Company", form: "W-8BEN-E", context: .system)
            await #expect(throws: DomainError.self) {
                _ = try await w.env.payouts.setPayoutAccount(publisherId: pub, method: "Bank", holder: "X", country: "FR", currency: "EUR", accountNumber: "123456", context: .system)
            }
            await #expect(throws: DomainError.self) {
                _ = try await w.env.payouts.setPayoutAccount(publisherId: pub, method: "Bank", holder: "X", country: "DE", currency: "EUR", accountNumber: "12-34 56", context: .system)
            }
            let saved = try await w.env.payouts.setPayoutAccount(publisherId: pub, method: "Bank", holder: "Contoso GmbH", country: "DE", currency: "EUR",
                                                                 accountNumber: "DE89370400440532013000", context: .system)
            #expect(saved.account?.accountNumberLast4 == "3000")
            #expect(saved.blocker == nil)
            // The number itself is not stored.
            let stored = try await w.env.payouts.repository.settings(publisherId: pub)
            #expect(!"\(stored)".contains("DE89370400440532013000"))
            #expect(try await w.env.payouts.setHold(publisherId: pub, hold: true, context: .system).blocker == .held)
        }
    }
}
