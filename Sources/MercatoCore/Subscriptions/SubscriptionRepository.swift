import Foundation

/// A purchase token as stored: only its hash (the token is a bearer secret in a URL).
public struct PurchaseToken: Sendable, Equatable {
    public var hash: String
    public var subscriptionId: String
    public var publisherId: String
    public var expiresAt: Date

    public init(hash: String, subscriptionId: String, publisherId: String, expiresAt: Date) {
        self.hash = hash
        self.subscriptionId = subscriptionId
        self.publisherId = publisherId
        self.expiresAt = expiresAt
    }
}

/// A subscription with its unfinished operations, loaded and saved in one transaction with the row locked.
public struct SubscriptionAggregate: Sendable {
    public var subscription: Subscription
    /// Operations not yet final, plus any created or changed by the caller.
    public var operations: [SubscriptionOperation]
    public var audit: [AuditEntry] = []
    /// Webhook notifications to write in the same transaction (the outbox).
    public var outbox: [WebhookDelivery] = []
    /// Ledger charges the change causes (activation, renewal, proration…), written in the same transaction.
    public var charges: [BillingCharge] = []

    public init(subscription: Subscription, operations: [SubscriptionOperation]) {
        self.subscription = subscription
        self.operations = operations
    }

    public var pending: [SubscriptionOperation] { operations.filter { !$0.status.isFinal } }
}

public protocol SubscriptionRepository: Sendable {
    func create(_ subscription: Subscription, token: PurchaseToken, audit: AuditEntry) async throws
    func subscription(id: String) async throws -> Subscription?
    /// What metering reads of a subscription, as one shared snapshot (hot path: spec-saas §7, up to 25 lookups per
    /// batch). The default copies it out of `subscription(id:)`; a caching repository hands out its cached snapshot.
    func facts(id: String) async throws -> SubscriptionFacts?
    /// A publisher's subscriptions in creation order, after the (created, id) cursor.
    func page(publisherId: String, after cursor: SubscriptionCursor?, limit: Int) async throws -> [Subscription]
    func subscriptions(customerTenantId: String) async throws -> [Subscription]
    /// Runs `body` on the subscription and its pending operations inside one transaction (row locked on
    /// PostgreSQL; SQLite's writer is exclusive), then saves the subscription, every operation in the aggregate and
    /// the audit entries it collected.
    func mutate<R: Sendable>(subscriptionId: String, _ body: @escaping @Sendable (inout SubscriptionAggregate) throws -> R) async throws -> R
    func addToken(_ token: PurchaseToken) async throws
    func token(hash: String) async throws -> PurchaseToken?
    func operation(id: String) async throws -> SubscriptionOperation?
    func operations(subscriptionId: String) async throws -> [SubscriptionOperation]
    /// Unfinished operations, oldest first (for the lifecycle engine).
    func unfinishedOperations(limit: Int) async throws -> [SubscriptionOperation]
    /// Whether this tenant has ever paid for a plan of the offer (then no more free trials, spec-saas §10.4).
    func hasPaid(customerTenantId: String, publisherId: String, offerId: String) async throws -> Bool
    /// Subscriptions whose next lifecycle event (renewal, trial end, end of the suspension grace) is due.
    func due(now: Date, limit: Int) async throws -> [Subscription]
    /// The earliest lifecycle event or acknowledgement deadline after `after` (for time travel in time order).
    func nextDueTime(after: Date) async throws -> Date?
    func paymentFailing(customerTenantId: String) async throws -> Bool
    func setPaymentFailing(customerTenantId: String, failing: Bool, audit: AuditEntry) async throws
}

extension SubscriptionRepository {
    public func facts(id: String) async throws -> SubscriptionFacts? {
        try await subscription(id: id).map(SubscriptionFacts.init)
    }
}

/// The fields of a subscription that the metering checks read (spec-saas §7.4), immutable and shared: handing out
/// one reference costs one retain, where copying a `Subscription` (some twenty strings) cost a retain and a release
/// per field on every event of a batch (perf, session 9).
public final class SubscriptionFacts: Sendable {
    public let id: String
    public let publisherId: String
    public let offerId: String
    public let planId: String
    public let status: SubscriptionStatus
    public let canceledAt: Date?
    public let beneficiaryTenantId: String

    public init(_ s: Subscription) {
        id = s.id
        publisherId = s.publisherId
        offerId = s.offerId
        planId = s.planId
        status = s.status
        canceledAt = s.canceledAt
        beneficiaryTenantId = s.beneficiary.tenantId
    }
}

/// Position in a publisher's subscription list (opaque on the wire).
public struct SubscriptionCursor: Sendable, Equatable {
    public var created: Date
    public var id: String

    public init(created: Date, id: String) {
        self.created = created
        self.id = id
    }

    public var token: String { Base64URL.encode(Array("\(Int64((created.timeIntervalSince1970 * 1000).rounded())):\(id)".utf8)) }

    public init?(token: String) {
        guard let bytes = Base64URL.decode(token), let text = String(bytes: bytes, encoding: .utf8) else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let ms = Int64(parts[0]), GUIDText.isWellFormed(parts[1]) else { return nil }
        self.created = Date(timeIntervalSince1970: TimeInterval(ms) / 1000)
        self.id = String(parts[1])
    }
}
