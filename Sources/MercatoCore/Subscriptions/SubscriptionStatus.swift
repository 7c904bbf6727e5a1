/// `saasSubscriptionStatus` (spec-saas §5.1).
public enum SubscriptionStatus: String, Codable, Sendable, CaseIterable {
    case notStarted = "NotStarted"
    case pendingFulfillmentStart = "PendingFulfillmentStart"
    case subscribed = "Subscribed"
    case suspended = "Suspended"
    case unsubscribed = "Unsubscribed"
}

/// Everything that changes a subscription's status or terms (spec-saas §5.2).
public enum SubscriptionEvent: String, Codable, Sendable, CaseIterable {
    case activate = "Activate"
    case changePlan = "ChangePlan"
    case changeQuantity = "ChangeQuantity"
    case renew = "Renew"
    case suspend = "Suspend"
    case reinstate = "Reinstate"
    case unsubscribe = "Unsubscribe"
}

/// A refusal with the HTTP status the documents give for it.
public struct TransitionRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var target: String?

    public init(_ status: Int, _ code: String, _ message: String, target: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.target = target
    }

    public var description: String { "\(status) \(code): \(message)" }
}

/// The subscription state machine of spec-saas §5 as a pure function: the next status, or the documented refusal.
public enum SubscriptionStateMachine {
    public static func apply(_ event: SubscriptionEvent, to status: SubscriptionStatus) throws -> SubscriptionStatus {
        switch (event, status) {
        // T2 (§3.2): only from PendingFulfillmentStart. Re-activation of a Subscribed subscription is idempotent
        // (§13.7, [EMU]: the real API answers 200); Suspended → 400; Unsubscribed → 404.
        case (.activate, .pendingFulfillmentStart), (.activate, .subscribed): return .subscribed
        case (.activate, .suspended):
            throw TransitionRefusal(400, "BadRequest", "The SaaS subscription is in a Suspended state and can't be activated.")
        // §5.4: only Subscribed subscriptions can be updated, renewed or suspended.
        case (.changePlan, .subscribed), (.changeQuantity, .subscribed), (.renew, .subscribed): return .subscribed
        case (.suspend, .subscribed): return .suspended
        // Only Suspended subscriptions can be reinstated.
        case (.reinstate, .suspended): return .subscribed
        // T11–T15: cancellation from any non-terminal state.
        case (.unsubscribe, .pendingFulfillmentStart), (.unsubscribe, .subscribed), (.unsubscribe, .suspended), (.unsubscribe, .notStarted):
            return .unsubscribed
        case (_, .unsubscribed):
            // §5.4: Unsubscribed is terminal — Activate 404, PATCH 400.
            if event == .activate { throw TransitionRefusal(404, "EntityNotFound", "The SaaS subscription is in an Unsubscribed state.") }
            throw TransitionRefusal(400, "BadRequest", "The SaaS subscription is Unsubscribed; \(event.rawValue) is not possible.", target: "saasSubscriptionStatus")
        case (.changePlan, _), (.changeQuantity, _):
            throw TransitionRefusal(400, "BadRequest", "\(event.rawValue) is allowed only for Subscribed subscriptions (status is \(status.rawValue)).", target: "saasSubscriptionStatus")
        default:
            throw TransitionRefusal(400, "BadRequest", "\(event.rawValue) is not possible while the subscription is \(status.rawValue).", target: "saasSubscriptionStatus")
        }
    }
}

/// `action` of an operation (spec-saas §4.0).
public enum OperationAction: String, Codable, Sendable, CaseIterable {
    case unsubscribe = "Unsubscribe"
    case changePlan = "ChangePlan"
    case changeQuantity = "ChangeQuantity"
    case suspend = "Suspend"
    case reinstate = "Reinstate"
    case renew = "Renew"

    /// ChangePlan, ChangeQuantity and Reinstate wait for the publisher's acknowledgement (or auto-accept);
    /// Renew, Suspend and Unsubscribe are inform-only (spec-saas §6.2).
    public var needsAcknowledgement: Bool {
        switch self {
        case .changePlan, .changeQuantity, .reinstate: true
        case .unsubscribe, .suspend, .renew: false
        }
    }
}

/// `status` of an operation (spec-saas §4.0).
public enum OperationStatus: String, Codable, Sendable, CaseIterable {
    case notStarted = "NotStarted"
    case inProgress = "InProgress"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case conflict = "Conflict"

    public var isFinal: Bool { self == .succeeded || self == .failed || self == .conflict }
}

/// What moves an operation.
public enum OperationEvent: String, Codable, Sendable, CaseIterable {
    /// The marketplace starts working on it (and notifies the webhook).
    case start = "Start"
    /// The publisher's PATCH {"status":"Success"}.
    case acknowledgeSuccess = "Success"
    /// The publisher's PATCH {"status":"Failure"}.
    case acknowledgeFailure = "Failure"
    /// No answer within the acknowledgement window (spec-saas §5.5: 10 s → Succeeded).
    case autoAccept = "AutoAccept"
    /// Inform-only operations complete on their own.
    case complete = "Complete"
    /// The change no longer applies (e.g. the plan already changed by another operation).
    case conflict = "Conflict"
}

/// The operation state machine (spec-saas §4.3): pure, with 409 for updates of completed operations.
public enum OperationStateMachine {
    public static func apply(_ event: OperationEvent, to status: OperationStatus, action: OperationAction) throws -> OperationStatus {
        if status.isFinal {
            // §4.3: 409 Conflict, "for example, a newer update is already fulfilled".
            throw TransitionRefusal(409, "Conflict", "The operation is already completed (\(status.rawValue)).", target: "status")
        }
        switch event {
        case .start:
            guard status == .notStarted else { throw TransitionRefusal(409, "Conflict", "The operation has already started.") }
            return .inProgress
        case .acknowledgeSuccess, .acknowledgeFailure:
            guard action.needsAcknowledgement else {
                throw TransitionRefusal(400, "BadRequest", "\(action.rawValue) operations are inform-only and don't require an acknowledgement.", target: "status")
            }
            return event == .acknowledgeSuccess ? .succeeded : .failed
        case .autoAccept:
            guard action.needsAcknowledgement else { return .succeeded }
            return .succeeded
        case .complete:
            return .succeeded
        case .conflict:
            return .conflict
        }
    }
}
