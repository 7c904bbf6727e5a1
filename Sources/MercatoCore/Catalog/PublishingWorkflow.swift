/// Offer statuses of the dashboard (spec-portal §4.1).
public enum OfferStatus: String, Codable, Sendable, CaseIterable {
    case draft = "Draft"
    case publishInProgress = "PublishInProgress"
    case attentionNeeded = "AttentionNeeded"
    case preview = "Preview"
    case live = "Live"
    case pendingStopDistribution = "PendingStopDistribution"
    case notAvailable = "NotAvailable"
}

/// Where a publish in progress is heading.
public enum PublishPhase: String, Codable, Sendable {
    case toPreview = "ToPreview"
    case toLive = "ToLive"
}

public enum WorkflowEvent: String, Codable, Sendable, CaseIterable {
    case publish = "Publish"
    case cancelPublish = "CancelPublish"
    case previewReady = "PreviewReady"
    case certificationFailed = "CertificationFailed"
    case goLive = "GoLive"
    case liveReady = "LiveReady"
    case stopDistribution = "StopDistribution"
    case stopCompleted = "StopCompleted"
    case delete = "Delete"
}

/// The publishing state of one offer (spec-portal §4.5): status, the phase of a publish in progress, the status to
/// return to when a publish is cancelled, and whether it has been live (then it can't be deleted).
public struct WorkflowState: Codable, Sendable, Equatable {
    public var status: OfferStatus
    public var phase: PublishPhase?
    public var statusBeforePublish: OfferStatus?
    public var hasBeenPreviewed: Bool
    public var hasBeenLive: Bool

    public init(status: OfferStatus = .draft, phase: PublishPhase? = nil, statusBeforePublish: OfferStatus? = nil,
                hasBeenPreviewed: Bool = false, hasBeenLive: Bool = false) {
        self.status = status
        self.phase = phase
        self.statusBeforePublish = statusBeforePublish
        self.hasBeenPreviewed = hasBeenPreviewed
        self.hasBeenLive = hasBeenLive
    }

    public static let new = WorkflowState()
}

/// The state machine of spec-portal §4.5 as a pure function. Refusals are `DomainError.conflict` (409).
public enum PublishingWorkflow {
    public static func apply(_ event: WorkflowEvent, to s: WorkflowState) throws -> WorkflowState {
        var n = s
        switch (event, s.status) {
        case (.publish, .draft), (.publish, .attentionNeeded), (.publish, .preview), (.publish, .live), (.publish, .notAvailable):
            n.status = .publishInProgress
            n.phase = .toPreview
            n.statusBeforePublish = s.status == .attentionNeeded ? (s.hasBeenLive ? .live : .draft) : s.status
        case (.cancelPublish, .publishInProgress):
            // spec-portal §4.4: no cancel after Go live.
            guard s.phase == .toPreview else { throw refuse(event, s, "a publish can't be cancelled after Go live") }
            n.status = s.statusBeforePublish ?? .draft
            n.phase = nil
            n.statusBeforePublish = nil
        case (.previewReady, .publishInProgress) where s.phase == .toPreview:
            n.status = .preview
            n.phase = nil
            n.hasBeenPreviewed = true
        case (.certificationFailed, .publishInProgress):
            n.status = .attentionNeeded
            n.phase = nil
        case (.goLive, .preview):
            n.status = .publishInProgress
            n.phase = .toLive
            n.statusBeforePublish = .preview
        case (.liveReady, .publishInProgress) where s.phase == .toLive:
            n.status = .live
            n.phase = nil
            n.statusBeforePublish = nil
            n.hasBeenLive = true
        case (.stopDistribution, .live):
            n.status = .pendingStopDistribution
        case (.stopCompleted, .pendingStopDistribution):
            n.status = .notAvailable
        case (.delete, .draft), (.delete, .attentionNeeded):
            guard !s.hasBeenPreviewed && !s.hasBeenLive else {
                throw refuse(event, s, "an offer that has been published can't be deleted; stop its distribution instead")
            }
            n.status = .notAvailable
        default:
            throw refuse(event, s, nil)
        }
        return n
    }

    public static func allowedEvents(from s: WorkflowState) -> [WorkflowEvent] {
        WorkflowEvent.allCases.filter { (try? apply($0, to: s)) != nil }
    }

    static func refuse(_ event: WorkflowEvent, _ s: WorkflowState, _ reason: String?) -> DomainError {
        let phase = s.phase.map { " (\($0.rawValue))" } ?? ""
        return .conflict(reason: reason ?? "\(event.rawValue) is not possible while the offer is \(s.status.rawValue)\(phase)")
    }
}
