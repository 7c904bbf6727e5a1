import Foundation

/// Payouts on the marketplace clock (spec-portal §6.6–6.7; spec-analytics-governance §B.3, §B.5): on the 5th of each
/// month a payment order is generated per publisher and currency for the earnings whose holding period ended
/// (`Unprocessed` → `Upcoming`) if they reach the $50 threshold and the publisher has tax and payout profiles and no
/// hold; on the 15th the orders are sent (`Sent`). Otherwise the earnings carry forward, with the reason recorded.
public struct PayoutService: Sendable {
    public let repository: any PayoutRepository
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let digest: AuditChain.Digest
    public let rates: ExchangeRates

    /// "The payment threshold in all cases is $50 USD".
    public static let thresholdUSD: Decimal = 50
    public static let orderDay = 5
    public static let sendDay = 15

    public init(repository: any PayoutRepository, clock: any MarketplaceClock, ids: any IDGenerator, digest: @escaping AuditChain.Digest,
                rates: ExchangeRates = .reference) {
        self.repository = repository
        self.clock = clock
        self.ids = ids
        self.digest = digest
        self.rates = rates
    }

    /// The threshold in `currency` minor units (converted at the reference rate; USD if the currency is unknown).
    public func thresholdMinor(_ currency: String) -> Int64 { Self.threshold(currency, rates: rates) }

    public static func thresholdMinorStatic(_ currency: String) -> Int64 { threshold(currency, rates: .reference) }

    static func threshold(_ currency: String, rates: ExchangeRates) -> Int64 {
        MinorUnits.of(rates.convert(thresholdUSD, to: currency) ?? thresholdUSD, currency)
    }

    // MARK: Profiles (GOV-ACC-06)

    public func settings(publisherId: String) async throws -> PayoutSettings { try await repository.settings(publisherId: publisherId) }

    public func setTaxProfile(publisherId: String, country: String, entityType: String, form: String, context: AuditContext) async throws -> PayoutSettings {
        let country = country.uppercased()
        guard country.count == 2, country.allSatisfy({ $0.isLetter && $0.isASCII }) else {
            throw DomainError.invalid(field: "countryOfResidence", reason: "'\(country)' is not an ISO 3166 two-letter country code")
        }
        guard !entityType.trimmingCharacters(in: .whitespaces).isEmpty, entityType.count <= 100 else {
            throw DomainError.invalid(field: "entityType", reason: "is required (e.g. Company, Individual), at most 100 characters")
        }
        guard let taxForm = TaxProfile.Form(rawValue: form) else {
            throw DomainError.invalid(field: "taxForm", reason: "must be one of \(TaxProfile.Form.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (taxForm == .w9) == (country == "US") else {
            throw DomainError.invalid(field: "taxForm", reason: "US persons file W-9; everyone else files a W-8 form (spec-portal §6.4)")
        }
        var s = try await repository.settings(publisherId: publisherId)
        let countryChanged = s.account != nil && s.account?.country != country
        s.tax = TaxProfile(countryOfResidence: country, entityType: entityType, taxForm: taxForm, withholdingPercent: taxForm == .w9 ? 0 : 30, submittedAt: clock.now())
        if countryChanged { s.account = nil } // the payout account must be in the tax country; it has to be entered again
        try await repository.save(s, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: "payout.taxProfile.set",
                                                           targetType: "publisher", targetId: publisherId, after: "{\"country\":\"\(country)\",\"taxForm\":\"\(taxForm.rawValue)\"}"))
        return s
    }

