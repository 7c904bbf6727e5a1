import Foundation

/// A fault a publisher injects into its own traffic to test its integration (issue 6): make /api calls answer
/// 429/500/503 or slow down, or make webhook deliveries of an offer fail or time out, for a share of calls.
public struct FaultRule: Codable, Sendable, Equatable {
    public enum Scope: String, Codable, Sendable { case api = "Api", webhook = "Webhook" }

    public var id: String
    public var publisherId: String
    public var scope: Scope
    /// API: only paths starting with this (e.g. `/api/saas/subscriptions`); nil = all of /api.
    public var routePrefix: String?
    /// Webhook: only this offer's deliveries; nil = all of the publisher's offers.
    public var offerId: String?
    /// API: 429, 500 or 503. Webhook: the status the simulated delivery "receives".
    public var statusCode: Int?
    public var latencyMilliseconds: Int?
    /// Webhook: the delivery times out.
    public var timeout: Bool
    /// Share of matching calls affected, 1…100.
    public var percent: Int
    public var createdAt: Date

    public init(id: String, publisherId: String, scope: Scope, routePrefix: String? = nil, offerId: String? = nil, statusCode: Int? = nil,
                latencyMilliseconds: Int? = nil, timeout: Bool = false, percent: Int = 100, createdAt: Date) {
        self.id = id
        self.publisherId = publisherId
        self.scope = scope
        self.routePrefix = routePrefix
        self.offerId = offerId
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.timeout = timeout
        self.percent = percent
        self.createdAt = createdAt
    }

    /// Checks a new rule; throws the field that is wrong.
    public func validate() throws {
        guard (1...100).contains(percent) else { throw DomainError.invalid(field: "percent", reason: "must be 1–100") }
        if let latency = latencyMilliseconds, !(0...60_000).contains(latency) { throw DomainError.invalid(field: "latencyMilliseconds", reason: "must be 0–60000") }
        switch scope {
        case .api:
            if let s = statusCode, ![429, 500, 503].contains(s) { throw DomainError.invalid(field: "statusCode", reason: "API faults answer 429, 500 or 503") }
            if statusCode == nil && latencyMilliseconds == nil { throw DomainError.invalid(field: "statusCode", reason: "give a statusCode or a latencyMilliseconds") }
            if timeout { throw DomainError.invalid(field: "timeout", reason: "timeouts apply to webhooks; use latencyMilliseconds for the API") }
            if let p = routePrefix, !p.hasPrefix("/api/") { throw DomainError.invalid(field: "routePrefix", reason: "must start with /api/") }
        case .webhook:
            if let s = statusCode, !(400...599).contains(s) { throw DomainError.invalid(field: "statusCode", reason: "webhook faults simulate a 4xx or 5xx answer") }
            if statusCode == nil && !timeout && latencyMilliseconds == nil {
                throw DomainError.invalid(field: "statusCode", reason: "give a statusCode, timeout or latencyMilliseconds")
            }
        }
    }
}

public enum FaultInjector {
    /// The first rule that applies to this call, given a roll in 0..<100.
    public static func pick(_ rules: [FaultRule], scope: FaultRule.Scope, publisherId: String, path: String? = nil, offerId: String? = nil, roll: Int) -> FaultRule? {
        rules.first { r in
            r.scope == scope && r.publisherId == publisherId && roll < r.percent
                && (r.routePrefix.map { p in path?.hasPrefix(p) ?? false } ?? true)
                && (r.offerId.map { $0 == offerId } ?? true)
        }
    }
}

public protocol FaultRepository: Sendable {
    func add(_ rule: FaultRule, audit: AuditEntry) async throws
    func rules(publisherId: String?) async throws -> [FaultRule]
    func remove(id: String, publisherId: String, audit: AuditEntry) async throws
    func clear(publisherId: String, audit: AuditEntry) async throws -> Int
}

/// The persisted offset of the marketplace clock, shared by all processes on the database.
public protocol ClockStore: Sendable {
    func offset() async throws -> TimeInterval
    func setOffset(_ seconds: TimeInterval, audit: AuditEntry) async throws
}
