import Foundation

/// The monthly billing run on the marketplace clock (issue 8): closes a calendar month, charges what time brought
/// (monthly instalments, refunds inside the no-charge windows, metered overage, anomaly credits), issues one
/// invoice per customer and currency from the uninvoiced ledger charges, collects payment unless the customer's
/// payment method fails, turns collected lines into publisher earnings (store fee withheld), and reconciles usage.
/// A closed period is never run again: running twice changes nothing.
public struct BillingService: Sendable {
    public let repository: any BillingRepository
    public let subscriptions: any SubscriptionRepository
    public let catalog: any CatalogRepository
    public let anomalies: (any AnomalyRepository)?
    public let privateOffers: (any PrivateOfferRepository)?
    /// Managed-application instances, billed their monthly fee and metered overage like subscriptions (spec-saas §7.7).
    public let managedApplications: (any ManagedApplicationRepository)?
    public let clock: any MarketplaceClock
    public let digest: AuditChain.Digest

    public init(repository: any BillingRepository, subscriptions: any SubscriptionRepository, catalog: any CatalogRepository,
                anomalies: (any AnomalyRepository)?, privateOffers: (any PrivateOfferRepository)? = nil,
                managedApplications: (any ManagedApplicationRepository)? = nil, clock: any MarketplaceClock, digest: @escaping AuditChain.Digest) {
        self.privateOffers = privateOffers
        self.managedApplications = managedApplications
        self.repository = repository
        self.subscriptions = subscriptions
        self.catalog = catalog
        self.anomalies = anomalies
        self.clock = clock
        self.digest = digest
    }

    public enum BillingError: Error, Equatable, CustomStringConvertible {
        case periodNotOver(String, Date)

        public var description: String {
            switch self {
            case let .periodNotOver(p, end): "billing period \(p) can't be closed yet: it closes at \(ISO8601DateFormatter().string(from: end)) on the marketplace clock (24 hours after its end, for late usage)"
            }
        }
    }

    /// How long after a month's end its bill waits: usage may be reported up to 24 hours late (spec-saas §7.3), and
    /// an hour reported after the run would never be billed.
    public static let lateUsageGrace: TimeInterval = 24 * 3600

    /// When a period may be closed.
    public static func closingTime(_ p: BillingPeriod) -> Date { p.end.addingTimeInterval(lateUsageGrace) }

    /// Closes every month that ended (plus the late-usage grace) since the last run, oldest first. Returns what ran.
    @discardableResult
    public func runDue() async throws -> [BillingRunSummary] {
        let now = clock.now()
        let closed = try await repository.closedPeriods()
        var period: BillingPeriod
        if let last = closed.compactMap({ BillingPeriod($0.period) }).max() {
            period = last.next
        } else if let first = (try await repository.billableSubscriptions(since: .distantPast).compactMap(\.activatedAt)
                                + (managedApplications?.applications(existingFrom: .distantPast, to: now).map(\.createdAt) ?? [])).min() {
            period = BillingPeriod(containing: first)
        } else {
            return []
        }
        var ran: [BillingRunSummary] = []
        while Self.closingTime(period) <= now {
            ran.append(try await run(period))
            period = period.next
        }
        return ran
    }

    /// The next instant billing has work on the clock after `after` (a month's closing time), for time travel in time order.
    public func nextDue(after: Date) -> Date { Self.closingTime(BillingPeriod(containing: after.addingTimeInterval(-Self.lateUsageGrace))) }

