import Foundation

/// Time travel (issue 6): moves the marketplace clock forward, firing every lifecycle event due on the way in time
/// order, exactly once, and persists the offset so every process on the database shares the same "now".
public struct ClockService: Sendable {
    public let clock: any TravelingClock
    public let store: any ClockStore
    public let subscriptions: SubscriptionService
    /// Billing runs and payout dates, fired in time order with the lifecycle.
    public let scheduled: (any ScheduledWork)?

    public init(clock: any TravelingClock, store: any ClockStore, subscriptions: SubscriptionService, scheduled: (any ScheduledWork)? = nil) {
        self.clock = clock
        self.store = store
        self.subscriptions = subscriptions
        self.scheduled = scheduled
    }

    /// Adopts a larger offset written by another process (`mercato clock advance` while `serve` runs).
    public func sync() async throws {
        guard let adjustable = clock as? AdjustableClock else { return }
        let stored = try await store.offset()
        if stored > adjustable.currentOffset { try adjustable.advance(by: stored - adjustable.currentOffset) }
    }

    public struct Result: Sendable {
        public var now: Date
        public var fired: [SubscriptionOperation]
    }

    public func advance(by seconds: TimeInterval, context: AuditContext) async throws -> Result {
        guard seconds > 0 else { throw DomainError.invalid(field: "advance", reason: "the marketplace clock only moves forward; give a positive duration") }
        guard seconds <= 20 * 365 * 86_400 else { throw DomainError.invalid(field: "advance", reason: "at most 20 years at a time") }
        try await sync()
        let target = clock.now().addingTimeInterval(seconds)
        let fired = try await subscriptions.travel(to: target, clock: clock, also: scheduled)
        let offset = (clock as? AdjustableClock)?.currentOffset ?? 0
        try await store.setOffset(offset, audit: context.entry(ids: subscriptions.ids, clock: clock, publisherId: nil, action: "clock.advance",
                                                               targetType: "clock", targetId: "marketplace",
                                                               after: "{\"advancedSeconds\":\(Int(seconds)),\"fired\":\(fired.count)}"))
        return Result(now: clock.now(), fired: fired)
    }

    /// Parses "31d", "2h", "90m", "45s", "1y", "3mo" (months of 30 days are not used: "mo" moves by calendar months).
    public func duration(_ text: String) throws -> TimeInterval {
        try Self.parse(text, from: clock.now())
    }

    public static func parse(_ text: String, from now: Date) throws -> TimeInterval {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix { $0.isNumber }
        let unit = t.dropFirst(digits.count)
        guard let n = Int(digits), n > 0 else { throw DomainError.invalid(field: "advance", reason: "'\(text)' is not a duration like 31d, 2h, 90m, 1mo or 1y") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        switch unit {
        case "s": return TimeInterval(n)
        case "m", "min": return TimeInterval(n * 60)
        case "h": return TimeInterval(n * 3600)
        case "d": return TimeInterval(n * 86_400)
        case "w": return TimeInterval(n * 7 * 86_400)
        case "mo": return calendar.date(byAdding: .month, value: n, to: now)!.timeIntervalSince(now)
        case "y": return calendar.date(byAdding: .year, value: n, to: now)!.timeIntervalSince(now)
        default: throw DomainError.invalid(field: "advance", reason: "'\(text)' is not a duration like 31d, 2h, 90m, 1mo or 1y")
        }
    }
}
