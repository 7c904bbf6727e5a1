import Foundation
import MercatoCore
import Testing

/// The money rules of issue 8 as pure functions, with the documents' worked examples.
@Suite("Billing rules")
struct BillingRulesTests {
    static func date(_ s: String) -> Date { ISO8601DateFormatter().date(from: s)! }
    static func usd(_ s: String) -> Money { Money(Decimal(string: s)!, "USD") }

    static func subscription(plan: String, seats: Int? = nil, unit: TermUnit = .P1M, start: String = "2026-03-01T00:00:00Z",
                             payment: PaymentOption = .upfront, market: String = "US") -> Subscription {
        let id = AADIdentifier(emailId: "a@b.example", objectId: "o", tenantId: "t", puid: nil)
        return Subscription(id: "sub", publisherId: "pub", offerId: "offer", name: "n", status: .subscribed, beneficiary: id, purchaser: id, planId: plan,
                            quantity: seats, term: SubscriptionTerm.starting(at: date(start), unit: unit), created: date(start), market: market,
                            paymentOption: payment, activatedAt: date(start))
    }

    static let silver = Plan(id: "silver", name: "Silver", pricing: .flatRate,
                             billingTerms: [BillingTerm(termUnit: .P1M, price: usd("30.00")), BillingTerm(termUnit: .P1Y, price: usd("300.00"), marketPrices: ["DE": Money(Decimal(string: "258.00")!, "EUR")])],
                             dimensions: [PlanDimension(dimensionId: "emails", pricePerUnit: usd("0.01"), includedMonthly: .quantity(1000), includedAnnual: .quantity(12000))])
    static let gold = Plan(id: "gold", name: "Gold", pricing: .flatRate, billingTerms: [BillingTerm(termUnit: .P1M, price: usd("60.00")), BillingTerm(termUnit: .P1Y, price: usd("600.00"))])
    static let seats = Plan(id: "team", name: "Team", pricing: .perUser(), billingTerms: [BillingTerm(termUnit: .P1M, price: usd("10.00")), BillingTerm(termUnit: .P1Y, price: usd("4000.00"))])

    @Test("Store fee: SaaS $100.00/month pays the publisher $97.00 and Microsoft keeps $3.00 (spec-portal §6.2)")
    func storeFeeSaaS() {
        let (fee, earning) = StoreFee.split(10_000, rate: StoreFee.standard, currency: "USD")
        #expect(fee == 300)
        #expect(earning == 9_700)
    }

    @Test("Store fee: VM license $1.00/h pays $0.97 and keeps $0.03; BYOL keeps 0%")
    func storeFeeVM() {
        #expect(StoreFee.split(100, rate: StoreFee.standard, currency: "USD") == (3, 97))
        #expect(StoreFee.split(100, rate: StoreFee.rate(pricing: .byol), currency: "USD") == (0, 100))
        // Fee and earning always add up to the transaction, also for odd amounts and refunds.
        for amount: Int64 in [1, 17, 33, 49_99, -4_900, 123_457] {
            let (fee, earning) = StoreFee.split(amount, rate: StoreFee.standard, currency: "USD")
            #expect(fee + earning == amount)
        }
    }

    @Test("Overage over the included quantity: 1,500 emails with 1,000 included at $0.01 bill 500 = $5.00 (spec-saas §7.6)")
    func overageExample() {
        let d = Self.silver.dimensions[0]
        let included = ChargeRules.included(d, unit: .P1M)
        #expect(included == 1000)
        let over = ChargeRules.overage(consumed: 0, adding: 1500, included: included)
        #expect(over == 500)
        #expect(MinorUnits.of(over * d.pricePerUnit.amount, "USD") == 500)
        // Spread over two billing runs in the same term: 800 then 700 → 0 then 500.
        #expect(ChargeRules.overage(consumed: 0, adding: 800, included: included) == 0)
        #expect(ChargeRules.overage(consumed: 800, adding: 700, included: included) == 500)
        // Annual allowance: 12,000 a year; month 11 brings the total to 12,400 → 400 over.
        #expect(ChargeRules.overage(consumed: 11_000, adding: 1_400, included: ChargeRules.included(d, unit: .P1Y)) == 400)
        // Unlimited (∞) never charges.
        #expect(ChargeRules.overage(consumed: 0, adding: 1_000_000, included: nil) == 0)
    }

    @Test("Monthly instalments of a yearly term add up to its price exactly")
    func instalmentsAddUp() {
        for (total, n) in [("4000.00", 12), ("100.00", 12), ("999.99", 36), ("0.05", 12)] {
            let t = Self.usd(total)
            let sum = (1...n).reduce(Int64(0)) { $0 + ChargeRules.instalment(t, k: $1, of: n) }
            #expect(sum == t.minorUnits)
        }
        let s = Self.subscription(plan: "team", seats: 3, unit: .P1Y, payment: .monthly)
        let first = ChargeRules.recurring(s, plan: Self.seats, termStart: s.term.startDate!, k: 1, at: s.term.startDate!)!
        #expect(first.amountMinor == 1_000_00) // 3 × 4000 / 12
        #expect(first.key == "rec:sub:20260301:1")
        #expect(ChargeRules.recurring(s, plan: Self.seats, termStart: s.term.startDate!, k: 13, at: s.term.startDate!) == nil)
    }