    /// Runs one period (which must be over). Idempotent.
    public func run(_ period: BillingPeriod) async throws -> BillingRunSummary {
        guard Self.closingTime(period) <= clock.now() else { throw BillingError.periodNotOver(period.description, Self.closingTime(period)) }
        if let done = try await repository.closedPeriods().first(where: { $0.period == period.description }) {
            var again = done
            again.ranNow = false
            return again
        }
        let plan = try await prepare(period)
        let digest = self.digest
        let summary = try await repository.transaction { tx -> BillingRunSummary in
            var summary = BillingRunSummary(period: period.description, closedAt: period.end, charges: 0, invoices: 0, collected: 0, earnings: 0,
                                            usageEventsRated: 0, ranNow: true)
            guard try await tx.claim(summary) else {
                summary.ranNow = false
                return summary
            }
            var charges = plan.charges
            // Refunds: everything charged for the term up to the cancellation (recurring fees and prorations).
            for r in plan.refunds {
                let total = try await tx.chargeTotal(subscriptionId: r.subscription.id, kinds: [.recurring, .proration], from: r.termStart, through: r.canceledAt)
                guard total != 0 else { continue }
                charges.append(ChargeRules.charge(r.subscription, plan: r.plan, kind: .refund, key: "ref:\(r.subscription.id):\(ChargeRules.day(r.termStart))",
                                                  amount: -total, currency: r.currency, quantity: "1",
                                                  description: "Refund: canceled within the no-charge window", at: r.canceledAt))
            }
            // Overage against the allowance consumed so far in each window.
            let consumed = try await tx.consumed(plan.usage.map(\.key))
            var newConsumed: [String: Int64] = [:]
            for u in plan.usage {
                let before = consumed[u.key] ?? 0
                newConsumed[u.key] = before + u.micros
                let over = ChargeRules.overage(consumed: DailyUsage.decimal(before), adding: DailyUsage.decimal(u.micros), included: u.included)
                guard over > 0 else { continue }
                let amount = MinorUnits.of(over * u.unitPrice.amount, u.unitPrice.currency)
                charges.append(ChargeRules.charge(u.owner, plan: u.plan, kind: .overage, key: "ovg:\(u.key):\(period)", amount: amount,
                                                  currency: u.unitPrice.currency, quantity: "\(over)",
                                                  description: "\(u.dimension): \(over) above the included quantity at \(Currency.exact(u.unitPrice.amount, u.unitPrice.currency)) per unit",
                                                  at: period.end.addingTimeInterval(-1), dimension: u.dimension))
            }
            try await tx.setConsumed(newConsumed)
            summary.charges = try await tx.insert(charges)
            // Invoices: one per customer and currency, from every charge not yet invoiced.
            let open = try await tx.uninvoicedCharges(before: period.end)
            let groups = Dictionary(grouping: open) { "\($0.customerTenantId)|\($0.currency)" }
            for (_, lines) in groups.sorted(by: { $0.key < $1.key }) {
                let first = lines[0]
                let id = Self.invoiceId(period: period, customer: first.customerTenantId, currency: first.currency, digest: digest)
                let invoiceLines = lines.sorted { ($0.occurredAt, $0.key) < ($1.occurredAt, $1.key) }.map {
                    InvoiceLine(lineItemId: EntraStyle.nameBasedUUID("line:\($0.key)", digest: digest), charge: $0)
                }
                try await tx.insert(invoiceId: id, customerTenantId: first.customerTenantId, period: period.description, currency: first.currency,
                                    issuedAt: period.end, lines: invoiceLines)
                summary.invoices += 1
            }
            // Collection, then earnings (spec-portal §6.6: card purchases are held 30 days).
            for invoice in try await tx.unpaidInvoices() where !plan.failingCustomers.contains(invoice.customerTenantId) {
                try await tx.recordPayment(invoiceId: invoice.id, at: period.end)
                summary.collected += 1
                let earnings = invoice.lines.map { line -> Earning in
                    let c = line.charge
                    let rate = StoreFee.standard
                    let (fee, earning) = StoreFee.split(c.amountMinor, rate: rate, currency: c.currency)
                    return Earning(earningId: EntraStyle.nameBasedUUID("earning:\(c.key)", digest: digest), publisherId: c.publisherId, invoiceId: invoice.id,
                                   lineItemId: line.lineItemId, chargeKey: c.key, currency: c.currency, transactionAmountMinor: c.amountMinor, feeRate: rate,
                                   storeFeeMinor: fee, earningAmountMinor: earning, transactionType: c.amountMinor < 0 ? .refund : .purchase,
                                   transactionDate: c.occurredAt, collectedAt: period.end, eligibleAt: period.end.addingTimeInterval(StoreFee.cardHold))
                }
                try await tx.insert(earnings)
                summary.earnings += earnings.count
            }
            for m in plan.mismatches {
                try await tx.markMismatch(resourceId: m.resourceId, dimension: m.dimension, fromHour: m.day * 24, toHour: m.day * 24 + 24)
            }
            summary.usageEventsRated = try await tx.reconcileUsage(fromHour: Self.hour(period.start), toHour: Self.hour(period.end))
            try await tx.updateSummary(summary)
            return summary
        }
        return summary
    }

