import Foundation
import Testing
@testable import MercatoCore

@Suite("Usage anomalies (spec-analytics-governance part C)")
struct AnomalyTests {
    static let day0 = Date(timeIntervalSince1970: 1_780_000_000 - 1_780_000_000.truncatingRemainder(dividingBy: 86_400))

    func series(_ values: [Decimal]) -> [Date: Decimal] {
        Dictionary(uniqueKeysWithValues: values.enumerated().map { (Self.day0.addingTimeInterval(Double($0.offset) * 86_400), $0.element) })
    }

    @Test("a point 10× the trailing band is flagged; normal days and short histories are not (C-T1)")
    func detector() {
        var values: [Decimal] = (0..<20).map { 100 + Decimal($0 % 3) * 5 }
        values.append(1000)
        let daily = series(values)
        let days = (14..<21).map { Self.day0.addingTimeInterval(Double($0) * 86_400) }
        let findings = AnomalyDetector.evaluate(daily, days: days)
        #expect(findings.count == 1)
        #expect(findings.first?.reported == 1000 && findings.first?.expected == 105)
        #expect(findings.first.map { $0.upper < 1000 && $0.lower <= 100 } == true)
        // Six days of history are not enough.
        #expect(AnomalyDetector.evaluate(series([100, 100, 100, 100, 100, 100, 1000]), days: [Self.day0.addingTimeInterval(6 * 86_400)]).isEmpty)
        // A dip is flagged too; missing days are not zeros.
        var gappy = series((0..<20).map { _ in 200 })
        gappy.removeValue(forKey: Self.day0.addingTimeInterval(5 * 86_400))
        gappy[Self.day0.addingTimeInterval(20 * 86_400)] = 10
        #expect(AnomalyDetector.evaluate(gappy, days: [Self.day0.addingTimeInterval(20 * 86_400)]).first?.reported == 10)
    }

    func anomaly(flaggedAt: Date) -> UsageAnomaly {
        UsageAnomaly(id: "a1", publisherId: "contoso", offerId: "o", planId: "p", dimension: "emails", resourceId: "r", usageDate: Self.day0,
                     reportedUsage: 1000, expectedUsage: 105, lowerBound: 50, upperBound: 160, deviationPercent: 852.38,
                     estimatedExtendedCharge: Money(10, "USD"), estimatedFinancialImpact: Money(Decimal(string: "8.95")!, "USD"),
                     firstFlaggedAt: flaggedAt, actionExpiresAt: flaggedAt.addingTimeInterval(AnomalyRules.actionWindow), state: .flagged)
    }

    @Test("mark as anomaly: corrected usage below reported, credit computed, final (C-T3, C-T4)")
    func mark() throws {
        let flagged = anomaly(flaggedAt: Self.day0)
        let price = Money(Decimal(string: "0.01")!, "USD")
        #expect(throws: DomainError.self) { try AnomalyRules.mark(flagged, newReportedUsage: 1001, pricePerUnit: price, by: "u", now: Self.day0) }
        #expect(throws: DomainError.self) { try AnomalyRules.mark(flagged, newReportedUsage: -1, pricePerUnit: price, by: "u", now: Self.day0) }
        let marked = try AnomalyRules.mark(flagged, newReportedUsage: 100, pricePerUnit: price, by: "u", now: Self.day0)
        #expect(marked.state == .markedAnomaly && marked.creditRequested == Money(9, "USD") && marked.actionTakenBy == "u")
        #expect(throws: DomainError.self) { try AnomalyRules.markNot(marked, reason: "genuine", by: "u", now: Self.day0) }
        #expect(throws: DomainError.self) { try AnomalyRules.mark(marked, newReportedUsage: 50, pricePerUnit: price, by: "u", now: Self.day0) }
        // Not an anomaly, then (allowed) mark as anomaly.
        let not = try AnomalyRules.markNot(flagged, reason: "Black Friday", by: "u", now: Self.day0)
        #expect(not.state == .markedNotAnomaly && not.notAnomalyReason == "Black Friday")
        #expect(throws: DomainError.self) { try AnomalyRules.markNot(flagged, reason: "  ", by: "u", now: Self.day0) }
    }

    @Test("the action window is 30 days from the first flag (C-T2)")
    func window() {
        let flagged = anomaly(flaggedAt: Self.day0)
        let day30 = Self.day0.addingTimeInterval(30 * 86_400)
        #expect((try? AnomalyRules.markNot(flagged, reason: "ok", by: "u", now: day30)) != nil)
        #expect(throws: DomainError.self) { try AnomalyRules.markNot(flagged, reason: "ok", by: "u", now: day30.addingTimeInterval(86_400)) }
        #expect(AnomalyRules.current(flagged, now: day30.addingTimeInterval(1)).state == .expired)
    }
}
