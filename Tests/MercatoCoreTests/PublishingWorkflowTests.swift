import Foundation
import Testing
@testable import MercatoCore

/// Every (state, event) pair of the publishing state machine (spec-portal §4.5).
@Suite("Publishing workflow")
struct PublishingWorkflowTests {
    struct Case: Sendable, CustomStringConvertible {
        var state: WorkflowState
        var event: WorkflowEvent
        var expected: OfferStatus?
        var description: String { "\(state.status.rawValue)\(state.phase.map { "/\($0.rawValue)" } ?? "")\(state.hasBeenLive ? "(was live)" : "") + \(event.rawValue) → \(expected?.rawValue ?? "refused")" }
    }

    static let states: [WorkflowState] = [
        WorkflowState(status: .draft),
        WorkflowState(status: .publishInProgress, phase: .toPreview, statusBeforePublish: .draft),
        WorkflowState(status: .publishInProgress, phase: .toLive, statusBeforePublish: .preview, hasBeenPreviewed: true),
        WorkflowState(status: .attentionNeeded),
        WorkflowState(status: .preview, hasBeenPreviewed: true),
        WorkflowState(status: .live, hasBeenPreviewed: true, hasBeenLive: true),
        WorkflowState(status: .publishInProgress, phase: .toPreview, statusBeforePublish: .live, hasBeenPreviewed: true, hasBeenLive: true),
        WorkflowState(status: .pendingStopDistribution, hasBeenPreviewed: true, hasBeenLive: true),
        WorkflowState(status: .notAvailable, hasBeenPreviewed: true, hasBeenLive: true),
    ]

    /// The expected table, written out: index into `states` × event → resulting status (nil = refused with 409).
    static func expected(_ i: Int, _ e: WorkflowEvent) -> OfferStatus? {
        switch (i, e) {
        case (0, .publish), (3, .publish), (4, .publish), (5, .publish), (8, .publish): .publishInProgress
        case (1, .cancelPublish): .draft
        case (6, .cancelPublish): .live
        case (1, .previewReady), (6, .previewReady): .preview
        case (1, .certificationFailed), (2, .certificationFailed), (6, .certificationFailed): .attentionNeeded
        case (4, .goLive): .publishInProgress
        case (2, .liveReady): .live
        case (5, .stopDistribution): .pendingStopDistribution
        case (7, .stopCompleted): .notAvailable
        case (0, .delete), (3, .delete): .notAvailable
        default: nil
        }
    }

    static let cases: [Case] = states.indices.flatMap { i in WorkflowEvent.allCases.map { Case(state: states[i], event: $0, expected: expected(i, $0)) } }

    @Test("transition table", arguments: cases)
    func transition(_ c: Case) {
        if let expected = c.expected {
            #expect((try? PublishingWorkflow.apply(c.event, to: c.state))?.status == expected)
        } else {
            #expect(throws: DomainError.self) { try PublishingWorkflow.apply(c.event, to: c.state) }
        }
    }

    @Test("a full life: draft → preview → live → update → live → stop")
    func life() throws {
        var s = WorkflowState.new
        for e: WorkflowEvent in [.publish, .previewReady, .goLive, .liveReady] { s = try PublishingWorkflow.apply(e, to: s) }
        #expect(s.status == .live && s.hasBeenLive)
        s = try PublishingWorkflow.apply(.publish, to: s)
        #expect(s.statusBeforePublish == .live)
        s = try PublishingWorkflow.apply(.certificationFailed, to: s)
        #expect(s.status == .attentionNeeded)
        #expect(throws: DomainError.self) { try PublishingWorkflow.apply(.delete, to: s) }
        for e: WorkflowEvent in [.publish, .previewReady, .goLive, .liveReady, .stopDistribution, .stopCompleted] { s = try PublishingWorkflow.apply(e, to: s) }
        #expect(s.status == .notAvailable)
        #expect(PublishingWorkflow.allowedEvents(from: s) == [.publish])
    }

    @Test("cancel after Go live is refused with the documented reason")
    func noCancelAfterGoLive() {
        let s = WorkflowState(status: .publishInProgress, phase: .toLive, statusBeforePublish: .preview, hasBeenPreviewed: true)
        #expect(throws: DomainError.conflict(reason: "a publish can't be cancelled after Go live")) { try PublishingWorkflow.apply(.cancelPublish, to: s) }
    }
}