    public static func invoiceId(period: BillingPeriod, customer: String, currency: String, digest: AuditChain.Digest) -> String {
        let compact = period.description.replacingOccurrences(of: "-", with: "")
        let suffix = digest(Array("invoice:\(period):\(customer.lowercased()):\(currency)".utf8)).prefix(10).uppercased()
        return "INV-\(compact)-\(suffix)"
    }

    static func hour(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 / 3600).rounded(.down)) }

    // MARK: Reading what the period owes (outside the transaction)

    struct Refund: Sendable {
        var subscription: Subscription
        var plan: Plan
        var termStart: Date
        var canceledAt: Date
        var currency: String
    }

    struct UsageLine: Sendable {
        var key: String
        var owner: ChargeOwner
        var plan: Plan
        var dimension: String
        var micros: Int64
        var included: Decimal?
        var unitPrice: Money
    }

    struct Mismatch: Sendable { var resourceId: String; var dimension: String; var day: Int64 }

    struct RunPlan: Sendable {
        var charges: [BillingCharge] = []
        var refunds: [Refund] = []
        var usage: [UsageLine] = []
        var failingCustomers: Set<String> = []
        var mismatches: [Mismatch] = []
    }

    func prepare(_ period: BillingPeriod) async throws -> RunPlan {
        var result = RunPlan()
        var offers: [String: Offer?] = [:]
        var discounts: [String: [PrivateOffer]] = [:]
        let ratedAt = period.end.addingTimeInterval(-1)
        func plan(_ o: ChargeOwner, _ planId: String) async throws -> Plan? {
            let key = "\(o.publisherId)|\(o.offerId)"
            if offers[key] == nil {
                let record = try await catalog.offer(publisherId: o.publisherId, offerId: o.offerId)
                offers[key] = .some(record?.live ?? record?.preview)
            }
            guard let p = offers[key]!?.plans.first(where: { $0.id == planId }) else { return nil }
            guard let privateOffers else { return p }
            // Usage is rated at the customer's private price in effect at the end of the month (spec-portal §5.2).
            let customerKey = "\(key)|\(o.customerTenantId)"
            if discounts[customerKey] == nil {
                discounts[customerKey] = try await privateOffers.privateOffers(customerTenantId: o.customerTenantId, publisherId: o.publisherId, offerId: o.offerId)
            }
            return PrivateOfferPricing.discounted(p, offers: discounts[customerKey]!, at: ratedAt)
        }
        func plan(_ s: Subscription, _ planId: String) async throws -> Plan? { try await plan(ChargeOwner(s), planId) }
        let subs = try await repository.billableSubscriptions(since: period.start)
        var byId: [String: Subscription] = [:]
        var tenants = Set<String>()
        for s in subs {
            byId[s.id] = s
            tenants.insert(s.beneficiary.tenantId)
            guard let p = try await plan(s, s.planId), let start = s.term.startDate else { continue }
            // Refund when canceled inside the no-charge window of the current term.
            if s.status == .unsubscribed, let canceled = s.canceledAt, canceled >= period.start, canceled < period.end,
               canceled >= start, canceled.timeIntervalSince(start) < ChargeRules.refundWindow(s.term.termUnit),
               let price = ChargeRules.termPrice(p, unit: s.term.termUnit, market: s.market, at: canceled) {
                result.refunds.append(Refund(subscription: s, plan: p, termStart: start, canceledAt: canceled, currency: price.currency))
            }
        }
        for t in tenants where try await subscriptions.paymentFailing(customerTenantId: t) { result.failingCustomers.insert(t) }
        // Managed applications (spec-saas §7.7): the monthly fee for the days each instance existed in the period.
        var apps: [String: ManagedApplication] = [:]
        for app in try await managedApplications?.applications(existingFrom: period.start, to: period.end) ?? [] {
            apps[app.resourceUsageId] = app
            guard let p = try await plan(ChargeOwner(app), app.planId), let fee = ChargeRules.managedApplicationFee(app, plan: p, period: period) else { continue }
            result.charges.append(fee)
        }
        /// What a usage resource ID names: a subscription or a managed-application instance (looked up once, then kept).
        func resolve(_ id: String) async throws {
            guard byId[id] == nil, apps[id] == nil else { return }
            if let s = try await subscriptions.subscription(id: id) {
                byId[id] = s
            } else if let app = try await managedApplications?.application(usageId: id) {
                apps[id] = app
            }
        }
        // Anomaly corrections marked during the period: credit the customer, and the day's usage no longer matches.
        if let anomalies {
            for a in try await anomalies.marked(from: period.start, to: period.end) {
                try await resolve(a.resourceId)
                guard let owner = byId[a.resourceId].map(ChargeOwner.init) ?? apps[a.resourceId].map(ChargeOwner.init),
                      let credit = a.creditRequested, credit.amount > 0 else { continue }
                let p = try await plan(owner, a.planId) ?? Plan(id: a.planId, name: a.planId, pricing: .flatRate, billingTerms: [])
                result.charges.append(ChargeRules.charge(owner, plan: p, kind: .refund, key: "anom:\(a.id)", amount: -credit.minorUnits, currency: credit.currency,
                                                         quantity: "\(a.reportedUsage - (a.newReportedUsage ?? a.reportedUsage))",
                                                         description: "Credit: usage of \(a.dimension) on \(WireTime.day(a.usageDate).prefix(10)) corrected to \(a.newReportedUsage ?? 0)",
                                                         at: a.actionTakenAt ?? period.start, dimension: a.dimension))
                result.mismatches.append(Mismatch(resourceId: a.resourceId, dimension: a.dimension, day: Int64(a.usageDate.timeIntervalSince1970 / 86_400)))
            }
        }
        // Usage of the period, summed per allowance window (spec-saas §7.6: included quantities are per term and reset
        // on renewal; "Any overage emitted up to the time of conversion" is rated on the plan it was emitted under).
        var lines: [String: UsageLine] = [:]
        for u in try await repository.dailyUsage(fromHour: Self.hour(period.start), toHour: Self.hour(period.end)) {
            try await resolve(u.resourceId)
            if let app = apps[u.resourceId] {
                // A managed application's included quantities are monthly and its billing cadence is the calendar month (§7.7).
                let owner = ChargeOwner(app)
                guard let p = try await plan(owner, u.planId), let d = p.dimensions.first(where: { $0.dimensionId == u.dimension }) else { continue }
                let key = "\(app.resourceUsageId):\(u.dimension):\(u.planId):\(ChargeRules.day(period.start))"
                lines[key, default: UsageLine(key: key, owner: owner, plan: p, dimension: u.dimension, micros: 0, included: ChargeRules.included(d, unit: .P1M),
                                              unitPrice: ChargeRules.unitPrice(d, market: owner.market))].micros += u.quantityMicros
                continue
            }
            guard let s = byId[u.resourceId], let termStart = s.term.startDate,
                  let p = try await plan(s, u.planId), let d = p.dimensions.first(where: { $0.dimensionId == u.dimension }) else { continue }
            let day = Date(timeIntervalSince1970: TimeInterval(u.day * 86_400))
            var start = termStart
            while start > day { start = BillingCalendar.addMonths(-s.term.termUnit.months, to: start) }
            let window = ChargeRules.allowanceWindowStart(termStart: start, unit: s.term.termUnit, day: day)
            let key = "\(s.id):\(u.dimension):\(u.planId):\(ChargeRules.day(window))"
            lines[key, default: UsageLine(key: key, owner: ChargeOwner(s), plan: p, dimension: u.dimension, micros: 0,
                                          included: ChargeRules.included(d, unit: s.term.termUnit), unitPrice: ChargeRules.unitPrice(d, market: s.market))]
                .micros += u.quantityMicros
        }
        result.usage = lines.values.sorted { $0.key < $1.key }
        return result
    }

    // MARK: Reading

    public func invoice(id: String) async throws -> Invoice {
        guard let invoice = try await repository.invoice(id: id) else { throw DomainError.notFound(kind: "invoice", id: id) }
        return invoice
    }

    /// A publisher's view of invoices: only the lines of its own sales, totalled over those lines.
    public func invoices(publisherId: String) async throws -> [Invoice] {
        try await repository.invoices(customerTenantId: nil).compactMap { invoice in
            var own = invoice
            own.lines = invoice.lines.filter { $0.charge.publisherId == publisherId }
            own.totalMinor = own.lines.reduce(0) { $0 + $1.charge.amountMinor }
            return own.lines.isEmpty ? nil : own
        }
    }
}
