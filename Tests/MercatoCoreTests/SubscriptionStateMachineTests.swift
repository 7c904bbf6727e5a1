import Foundation
import Testing
@testable import MercatoCore

/// Every (state, event) pair of the subscription state machine and every (status, event, action) triple of the
/// operation state machine (spec-saas §4.3, §5).
@Suite("Subscription and operation state machines")
struct SubscriptionStateMachineTests {
    enum Outcome<T: Sendable>: Sendable {
        case success(T)
        case failure(Int)
    }

    /// Expected outcome per pair: the next status, or the HTTP status of the refusal.
    static func expected(_ e: SubscriptionEvent, _ s: SubscriptionStatus) -> Outcome<SubscriptionStatus> {
        switch (e, s) {
        case (.activate, .pendingFulfillmentStart), (.activate, .subscribed): .success(.subscribed)
        case (.activate, .suspended): .failure(400)
        case (.activate, .unsubscribed): .failure(404)
        case (.activate, .notStarted): .failure(400)
        case (.changePlan, .subscribed), (.changeQuantity, .subscribed), (.renew, .subscribed): .success(.subscribed)
        case (.suspend, .subscribed): .success(.suspended)
        case (.reinstate, .suspended): .success(.subscribed)
        case (.unsubscribe, .unsubscribed): .failure(400)
        case (.unsubscribe, _): .success(.unsubscribed)
        default: .failure(400)
        }
    }

    struct Pair: Sendable, CustomStringConvertible {
        var event: SubscriptionEvent
        var status: SubscriptionStatus
        var description: String { "\(status.rawValue) + \(event.rawValue)" }
    }

    static let pairs = SubscriptionEvent.allCases.flatMap { e in SubscriptionStatus.allCases.map { Pair(event: e, status: $0) } }

    @Test("subscription transitions", arguments: pairs)
    func subscription(_ p: Pair) {
        switch Self.expected(p.event, p.status) {
        case let .success(next):
            #expect((try? SubscriptionStateMachine.apply(p.event, to: p.status)) == next)
        case let .failure(code):
            do {
                _ = try SubscriptionStateMachine.apply(p.event, to: p.status)
                Issue.record("expected a \(code) refusal")
            } catch let refusal as TransitionRefusal {
                #expect(refusal.status == code)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    struct Triple: Sendable, CustomStringConvertible {
        var event: OperationEvent
        var status: OperationStatus
        var action: OperationAction
        var description: String { "\(action.rawValue) \(status.rawValue) + \(event.rawValue)" }
    }

    static let triples = OperationEvent.allCases.flatMap { e in OperationStatus.allCases.flatMap { s in OperationAction.allCases.map { Triple(event: e, status: s, action: $0) } } }

    static func expected(_ t: Triple) -> Outcome<OperationStatus> {
        if t.status.isFinal { return .failure(409) }
        switch t.event {
        case .start: return t.status == .notStarted ? .success(.inProgress) : .failure(409)
        case .acknowledgeSuccess: return t.action.needsAcknowledgement ? .success(.succeeded) : .failure(400)
        case .acknowledgeFailure: return t.action.needsAcknowledgement ? .success(.failed) : .failure(400)
        case .autoAccept, .complete: return .success(.succeeded)
        case .conflict: return .success(.conflict)
        }
    }

    @Test("operation transitions", arguments: triples)
    func operation(_ t: Triple) {
        switch Self.expected(t) {
        case let .success(next):
            #expect((try? OperationStateMachine.apply(t.event, to: t.status, action: t.action)) == next)
        case let .failure(code):
            do {
                _ = try OperationStateMachine.apply(t.event, to: t.status, action: t.action)
                Issue.record("expected a \(code) refusal")
            } catch let refusal as TransitionRefusal {
                #expect(refusal.status == code)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test("inform-only and acknowledged actions (spec-saas §6.2)")
    func acknowledgement() {
        #expect(OperationAction.allCases.filter(\.needsAcknowledgement) == [.changePlan, .changeQuantity, .reinstate])
    }

    @Test("terms: end = start + unit − 1 day, on UTC days", arguments: [
        ("2022-03-04T15:30:00Z", TermUnit.P1M, "2022-03-04T00:00:00Z", "2022-04-03T00:00:00Z"),
        ("2021-12-04T00:00:00Z", .P1M, "2021-12-04T00:00:00Z", "2022-01-03T00:00:00Z"),
        ("2022-03-09T23:59:59Z", .P1Y, "2022-03-09T00:00:00Z", "2023-03-08T00:00:00Z"),
        ("2024-02-29T10:00:00Z", .P1Y, "2024-02-29T00:00:00Z", "2025-02-27T00:00:00Z"),
        ("2026-01-15T00:00:00Z", .P3Y, "2026-01-15T00:00:00Z", "2029-01-14T00:00:00Z"),
    ])
    func terms(_ c: (String, TermUnit, String, String)) {
        let f = ISO8601DateFormatter()
        let term = SubscriptionTerm.starting(at: f.date(from: c.0)!, unit: c.1)
        #expect(term.startDate == f.date(from: c.2))
        #expect(term.endDate == f.date(from: c.3))
        #expect(term.next()?.startDate == term.endDate!.addingTimeInterval(86_400))
    }

    @Test("continuation cursors round-trip and reject garbage")
    func cursor() {
        let c = SubscriptionCursor(created: Date(timeIntervalSince1970: 1_795_000_000.123), id: UUID().uuidString.lowercased())
        #expect(SubscriptionCursor(token: c.token) == c)
        #expect(SubscriptionCursor(token: "garbage") == nil)
        #expect(SubscriptionCursor(token: Base64URL.encode(Array("12:not-a-guid".utf8))) == nil)
    }
}
