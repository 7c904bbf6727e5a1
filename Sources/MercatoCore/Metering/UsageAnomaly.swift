import Foundation

/// A flagged metered-usage anomaly (spec-analytics-governance part C; spec-saas §7.8): one day of one meter of one
/// customer outside the expected band.
public struct UsageAnomaly: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case flagged = "Flagged", markedAnomaly = "MarkedAnomaly", markedNotAnomaly = "MarkedNotAnomaly", expired = "Expired" }

    public var id: String
    public var publisherId: String
    public var offerId: String
    public var planId: String
    public var dimension: String
    public var resourceId: String
    public var usageDate: Date
    public var reportedUsage: Decimal
    public var expectedUsage: Decimal
    public var lowerBound: Decimal
    public var upperBound: Decimal
    /// (reported − expected) / expected, in percent.
    public var deviationPercent: Decimal
    public var estimatedExtendedCharge: Money
    public var estimatedFinancialImpact: Money
    public var firstFlaggedAt: Date
    /// C.2: 30 days from the first flag.
    public var actionExpiresAt: Date
    public var state: State
    public var newReportedUsage: Decimal?
    public var notAnomalyReason: String?
    public var actionTakenAt: Date?
    public var actionTakenBy: String?
    /// The customer credit requested by a correction: (reported − new) × price per unit.
    public var creditRequested: Money?
}

public enum AnomalyRules {
    public static let actionWindow: TimeInterval = 30 * 86_400

    /// The state a flagged anomaly is in at `now` (Flagged turns Expired after the action window).
    public static func current(_ a: UsageAnomaly, now: Date) -> UsageAnomaly {
        var a = a
        if a.state == .flagged && now > a.actionExpiresAt { a.state = .expired }
        return a
    }

    /// "Mark as anomaly" with the corrected usage: 0 ≤ new < reported (under-reporting is not eligible), within
    /// 30 days, irreversible.
    public static func mark(_ a: UsageAnomaly, newReportedUsage: Decimal, pricePerUnit: Money, by actor: String, now: Date) throws -> UsageAnomaly {
        var a = current(a, now: now)
        switch a.state {
        case .expired: throw DomainError.conflict(reason: "the 30-day action window of this anomaly ended on \(ISO8601DateFormatter().string(from: a.actionExpiresAt))")
        case .markedAnomaly: throw DomainError.conflict(reason: "this anomaly is already marked as an anomaly; the decision is final")
        case .flagged, .markedNotAnomaly: break
        }
        guard newReportedUsage >= 0 else { throw DomainError.invalid(field: "newReportedUsage", reason: "must be 0 or more") }
        guard newReportedUsage < a.reportedUsage else {
            throw DomainError.invalid(field: "newReportedUsage", reason: "must be below the reported usage \(a.reportedUsage): under-reported usage is not eligible for restatement")
        }
        a.state = .markedAnomaly
        a.newReportedUsage = newReportedUsage
        a.actionTakenAt = now
        a.actionTakenBy = actor
        a.creditRequested = Money(Currency.round((a.reportedUsage - newReportedUsage) * pricePerUnit.amount, pricePerUnit.currency), pricePerUnit.currency)
        return a
    }

    /// "Not an anomaly" with a reason. Refused once marked as anomaly (C.2: irreversible).
    public static func markNot(_ a: UsageAnomaly, reason: String, by actor: String, now: Date) throws -> UsageAnomaly {
        var a = current(a, now: now)
        switch a.state {
        case .expired: throw DomainError.conflict(reason: "the 30-day action window of this anomaly has ended")
        case .markedAnomaly: throw DomainError.conflict(reason: "this anomaly is already marked as an anomaly; it can't be changed to 'Not an anomaly'")
        case .flagged, .markedNotAnomaly: break
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 1000 else { throw DomainError.invalid(field: "reason", reason: "say why it is not an anomaly (1–1000 characters)") }
        a.state = .markedNotAnomaly
        a.notAnomalyReason = trimmed
        a.actionTakenAt = now
        a.actionTakenBy = actor
        return a
    }
}

/// The detector (C.3 MVP): a robust band per (customer, meter) from the trailing days with data — median ± the
/// larger of 3.5 × scaled MAD, 25 % of the median, and 1 unit. Missing days are not zeros. At least 7 days of
/// history are needed.
public enum AnomalyDetector {
    public struct Finding: Sendable, Equatable {
        public var day: Date
        public var reported: Decimal
        public var expected: Decimal
        public var lower: Decimal
        public var upper: Decimal
    }

    public static let history = 28
    public static let minimumHistory = 7

    static func median(_ values: [Decimal]) -> Decimal {
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// `daily`: day start → total. Evaluates each of `days`.
    public static func evaluate(_ daily: [Date: Decimal], days: [Date]) -> [Finding] {
        var findings: [Finding] = []
        for day in days {
            guard let reported = daily[day] else { continue }
            let window = daily.filter { $0.key < day && $0.key >= day.addingTimeInterval(-Double(history) * 86_400) }.map(\.value)
            guard window.count >= minimumHistory else { continue }
            let m = median(window)
            let mad = median(window.map { abs($0 - m) }) * Decimal(string: "1.4826")!
            let width = max(mad * Decimal(string: "3.5")!, m / 4, 1)
            let lower = max(0, m - width), upper = m + width
            if reported > upper || reported < lower {
                findings.append(Finding(day: day, reported: reported, expected: m, lower: lower, upper: upper))
            }
        }
        return findings
    }
}

public protocol AnomalyRepository: Sendable {
    /// Inserts anomalies not yet known for their (resource, dimension, day); returns the ones inserted.
    func insertNew(_ anomalies: [UsageAnomaly]) async throws -> [UsageAnomaly]
    func anomalies(publisherId: String, since: Date) async throws -> [UsageAnomaly]
    func anomaly(id: String) async throws -> UsageAnomaly?
    func save(_ anomaly: UsageAnomaly, audit: AuditEntry) async throws
    /// Anomalies marked as anomalies (corrections) whose action was taken in [from, to): the billing run credits them.
    func marked(from: Date, to: Date) async throws -> [UsageAnomaly]
    func lastDetection() async throws -> Date?
    func setLastDetection(_ date: Date) async throws
}
