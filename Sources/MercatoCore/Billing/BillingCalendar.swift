import Foundation

/// UTC calendar arithmetic for billing: months, days, billing periods ("2026-11").
public enum BillingCalendar {
    public static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    public static func addMonths(_ n: Int, to date: Date) -> Date { utc.date(byAdding: .month, value: n, to: date)! }

    public static func startOfDay(_ date: Date) -> Date { utc.startOfDay(for: date) }

    /// Whole UTC days from `a` to `b` (both taken at the start of their day).
    public static func days(from a: Date, to b: Date) -> Int {
        utc.dateComponents([.day], from: startOfDay(a), to: startOfDay(b)).day ?? 0
    }

    /// The first instant of the month containing `date`.
    public static func monthStart(_ date: Date) -> Date {
        utc.date(from: utc.dateComponents([.year, .month], from: date))!
    }

    public static func dayOfMonth(_ day: Int, inMonthOf date: Date) -> Date {
        utc.date(byAdding: .day, value: day - 1, to: monthStart(date))!
    }
}

/// A billing period: one calendar month in UTC, closed by the billing run at its end.
public struct BillingPeriod: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var start: Date

    public init(containing date: Date) { start = BillingCalendar.monthStart(date) }

    /// Parses "2026-11".
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m),
              let date = BillingCalendar.utc.date(from: DateComponents(year: y, month: m, day: 1)) else { return nil }
        start = date
    }

    public var end: Date { BillingCalendar.addMonths(1, to: start) }
    public var next: BillingPeriod { BillingPeriod(containing: end) }
    public var previous: BillingPeriod { BillingPeriod(containing: start.addingTimeInterval(-1)) }

    public var description: String {
        let c = BillingCalendar.utc.dateComponents([.year, .month], from: start)
        return String(format: "%04d-%02d", c.year!, c.month!)
    }

    public static func < (a: BillingPeriod, b: BillingPeriod) -> Bool { a.start < b.start }
}
