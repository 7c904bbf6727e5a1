import Foundation

/// How much a subscription costs and when (spec-saas §10.3, §3.8, §7.6; spec-portal §6). Pure functions: the
/// subscription service calls them inside its transactions and the billing run calls them for what time brings.
public enum ChargeRules {
    /// spec-saas §3.8: no-charge cancellation windows after activation (we also apply them after a renewal, which
    /// starts a newly paid term): 24 hours for a monthly term, 14 days for a yearly (or longer) one.
    public static func refundWindow(_ unit: TermUnit) -> TimeInterval { unit == .P1M ? 86_400 : 14 * 86_400 }

    /// The price of one term of `plan` in the customer's market on `date`: the market's own price, else the USD price
    /// converted at the reference rate (spec-portal §3.9), with any scheduled price change that has taken effect (§3.8).
    public static func termPrice(_ plan: Plan, unit: TermUnit, market: String, at date: Date) -> Money? {
        PriceChangeRules.price(of: plan, term: unit, market: market, at: date, rates: .reference)
            ?? plan.term(unit).map { $0.marketPrices[market] ?? $0.price }
    }

    /// How many payments a term has: one when paid upfront, one per month when paid monthly (the option the customer
    /// chose at purchase).
    public static func instalments(_ s: Subscription) -> Int { s.paymentOption == .monthly ? s.term.termUnit.months : 1 }

    /// The whole term's price for the subscription's seats (per-user plans) or flat fee, in Decimal.
    static func termTotal(_ plan: Plan, unit: TermUnit, market: String, seats: Int?, at date: Date) -> Money? {
        guard let price = termPrice(plan, unit: unit, market: market, at: date) else { return nil }
        let multiplier = plan.pricing.isPricePerSeat ? Decimal(max(seats ?? 1, 1)) : 1
        return Money(price.amount * multiplier, price.currency)
    }

    /// Instalment `k` (1-based) of `n`: the rounded cumulative share minus the previous one, so the instalments of a
    /// term add up to its price exactly.
    public static func instalment(_ total: Money, k: Int, of n: Int) -> Int64 {
        let upTo = { (i: Int) -> Int64 in MinorUnits.of(total.amount * Decimal(i) / Decimal(n), total.currency) }
        return upTo(k) - upTo(k - 1)
    }

    public static func instalmentDate(termStart: Date, k: Int) -> Date { BillingCalendar.addMonths(k - 1, to: termStart) }

    /// The first instalment of the current term due after `date` (k ≥ 2), or nil when the term is paid upfront or
    /// fully charged. The lifecycle engine charges it when it falls due, at the plan and seats of that moment.
    public static func nextInstalment(_ s: Subscription, after date: Date) -> Date? {
        let n = instalments(s)
        guard n > 1, let start = s.term.startDate else { return nil }
        return (2...n).lazy.map { instalmentDate(termStart: start, k: $0) }.first { $0 > date }
    }

    /// Which instalment of the current term falls on `date`.
    public static func instalmentIndex(_ s: Subscription, at date: Date) -> Int? {
        guard let start = s.term.startDate else { return nil }
        return (1...instalments(s)).first { instalmentDate(termStart: start, k: $0) == date }
    }

    static func key(_ parts: String...) -> String { parts.joined(separator: ":") }

    static func day(_ d: Date) -> String { WireTime.day(d).prefix(10).replacingOccurrences(of: "-", with: "") }

    /// A recurring payment: instalment `k` of the term starting at `termStart`.
    public static func recurring(_ s: Subscription, plan: Plan, termStart: Date, k: Int = 1, at: Date) -> BillingCharge? {
        guard let total = termTotal(plan, unit: s.term.termUnit, market: s.market, seats: s.quantity, at: at) else { return nil }
        let n = instalments(s)
        guard k >= 1, k <= n else { return nil }
        let amount = instalment(total, k: k, of: n)
        let what = n == 1 ? "\(plan.name), \(s.term.termUnit.rawValue) term" : "\(plan.name), \(s.term.termUnit.rawValue) term, instalment \(k) of \(n)"
        return charge(s, plan: plan, kind: .recurring, key: key("rec", s.id, day(termStart), String(k)), amount: amount, currency: total.currency,
                      quantity: String(plan.pricing.isPricePerSeat ? (s.quantity ?? 1) : 1), description: what, at: at)
    }

