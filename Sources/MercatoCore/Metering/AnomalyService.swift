import Foundation

/// Metered-usage anomalies: weekly detection over the last days' usage, the publisher's review (mark as anomaly
/// with corrected usage, or not an anomaly), 30-day deadline, irreversible decisions.
public struct AnomalyService: Sendable {
    public let anomalies: any AnomalyRepository
    public let usage: any UsageRepository
    public let catalog: any CatalogRepository
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator

    public init(anomalies: any AnomalyRepository, usage: any UsageRepository, catalog: any CatalogRepository, clock: any MarketplaceClock, ids: any IDGenerator) {
        self.anomalies = anomalies
        self.usage = usage
        self.catalog = catalog
        self.clock = clock
        self.ids = ids
    }

    static func dayStart(_ d: Date) -> Date { Date(timeIntervalSince1970: (d.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400) }

    /// Runs the detector over the last 7 complete days (C.1: weekly). Idempotent per (resource, meter, day).
    @discardableResult
    public func detect() async throws -> [UsageAnomaly] {
        let now = clock.now()
        let today = Self.dayStart(now)
        let from = today.addingTimeInterval(-Double(AnomalyDetector.history + 7) * 86_400)
        let records = try await usage.allRecords(from: from, to: today.addingTimeInterval(-1))
        struct Series: Hashable { var publisher: String; var offer: String; var plan: String; var resource: String; var dimension: String }
        var series: [Series: [Date: Decimal]] = [:]
        for r in records {
            series[Series(publisher: r.publisherId, offer: r.offerId, plan: r.planId, resource: r.resourceId, dimension: r.dimension), default: [:]][Self.dayStart(r.effectiveAt), default: 0] += r.quantity
        }
        let days = (1...7).map { today.addingTimeInterval(-Double($0) * 86_400) }
        var found: [UsageAnomaly] = []
        var prices: [String: Money] = [:]
        for (key, daily) in series {
            for f in AnomalyDetector.evaluate(daily, days: days) {
                let priceKey = "\(key.publisher)/\(key.offer)/\(key.plan)/\(key.dimension)"
                if prices[priceKey] == nil {
                    let offer = try await catalog.offer(publisherId: key.publisher, offerId: key.offer)
                    prices[priceKey] = (offer?.live ?? offer?.preview)?.plan(key.plan)?.dimensions.first { $0.dimensionId == key.dimension }?.pricePerUnit ?? Money(0, "USD")
                }
                let price = prices[priceKey]!
                let deviation = f.expected == 0 ? 100 : Currency.round((f.reported - f.expected) / f.expected * 100, "USD")
                found.append(UsageAnomaly(
                    id: ids.uuidString(), publisherId: key.publisher, offerId: key.offer, planId: key.plan, dimension: key.dimension, resourceId: key.resource,
                    usageDate: f.day, reportedUsage: f.reported, expectedUsage: f.expected, lowerBound: f.lower, upperBound: f.upper, deviationPercent: deviation,
                    estimatedExtendedCharge: Money(Currency.round(f.reported * price.amount, price.currency), price.currency),
                    estimatedFinancialImpact: Money(Currency.round((f.reported - f.expected) * price.amount, price.currency), price.currency),
                    firstFlaggedAt: now, actionExpiresAt: now.addingTimeInterval(AnomalyRules.actionWindow), state: .flagged))
            }
        }
        let inserted = try await anomalies.insertNew(found)
        try await anomalies.setLastDetection(now)
        return inserted
    }

    /// Runs `detect` when a week has passed since the last run (the lifecycle worker calls this every tick).
    public func detectIfDue() async throws {
        let last = try await anomalies.lastDetection()
        if last == nil || clock.now().timeIntervalSince(last!) >= 7 * 86_400 { try await detect() }
    }

    public func list(by actor: Principal, publisherId: String, periodDays: Int, minimumImpact: Decimal?) async throws -> [UsageAnomaly] {
        try Authorization.require(actor, .viewAnalytics, publisherId: publisherId)
        guard [30, 60, 90].contains(periodDays) else { throw DomainError.invalid(field: "period", reason: "must be 30, 60 or 90 (days)") }
        let now = clock.now()
        return try await anomalies.anomalies(publisherId: publisherId, since: now.addingTimeInterval(-Double(periodDays) * 86_400))
            .map { AnomalyRules.current($0, now: now) }
            .filter { minimumImpact == nil || abs($0.estimatedFinancialImpact.amount) > minimumImpact! }
    }

    public func mark(by actor: Principal, publisherId: String, id: String, newReportedUsage: Decimal, context: AuditContext) async throws -> UsageAnomaly {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId)
        let a = try await owned(id, publisherId)
        let price = a.estimatedExtendedCharge.amount == 0 || a.reportedUsage == 0 ? Money(0, a.estimatedExtendedCharge.currency)
            : Money(a.estimatedExtendedCharge.amount / a.reportedUsage, a.estimatedExtendedCharge.currency)
        let updated = try AnomalyRules.mark(a, newReportedUsage: newReportedUsage, pricePerUnit: price, by: actor.id, now: clock.now())
        try await anomalies.save(updated, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: "anomaly.markAnomaly", targetType: "anomaly",
                                                               targetId: id, after: "{\"newReportedUsage\":\"\(newReportedUsage)\",\"credit\":\"\(updated.creditRequested?.description ?? "")\"}"))
        return updated
    }

    public func markNot(by actor: Principal, publisherId: String, id: String, reason: String, context: AuditContext) async throws -> UsageAnomaly {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId)
        let a = try await owned(id, publisherId)
        let updated = try AnomalyRules.markNot(a, reason: reason, by: actor.id, now: clock.now())
        try await anomalies.save(updated, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: "anomaly.markNotAnomaly",
                                                               targetType: "anomaly", targetId: id))
        return updated
    }

    func owned(_ id: String, _ publisherId: String) async throws -> UsageAnomaly {
        guard let a = try await anomalies.anomaly(id: id), a.publisherId == publisherId else { throw DomainError.notFound(kind: "anomaly", id: id) }
        return a
    }
}