    public func setPayoutAccount(publisherId: String, method: String, holder: String, country: String, currency: String, accountNumber: String,
                                 context: AuditContext) async throws -> PayoutSettings {
        var s = try await repository.settings(publisherId: publisherId)
        guard let tax = s.tax else {
            throw DomainError.conflict(reason: "a tax profile must be submitted before a payout profile (spec-portal §6.4)")
        }
        guard let m = PayoutAccount.Method(rawValue: method) else {
            throw DomainError.invalid(field: "method", reason: "must be Bank or PayPal")
        }
        guard country.uppercased() == tax.countryOfResidence else {
            throw DomainError.invalid(field: "country", reason: "the payout account must be in \(tax.countryOfResidence), the country of the tax profile (spec-portal §6.5)")
        }
        let name = holder.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else { throw DomainError.invalid(field: "accountHolderName", reason: "is required, at most 100 characters, exactly as the bank has it") }
        guard accountNumber.count >= 4, accountNumber.count <= 34, accountNumber.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw DomainError.invalid(field: "accountNumber", reason: "must be 4 to 34 letters and digits only (spec-portal §6.5: alphanumeric only)")
        }
        guard Currency.exponent(currency.uppercased()) >= 0, currency.count == 3, rates.perUSD[currency.uppercased()] != nil else {
            throw DomainError.invalid(field: "currency", reason: "'\(currency)' is not a payout currency Mercato knows")
        }
        s.account = PayoutAccount(method: m, accountHolderName: name, country: country.uppercased(), currency: currency.uppercased(),
                                  accountNumberLast4: String(accountNumber.suffix(4)), accountNumberHash: digest(Array("payout-account:\(accountNumber)".utf8)),
                                  submittedAt: clock.now())
        try await repository.save(s, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: "payout.account.set",
                                                           targetType: "publisher", targetId: publisherId, after: "{\"method\":\"\(m.rawValue)\",\"last4\":\"\(s.account!.accountNumberLast4)\"}"))
        return s
    }

    public func setHold(publisherId: String, hold: Bool, context: AuditContext) async throws -> PayoutSettings {
        var s = try await repository.settings(publisherId: publisherId)
        s.hold = hold
        try await repository.save(s, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: hold ? "payout.hold" : "payout.release",
                                                           targetType: "publisher", targetId: publisherId))
        return s
    }

    // MARK: Runs

    /// The next payout date (a 5th or 15th, 00:00 UTC) after `after`.
    public func nextDue(after: Date) -> Date {
        let month = BillingCalendar.monthStart(after)
        let candidates = [0, 1].flatMap { m -> [Date] in
            let start = BillingCalendar.addMonths(m, to: month)
            return [BillingCalendar.dayOfMonth(Self.orderDay, inMonthOf: start), BillingCalendar.dayOfMonth(Self.sendDay, inMonthOf: start)]
        }
        return candidates.filter { $0 > after }.min()!
    }

    /// Runs every order and send stage whose date has come, oldest first, each once.
    @discardableResult
    public func runDue(since first: Date?) async throws -> [Payout] {
        guard let first else { return [] }
        let now = clock.now()
        let done = try await repository.completedStages()
        var out: [Payout] = []
        var month = BillingCalendar.monthStart(first)
        while month <= now {
            let order = BillingCalendar.dayOfMonth(Self.orderDay, inMonthOf: month)
            let send = BillingCalendar.dayOfMonth(Self.sendDay, inMonthOf: month)
            let label = BillingPeriod(containing: month).description
            if order <= now && !done.contains("order:\(label)") { out += try await generateOrders(month: label, at: order) }
            if send <= now && !done.contains("send:\(label)") { try await sendOrders(month: label, at: send) }
            month = BillingCalendar.addMonths(1, to: month)
        }
        return out
    }

    func generateOrders(month: String, at date: Date) async throws -> [Payout] {
        let digest = self.digest
        let thresholds: @Sendable (String) -> Int64 = { [rates] c in Self.threshold(c, rates: rates) }
        return try await repository.runStage("order:\(month)") { tx -> [Payout] in
            let earnings = try await tx.unpaidEarnings(eligibleBy: date)
            let groups = Dictionary(grouping: earnings) { "\($0.publisherId)|\($0.currency)" }
            let settings = try await tx.settings(publisherIds: Array(Set(earnings.map(\.publisherId))))
            var payouts: [Payout] = []
            for (_, group) in groups.sorted(by: { $0.key < $1.key }) {
                let first = group[0]
                let earned = group.reduce(Int64(0)) { $0 + $1.earningAmountMinor }
                let profile = settings[first.publisherId] ?? PayoutSettings(publisherId: first.publisherId)
                let reason: Payout.Reason? = profile.blocker ?? (earned < thresholds(first.currency) ? .belowThreshold : nil)
                let paid = reason == nil
                let id = EntraStyle.nameBasedUUID("payment:\(first.publisherId):\(first.currency):\(month)", digest: digest)
                let payout = Payout(paymentId: id, publisherId: first.publisherId, currency: first.currency, month: month, status: paid ? .upcoming : .notPaid,
                                    reason: reason, earnedMinor: earned, withheldTaxMinor: 0, totalPaymentMinor: paid ? earned : 0, orderedAt: date, sentAt: nil,
                                    earningCount: group.count)
                try await tx.insert(payout, earningIds: paid ? group.map(\.earningId) : [])
                payouts.append(payout)
            }
            return payouts
        } ?? []
    }

    func sendOrders(month: String, at date: Date) async throws {
        _ = try await repository.runStage("send:\(month)") { tx in try await tx.markSent(month: month, at: date) }
    }

    // MARK: Reports

    public func statements(publisherId: String) async throws -> [Payout] { try await repository.payouts(publisherId: publisherId) }
}