    /// The payment due when a free trial converts at `at` inside a term: the share of the paid window left — the rest of
    /// the term when paid upfront, the rest of the current month's instalment when paid monthly.
    public static func remainder(_ s: Subscription, plan: Plan, termStart: Date, termEnd: Date, at: Date) -> BillingCharge? {
        let n = instalments(s)
        var k = 1
        while n > 1 && k < n && instalmentDate(termStart: termStart, k: k + 1) <= at { k += 1 }
        guard var c = recurring(s, plan: plan, termStart: termStart, k: k, at: at) else { return nil }
        let windowStart = instalmentDate(termStart: termStart, k: k)
        let windowEnd = n == 1 ? termEnd : min(instalmentDate(termStart: termStart, k: k + 1), termEnd)
        let total = BillingCalendar.days(from: windowStart, to: windowEnd)
        let left = BillingCalendar.days(from: at, to: windowEnd)
        guard total > 0, left < total else { return c }
        c.amountMinor = MinorUnits.of(MinorUnits.decimal(c.amountMinor, c.currency) * Decimal(max(left, 0)) / Decimal(total), c.currency)
        c.description += " (from \(WireTime.day(at).prefix(10)), prorated)"
        return c
    }

    /// A plan or seat change that took effect at `at`: a credit for what is left of the old price and a charge for the
    /// same share of the new one, measured in whole days over the paid window (the term when paid upfront; the current
    /// month when paid monthly). Nothing during a free trial.
    public static func proration(_ before: Subscription, _ after: Subscription, oldPlan: Plan, newPlan: Plan, operationId: String, at: Date) -> [BillingCharge] {
        guard !before.isFreeTrial, let start = before.term.startDate, let end = before.term.endDate else { return [] }
        let termEnd = end.addingTimeInterval(86_400)
        guard at >= start, at < termEnd else { return [] }
        let n = instalments(before)
        var windowStart = start
        var windowEnd = termEnd
        if n > 1 {
            var k = 1
            while k < n && instalmentDate(termStart: start, k: k + 1) <= at { k += 1 }
            windowStart = instalmentDate(termStart: start, k: k)
            windowEnd = min(instalmentDate(termStart: start, k: k + 1), termEnd)
        }
        let total = BillingCalendar.days(from: windowStart, to: windowEnd)
        let left = BillingCalendar.days(from: at, to: windowEnd)
        guard total > 0, left > 0 else { return [] }
        func share(_ plan: Plan, _ s: Subscription) -> Money? {
            guard let t = termTotal(plan, unit: s.term.termUnit, market: s.market, seats: s.quantity, at: at) else { return nil }
            let perWindow = t.amount / Decimal(n)
            return Money(perWindow * Decimal(left) / Decimal(total), t.currency)
        }
        guard let old = share(oldPlan, before), let new = share(newPlan, after) else { return [] }
        let fromTo = "\(oldPlan.name)\(before.quantity.map { " × \($0)" } ?? "") → \(newPlan.name)\(after.quantity.map { " × \($0)" } ?? ""), \(left) of \(total) days"
        return [
            charge(before, plan: oldPlan, kind: .proration, key: key("pro", operationId, "credit"), amount: -old.minorUnits, currency: old.currency,
                   quantity: String(before.quantity ?? 1), description: "Credit for unused \(fromTo)", at: at),
            charge(after, plan: newPlan, kind: .proration, key: key("pro", operationId, "charge"), amount: new.minorUnits, currency: new.currency,
                   quantity: String(after.quantity ?? 1), description: "Charge for \(fromTo)", at: at),
        ]
    }

    static func charge(_ s: Subscription, plan: Plan, kind: BillingCharge.Kind, key: String, amount: Int64, currency: String, quantity: String,
                       description: String, at: Date, dimension: String? = nil) -> BillingCharge {
        charge(ChargeOwner(s), plan: plan, kind: kind, key: key, amount: amount, currency: currency, quantity: quantity, description: description,
               at: at, dimension: dimension)
    }

