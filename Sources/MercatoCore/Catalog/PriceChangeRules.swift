import Foundation

/// Price changes of published plans (spec-portal §3.8, "price change feature", 04/2022): a decrease takes effect on
/// the 1st of the next month (if published at least the cut-off days before month end), an increase on the 1st of a
/// month at least 90 days away. Existing customers keep their contract price for the term; new purchases pay the
/// price in effect at purchase.
public enum PriceChangeRules {
    /// Days before month end after which a change no longer counts for "next month".
    public static func cutoffDays(_ type: OfferType) -> Int {
        switch type {
        case .azureVirtualMachine: 6
        case .azureManagedApplication, .azureSolutionTemplate: 14
        default: 4
        }
    }

    public static func effectiveDate(_ direction: ScheduledPriceChange.Direction, publishedAt: Date, type: OfferType) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let startOfMonth = calendar.date(from: calendar.dateComponents([.year, .month], from: publishedAt))!
        let nextMonth = calendar.date(byAdding: .month, value: 1, to: startOfMonth)!
        switch direction {
        case .decrease:
            let cutoff = calendar.date(byAdding: .day, value: -cutoffDays(type), to: nextMonth)!
            return publishedAt < cutoff ? nextMonth : calendar.date(byAdding: .month, value: 1, to: nextMonth)!
        case .increase:
            let earliest = publishedAt.addingTimeInterval(90 * 86_400)
            var candidate = nextMonth
            while candidate < earliest { candidate = calendar.date(byAdding: .month, value: 1, to: candidate)! }
            return candidate
        }
    }

    /// Compares the live offer with the draft about to be published. Returns the draft with changed prices of
    /// already-live plans turned into scheduled changes (the live price stays until the effective date), or throws
    /// the rule that forbids the change.
    public static func schedule(live: Offer, draft: Offer, now: Date) throws -> Offer {
        var result = draft
        for (index, plan) in draft.plans.enumerated() {
            guard let old = live.plan(plan.id) else { continue }
            var pending = old.scheduledPriceChanges.filter { $0.effectiveDate > now }
            var updated = plan
            for (t, term) in plan.billingTerms.enumerated() {
                guard let oldTerm = old.term(term.termUnit) else { continue }
                var changes: [(String, Money, Money)] = []
                if oldTerm.price != term.price { changes.append(("US", oldTerm.price, term.price)) }
                for (market, price) in term.marketPrices where oldTerm.marketPrices[market] != price {
                    if let before = oldTerm.marketPrices[market] { changes.append((market, before, price)) }
                }
                for (market, before, after) in changes {
                    let change = try make(plan: plan.id, term: term.termUnit, dimension: nil, market: market, before, after, type: draft.type, now: now, pending: pending)
                    pending.append(change)
                    updated.scheduledPriceChanges.append(change)
                }
                // The live price stays in force until the effective date.
                updated.billingTerms[t].price = oldTerm.price
                for (market, price) in oldTerm.marketPrices { updated.billingTerms[t].marketPrices[market] = price }
            }
            for (d, dim) in plan.dimensions.enumerated() {
                guard let oldDim = old.dimensions.first(where: { $0.dimensionId == dim.dimensionId }), oldDim.pricePerUnit != dim.pricePerUnit else { continue }
                let change = try make(plan: plan.id, term: nil, dimension: dim.dimensionId, market: "US", oldDim.pricePerUnit, dim.pricePerUnit,
                                      type: draft.type, now: now, pending: pending)
                pending.append(change)
                updated.scheduledPriceChanges.append(change)
                updated.dimensions[d].pricePerUnit = oldDim.pricePerUnit
            }
            result.plans[index] = updated
        }
        return result
    }

    static func make(plan: String, term: TermUnit?, dimension: String?, market: String, _ before: Money, _ after: Money,
                     type: OfferType, now: Date, pending: [ScheduledPriceChange]) throws -> ScheduledPriceChange {
        let what = term.map { "\($0.rawValue) price" } ?? "price per unit of '\(dimension ?? "")'"
        let supported: Set<OfferType> = [.saas, .azureVirtualMachine, .azureManagedApplication]
        guard supported.contains(type) else {
            throw DomainError.invalid(field: "plans.\(plan)", reason: "prices of published \(type.rawValue) plans can't change")
        }
        guard before.currency == after.currency else {
            throw DomainError.invalid(field: "plans.\(plan)", reason: "the currency of a published price can't change")
        }
        if before.amount == 0 && after.amount > 0 {
            throw DomainError.invalid(field: "plans.\(plan)", reason: "the \(what) can't go from free ($0) to paid; create a new plan")
        }
        let direction: ScheduledPriceChange.Direction = after.amount > before.amount ? .increase : .decrease
        if pending.contains(where: { $0.direction != direction }) {
            throw DomainError.conflict(reason: "plan '\(plan)' already has a pending price \(direction == .increase ? "decrease" : "increase"); an increase and a decrease can't be pending together")
        }
        return ScheduledPriceChange(termUnit: term, dimensionId: dimension, market: market, oldPrice: before, newPrice: after,
                                    direction: direction, effectiveDate: effectiveDate(direction, publishedAt: now, type: type), scheduledAt: now)
    }

    /// The price of a term in a market on a date: the published price, or a scheduled change that has taken effect.
    public static func price(of plan: Plan, term: TermUnit, market: String, at date: Date, rates: ExchangeRates) -> Money? {
        guard let t = plan.term(term) else { return nil }
        let code = market.uppercased()
        var price: Money? = t.marketPrices[code] ?? {
            guard let m = Markets.market(code) else { return nil }
            if code == "US" { return t.price }
            return rates.convert(t.price.amount, to: m.currency).map { Money($0, m.currency) }
        }()
        for change in plan.scheduledPriceChanges.sorted(by: { $0.effectiveDate < $1.effectiveDate })
        where change.termUnit == term && change.effectiveDate <= date {
            if change.market == code {
                price = change.newPrice
            } else if change.market == "US", t.marketPrices[code] == nil, let m = Markets.market(code) {
                price = rates.convert(change.newPrice.amount, to: m.currency).map { Money($0, m.currency) }
            }
        }
        return price
    }
}
