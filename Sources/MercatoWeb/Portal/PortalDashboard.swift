import Foundation
import MercatoCore

/// The overview: a few numbers, then orders, revenue and usage over time as server-rendered SVG charts.
extension PortalController {
    func dashboard(_ u: PortalUser) async throws -> PortalPage {
        let now = services.clock.now()
        let subs = try await allSubscriptions(u.publisherId)
        let offers = try await services.catalog.offers(by: u.principal, publisherId: u.publisherId)
        let months = PortalFormat.lastMonths(6, endingAt: now)
        // Each date is formatted once (grouped by its key), not once per bar.
        let ordersByMonth = Dictionary(grouping: subs) { PortalFormat.monthKey($0.created) }
        let orders = months.map { SVGChart.Point(PortalFormat.monthLabel($0), Decimal(ordersByMonth[$0]?.count ?? 0)) }
        var blocks: [Block] = [
            .facts([
                Fact("Live offers", String(offers.filter { $0.live != nil }.count), id: "fact-live-offers"),
                Fact("Active subscriptions", String(subs.filter { $0.status == .subscribed }.count), id: "fact-active"),
                Fact("Awaiting activation", String(subs.filter { $0.status == .pendingFulfillmentStart }.count), id: "fact-pending"),
                Fact("Marketplace time", PortalFormat.time(now), id: "fact-now"),
            ]),
            .chart(Chart(id: "chart-orders", caption: "New subscriptions per month (last 6 months)",
                         svg: SVGChart.bars(title: "New subscriptions per month", points: orders) { "\($0)" })),
        ]
        if u.can(.viewPayoutReports, services.policy) {
            let charges = try await services.billing.repository.charges(publisherId: u.publisherId)
            let currency = Dictionary(grouping: charges, by: \.currency).max { $0.value.count < $1.value.count }?.key ?? "USD"
            let byMonth = Dictionary(grouping: charges.filter { $0.currency == currency }) { PortalFormat.monthKey($0.occurredAt) }
            let revenue = months.map { month in
                SVGChart.Point(PortalFormat.monthLabel(month), MinorUnits.decimal((byMonth[month] ?? []).reduce(0) { $0 + $1.amountMinor }, currency))
            }
            blocks.append(.chart(Chart(id: "chart-revenue", caption: "Billed per month in \(currency) (charges, before the marketplace fee)",
                                       svg: SVGChart.bars(title: "Revenue per month", points: revenue) { Currency.format($0, currency) })))
        }
        let from = now.addingTimeInterval(-29 * 86_400)
        let usage = try await services.usage.records(publisherId: u.publisherId, from: from, to: now)
        let days = (0..<30).map { from.addingTimeInterval(Double($0) * 86_400) }
        let usageByDay = Dictionary(grouping: usage) { PortalFormat.dayKey($0.effectiveAt) }
        let perDay = days.map { day in
            SVGChart.Point(PortalFormat.dayLabel(day), (usageByDay[PortalFormat.dayKey(day)] ?? []).reduce(0) { $0 + $1.quantity })
        }
        blocks.append(.chart(Chart(id: "chart-usage", caption: "Metered usage per day, all dimensions (last 30 days)",
                                   svg: SVGChart.bars(title: "Metered usage per day", points: perDay) { "\($0)" })))
        return PortalPage(title: "Overview", chrome: nil, blocks: blocks)
    }

    /// Every subscription of the publisher, oldest first (paged through the repository).
    func allSubscriptions(_ publisherId: String) async throws -> [Subscription] {
        var out: [Subscription] = []
        var cursor: SubscriptionCursor?
        repeat {
            let (page, next) = try await services.subscriptions.list(publisherId: publisherId, cursor: cursor, pageSize: 500)
            out += page
            cursor = next
        } while cursor != nil && out.count < 20_000
        return out
    }
}

/// Dates and amounts as the portal shows them (UTC, ISO-like, unambiguous).
enum PortalFormat {
    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    static func time(_ d: Date?) -> String {
        guard let d else { return "—" }
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute], from: d)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    static func day(_ d: Date?) -> String {
        guard let d else { return "—" }
        return dayKey(d)
    }

    static func monthKey(_ d: Date) -> String {
        let c = utc.dateComponents([.year, .month], from: d)
        return String(format: "%04d-%02d", c.year!, c.month!)
    }

    static func dayKey(_ d: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    static func money(_ minor: Int64, _ currency: String) -> String { MinorUnits.format(minor, currency) + " " + currency }

    static func dayLabel(_ d: Date) -> String { String(dayKey(d).suffix(5)) }

    static func monthLabel(_ key: String) -> String {
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let m = Int(key.suffix(2)), (1...12).contains(m) else { return key }
        return names[m - 1] + " " + key.prefix(4)
    }

    /// The `count` month keys ending with the month of `date`, oldest first.
    static func lastMonths(_ count: Int, endingAt date: Date) -> [String] {
        let start = utc.date(from: utc.dateComponents([.year, .month], from: date))!
        return (0..<count).reversed().map { monthKey(utc.date(byAdding: .month, value: -$0, to: start)!) }
    }

    static func status(_ s: SubscriptionStatus) -> (String, String) {
        switch s {
        case .subscribed: ("Subscribed", "ok")
        case .pendingFulfillmentStart: ("Pending activation", "warn")
        case .suspended: ("Suspended", "warn")
        case .unsubscribed: ("Unsubscribed", "off")
        case .notStarted: ("Not started", "off")
        }
    }
}