    static func charge(_ o: ChargeOwner, plan: Plan, kind: BillingCharge.Kind, key: String, amount: Int64, currency: String, quantity: String,
                       description: String, at: Date, dimension: String? = nil) -> BillingCharge {
        BillingCharge(key: key, kind: kind, publisherId: o.publisherId, offerId: o.offerId, planId: plan.id, subscriptionId: o.resourceId,
                      customerTenantId: o.customerTenantId, market: o.market, currency: currency, amountMinor: amount, quantity: quantity,
                      description: description, occurredAt: at, dimension: dimension)
    }

    // MARK: Managed applications (spec-saas §7.7)

    /// The monthly fee of a managed-application instance for `period`: "a monthly recurring fee (which can be $0)",
    /// billed monthly, for the UTC days of the period the instance existed on (any part of a day counts; a whole month
    /// is the plan's price exactly). Nil when the instance did not exist in the period or the plan has no monthly price.
    public static func managedApplicationFee(_ app: ManagedApplication, plan: Plan, period: BillingPeriod) -> BillingCharge? {
        let from = max(app.createdAt, period.start)
        let until = min(app.deletedAt ?? period.end, period.end)
        guard from < until, let price = termPrice(plan, unit: .P1M, market: app.billingMarket, at: from) else { return nil }
        let total = BillingCalendar.days(from: period.start, to: period.end)
        let alive = min(total, BillingCalendar.days(from: from, to: until.addingTimeInterval(-0.001)) + 1)
        let amount = MinorUnits.of(price.amount * Decimal(alive) / Decimal(total), price.currency)
        guard amount != 0 else { return nil }
        let what = alive == total ? "\(plan.name), monthly fee" : "\(plan.name), monthly fee for \(alive) of \(total) days"
        return charge(ChargeOwner(app), plan: plan, kind: .recurring, key: key("mapp", app.resourceUsageId, period.description), amount: amount,
                      currency: price.currency, quantity: "1", description: "\(what) (managed application \(app.name))", at: from)
    }

    // MARK: Metered overage (spec-saas §7.6)

    /// The window an included quantity covers: the term for monthly and yearly terms; each 12 months of a multi-year
    /// term ("Annual quantity included in base").
    public static func allowanceWindowStart(termStart: Date, unit: TermUnit, day: Date) -> Date {
        guard unit.months > 12 else { return termStart }
        var start = termStart
        while BillingCalendar.addMonths(12, to: start) <= day { start = BillingCalendar.addMonths(12, to: start) }
        return start
    }

    /// The included quantity of a dimension for the term unit; nil means unlimited (∞, never charged).
    public static func included(_ d: PlanDimension, unit: TermUnit) -> Decimal? {
        switch unit == .P1M ? d.includedMonthly : d.includedAnnual {
        case let .quantity(n): Decimal(n)
        case .unlimited: nil
        }
    }

    /// Overage added by `quantity` new units when `consumed` were already used in the window.
    public static func overage(consumed: Decimal, adding quantity: Decimal, included: Decimal?) -> Decimal {
        guard let included else { return 0 }
        return max(0, consumed + quantity - included) - max(0, consumed - included)
    }

    /// A dimension's price per unit in the market: its own, else the USD price converted unrounded (prices per unit
    /// may be finer than the currency's minor unit; the line amount is rounded once).
    public static func unitPrice(_ d: PlanDimension, market: String) -> Money {
        if let own = d.marketPricesPerUnit[market] { return own }
        guard market != "US", let m = Markets.market(market), let rate = ExchangeRates.reference.perUSD[m.currency] else { return d.pricePerUnit }
        return Money(d.pricePerUnit.amount * rate, m.currency)
    }
}

/// Who a charge is for: a SaaS subscription, or a managed-application instance (spec-saas §7.7), whose
/// `resourceUsageId` stands where a subscription ID would.
public struct ChargeOwner: Sendable, Equatable {
    public var resourceId: String
    public var publisherId: String
    public var offerId: String
    public var customerTenantId: String
    public var market: String

    public init(_ s: Subscription) {
        resourceId = s.id
        publisherId = s.publisherId
        offerId = s.offerId
        customerTenantId = s.beneficiary.tenantId
        market = s.market
    }

    public init(_ app: ManagedApplication) {
        resourceId = app.resourceUsageId
        publisherId = app.publisherId
        offerId = app.offerId
        customerTenantId = app.customerTenantId
        market = app.billingMarket
    }
}