    @Test("Market prices: a German customer pays the EUR price of the term")
    func marketPrice() {
        let s = Self.subscription(plan: "silver", unit: .P1Y, market: "DE")
        let c = ChargeRules.recurring(s, plan: Self.silver, termStart: s.term.startDate!, at: s.term.startDate!)!
        #expect(c.currency == "EUR")
        #expect(c.amountMinor == 25_800)
    }

    @Test("Proration of an upgrade at several points of a 31-day monthly term", arguments: [
        ("2026-03-01T10:00:00Z", 31, 3_000, 6_000), // first day: the whole term
        ("2026-03-16T00:00:00Z", 16, 1_548, 3_097), // 16 of 31 days left: 30 × 16/31 = 15.48, 60 × 16/31 = 30.97
        ("2026-03-31T23:00:00Z", 1, 97, 194),       // last day
    ])
    func proration(at: String, daysLeft: Int, credit: Int64, charge: Int64) {
        let before = Self.subscription(plan: "silver")
        var after = before
        after.planId = "gold"
        let lines = ChargeRules.proration(before, after, oldPlan: Self.silver, newPlan: Self.gold, operationId: "op", at: Self.date(at))
        #expect(lines.count == 2)
        #expect(lines[0].amountMinor == -credit)
        #expect(lines[1].amountMinor == charge)
        #expect(lines[1].description.contains("\(daysLeft) of 31 days"))
    }

    @Test("Proration of a seat change on a yearly term paid monthly uses the current month only")
    func prorationSeatsMonthly() {
        let before = Self.subscription(plan: "team", seats: 3, unit: .P1Y, payment: .monthly)
        var after = before
        after.quantity = 6
        // 2026-05-16: the third month (May, 31 days) has 16 days left; a month's price is 4000/12 per seat.
        let lines = ChargeRules.proration(before, after, oldPlan: Self.seats, newPlan: Self.seats, operationId: "op", at: Self.date("2026-05-16T12:00:00Z"))
        #expect(lines.map(\.amountMinor) == [-MinorUnits.of(Decimal(3 * 4000) / 12 * 16 / 31, "USD"), MinorUnits.of(Decimal(6 * 4000) / 12 * 16 / 31, "USD")])
    }

    @Test("No proration during a free trial or outside the term")
    func noProration() {
        var trial = Self.subscription(plan: "silver")
        trial.isFreeTrial = true
        #expect(ChargeRules.proration(trial, trial, oldPlan: Self.silver, newPlan: Self.gold, operationId: "op", at: Self.date("2026-03-10T00:00:00Z")).isEmpty)
        let s = Self.subscription(plan: "silver")
        #expect(ChargeRules.proration(s, s, oldPlan: Self.silver, newPlan: Self.gold, operationId: "op", at: Self.date("2026-04-02T00:00:00Z")).isEmpty)
    }

    @Test("A trial converting a month into a yearly term paid monthly pays the second instalment; the third is scheduled")
    func trialConversionMonthly() {
        var s = Self.subscription(plan: "team", seats: 2, unit: .P1Y, payment: .monthly)
        s.isFreeTrial = false
        let at = Self.date("2026-04-01T00:00:00Z")
        let c = ChargeRules.remainder(s, plan: Self.seats, termStart: s.term.startDate!, termEnd: Self.date("2027-03-01T00:00:00Z"), at: at)!
        #expect(c.key == "rec:sub:20260301:2")
        #expect(c.amountMinor == ChargeRules.instalment(Self.usd("8000.00"), k: 2, of: 12))
        #expect(ChargeRules.nextInstalment(s, after: at) == Self.date("2026-05-01T00:00:00Z"))
        // Converting mid-month pays the rest of that month only.
        let mid = ChargeRules.remainder(s, plan: Self.seats, termStart: s.term.startDate!, termEnd: Self.date("2027-03-01T00:00:00Z"), at: Self.date("2026-04-16T00:00:00Z"))!
        #expect(mid.amountMinor == MinorUnits.of(MinorUnits.decimal(ChargeRules.instalment(Self.usd("8000.00"), k: 2, of: 12), "USD") * 15 / 30, "USD"))
    }

    @Test("Refund windows: 24 hours for monthly terms, 14 days for yearly (spec-saas §3.8)")
    func refundWindows() {
        #expect(ChargeRules.refundWindow(.P1M) == 86_400)
        #expect(ChargeRules.refundWindow(.P1Y) == 14 * 86_400)
        #expect(ChargeRules.refundWindow(.P3Y) == 14 * 86_400)
    }

    @Test("Billing periods are UTC calendar months")
    func periods() {
        let p = BillingPeriod(containing: Self.date("2026-02-14T23:59:59Z"))
        #expect(p.description == "2026-02")
        #expect(p.end == Self.date("2026-03-01T00:00:00Z"))
        #expect(BillingPeriod("2026-12")?.next.description == "2027-01")
        #expect(BillingPeriod("2026-13") == nil)
    }
}
