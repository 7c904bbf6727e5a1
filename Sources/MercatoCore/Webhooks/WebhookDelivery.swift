import Foundation

/// One webhook notification to a publisher's connection webhook (spec-saas §6), as a durable outbox row: it survives
/// restarts, is retried with backoff for 8 hours, then dead-lettered; every attempt is logged.
public struct WebhookDelivery: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case pending = "Pending", delivered = "Delivered", deadLettered = "DeadLettered" }

    public var id: String
    public var publisherId: String
    public var offerId: String
    public var subscriptionId: String
    public var operationId: String
    public var action: OperationAction
    /// The JSON body, fixed when the event happens (operation + subscription snapshot).
    public var payload: String
    public var url: String
    /// The publisher's Entra app (the JWT's `aud`) and tenant (`tid`).
    public var audience: String
    public var tenantId: String
    public var sandbox: Bool
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date
    public var createdAt: Date
    public var deliveredAt: Date?
    public var lastError: String?
    /// The 8-hour retry window runs from the first attempt (a delivery created during a clock jump still gets it).
    public var firstAttemptAt: Date?

    public init(id: String, publisherId: String, offerId: String, subscriptionId: String, operationId: String, action: OperationAction,
                payload: String, url: String, audience: String, tenantId: String, sandbox: Bool, status: Status = .pending, attempts: Int = 0,
                nextAttemptAt: Date, createdAt: Date, deliveredAt: Date? = nil, lastError: String? = nil) {
        self.id = id
        self.publisherId = publisherId
        self.offerId = offerId
        self.subscriptionId = subscriptionId
        self.operationId = operationId
        self.action = action
        self.payload = payload
        self.url = url
        self.audience = audience
        self.tenantId = tenantId
        self.sandbox = sandbox
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.lastError = lastError
    }
}

/// One try at delivering a webhook: what was sent, what came back, how long it took.
public struct WebhookAttempt: Codable, Sendable, Equatable {
    public var deliveryId: String
    public var number: Int
    public var at: Date
    public var statusCode: Int?
    public var error: String?
    public var latencyMilliseconds: Int
    public var injectedFault: String?

    public init(deliveryId: String, number: Int, at: Date, statusCode: Int?, error: String?, latencyMilliseconds: Int, injectedFault: String? = nil) {
        self.deliveryId = deliveryId
        self.number = number
        self.at = at
        self.statusCode = statusCode
        self.error = error
        self.latencyMilliseconds = latencyMilliseconds
        self.injectedFault = injectedFault
    }
}

/// spec-saas §5.5/§6.1: "500 retries over 8 hours", then the delivery is given up (dead-lettered).
public enum WebhookRetryPolicy {
    public static let window: TimeInterval = 8 * 3600

    /// Delay before retry `attempt` (1-based): exponential from 1 s, capped at 60 s (≈ 480 tries in 8 hours).
    public static func delay(afterAttempt attempt: Int) -> TimeInterval {
        min(60, pow(2, Double(min(attempt, 10) - 1)))
    }

    public static func isExpired(_ d: WebhookDelivery, now: Date) -> Bool {
        guard let first = d.firstAttemptAt else { return false }
        return now.timeIntervalSince(first) >= window
    }
}

/// The webhook body: the operation, the subscription snapshot, `purchaseToken: null` (spec-saas §6.3).
public enum WebhookPayload {
    public struct Body: Encodable {
        public var id: String
        public var activityId: String
        public var publisherId: String
        public var offerId: String
        public var planId: String
        public var quantity: Int?
        public var subscriptionId: String
        public var timeStamp: String
        public var action: String
        public var status: String
        public var operationRequestSource: String
        public var subscription: FulfillmentWire.SubscriptionDTO
        public var purchaseToken: String?

        enum CodingKeys: String, CodingKey {
            case id, activityId, publisherId, offerId, planId, quantity, subscriptionId, timeStamp, action, status, operationRequestSource, subscription, purchaseToken
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(activityId, forKey: .activityId)
            try c.encode(publisherId, forKey: .publisherId)
            try c.encode(offerId, forKey: .offerId)
            try c.encode(planId, forKey: .planId)
            try c.encode(quantity, forKey: .quantity) // null when not per seat, as in the samples
            try c.encode(subscriptionId, forKey: .subscriptionId)
            try c.encode(timeStamp, forKey: .timeStamp)
            try c.encode(action, forKey: .action)
            try c.encode(status, forKey: .status)
            try c.encode(operationRequestSource, forKey: .operationRequestSource)
            try c.encode(subscription, forKey: .subscription)
            try c.encodeNil(forKey: .purchaseToken)
        }
    }

    /// The payload for `operation` with the subscription as it is after (or, for changes awaiting acknowledgement,
    /// before) the event; `status` is the operation's (`InProgress` for ChangePlan/ChangeQuantity/Reinstate,
    /// `Succeeded` for the inform-only actions).
    public static func json(operation o: SubscriptionOperation, subscription s: Subscription, at time: Date) throws -> String {
        let body = Body(id: o.id, activityId: o.activityId, publisherId: o.publisherId, offerId: o.offerId, planId: o.planId,
                        quantity: o.quantity, subscriptionId: o.subscriptionId, timeStamp: WireTime.precise(time),
                        action: o.action.rawValue, status: o.status.rawValue, operationRequestSource: o.source.rawValue,
                        subscription: FulfillmentWire.SubscriptionDTO(s), purchaseToken: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(body), as: UTF8.self)
    }
}

/// Where an offer's webhooks go.
public struct WebhookTarget: Sendable, Equatable {
    public var url: String
    public var audience: String
    public var tenantId: String
    public var sandbox: Bool

    public init(url: String, audience: String, tenantId: String, sandbox: Bool) {
        self.url = url
        self.audience = audience
        self.tenantId = tenantId
        self.sandbox = sandbox
    }
}

public protocol WebhookRepository: Sendable {
    /// Pending deliveries due at `now`, at most one per subscription and only the oldest pending one of each
    /// (per-subscription ordering); claimed with SKIP LOCKED on PostgreSQL.
    func claimDue(now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery]
    func record(_ attempt: WebhookAttempt, delivery: WebhookDelivery) async throws
    func delivery(id: String) async throws -> WebhookDelivery?
    func deliveries(publisherId: String, subscriptionId: String?, limit: Int) async throws -> [WebhookDelivery]
    func attempts(deliveryId: String) async throws -> [WebhookAttempt]
    /// Puts a delivery back in the queue for an immediate attempt (manual replay).
    func replay(id: String, now: Date, audit: AuditEntry) async throws -> WebhookDelivery
}
