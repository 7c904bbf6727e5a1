import Foundation

/// What happened, by whom, to what: the fields of GOV-AUD-01 that the caller supplies.
public struct AuditEntry: Sendable, Equatable, Codable {
    public enum ActorType: String, Sendable, Codable { case user, app, agent, system, customer }
    public enum Decision: String, Sendable, Codable { case allowed, blocked, approvalRequired = "approval-required" }

    public var eventId: String
    public var time: Date
    public var actorType: ActorType
    public var actorId: String
    public var onBehalfOf: String?
    public var publisherId: String?
    public var action: String
    public var targetType: String
    public var targetId: String
    /// Redacted JSON of the state before and after (GOV-AUD-08: no secrets).
    public var before: String?
    public var after: String?
    public var decision: Decision
    public var reason: String?
    public var correlationId: String?
    public var requestId: String?
    public var sourceIP: String?
    public var platformVersion: String

    public init(
        eventId: String, time: Date, actorType: ActorType, actorId: String, onBehalfOf: String? = nil,
        publisherId: String?, action: String, targetType: String, targetId: String,
        before: String? = nil, after: String? = nil, decision: Decision = .allowed, reason: String? = nil,
        correlationId: String? = nil, requestId: String? = nil, sourceIP: String? = nil,
        platformVersion: String = MercatoVersion.current
    ) {
        self.eventId = eventId
        self.time = time
        self.actorType = actorType
        self.actorId = actorId
        self.onBehalfOf = onBehalfOf
        self.publisherId = publisherId
        self.action = action
        self.targetType = targetType
        self.targetId = targetId
        self.before = before
        self.after = after
        self.decision = decision
        self.reason = reason
        self.correlationId = correlationId
        self.requestId = requestId
        self.sourceIP = sourceIP
        self.platformVersion = platformVersion
    }
}

/// A stored audit record: the entry plus its place in the hash chain (GOV-AUD-03).
public struct AuditRecord: Sendable, Equatable, Codable {
    public var sequence: Int64
    public var entry: AuditEntry
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, entry: AuditEntry, previousHash: String, hash: String) {
        self.sequence = sequence
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }
}

public enum MercatoVersion {
    public static let current = "0.1.0"
}
