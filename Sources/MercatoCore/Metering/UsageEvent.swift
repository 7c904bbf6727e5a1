import Foundation

/// A usage event as the publisher sent it (spec-saas §7.1), after JSON parsing but before the rules.
public struct UsageEventInput: Sendable, Equatable {
    public var resourceId: String?
    public var resourceUri: String?
    public var quantity: Decimal?
    /// The quantity's text as sent ("20.5"), echoed back.
    public var quantityText: String?
    public var dimension: String?
    /// Echoed "as sent by the ISV" (spec-saas §7.1).
    public var effectiveStartTime: String?
    public var planId: String?
    /// Why the event can't even be read (wrong types), if so.
    public var malformed: (field: String, message: String)?

    public init(resourceId: String? = nil, resourceUri: String? = nil, quantity: Decimal? = nil, quantityText: String? = nil, dimension: String? = nil,
                effectiveStartTime: String? = nil, planId: String? = nil, malformed: (field: String, message: String)? = nil) {
        self.resourceId = resourceId
        self.resourceUri = resourceUri
        self.quantity = quantity
        self.quantityText = quantityText
        self.dimension = dimension
        self.effectiveStartTime = effectiveStartTime
        self.planId = planId
        self.malformed = malformed
    }

    public static func == (a: UsageEventInput, b: UsageEventInput) -> Bool {
        a.resourceId == b.resourceId && a.resourceUri == b.resourceUri && a.quantity == b.quantity && a.dimension == b.dimension
            && a.effectiveStartTime == b.effectiveStartTime && a.planId == b.planId && a.malformed?.field == b.malformed?.field
    }
}

/// Per-event statuses (spec-saas §7.2, OAS `StatusEnum`).
public enum UsageStatus: String, Sendable, Codable, CaseIterable {
    case accepted = "Accepted"
    case expired = "Expired"
    case duplicate = "Duplicate"
    case error = "Error"
    case resourceNotFound = "ResourceNotFound"
    case resourceNotAuthorized = "ResourceNotAuthorized"
    case resourceNotActive = "ResourceNotActive"
    case invalidDimension = "InvalidDimension"
    case invalidQuantity = "InvalidQuantity"
    case badArgument = "BadArgument"
}

/// A stored, accepted usage event.
public struct UsageRecord: Sendable, Equatable, Codable {
    public var usageEventId: String
    /// UTC hour bucket (epoch hours): the dedupe key with resource and dimension (spec-saas §7.3).
    public var hour: Int64
    public var resourceId: String
    public var resourceUri: String?
    public var dimension: String
    public var quantity: Decimal
    /// The quantity as the client wrote it; `quantity` is its value (the SQLite usage writer stores from this text).
    public var quantityText: String
    public var effectiveStartTime: String
    public var effectiveAt: Date
    public var planId: String
    public var publisherId: String
    public var offerId: String
    public var messageTime: Date
    public var azureSubscriptionId: String
    /// Reconciliation status (spec-saas §7.5 `reconStatus`): Submitted until the billing run rates the event.
    public var reconStatus: String

    public init(usageEventId: String, hour: Int64, resourceId: String, resourceUri: String?, dimension: String, quantity: Decimal, quantityText: String,
                effectiveStartTime: String, effectiveAt: Date, planId: String, publisherId: String, offerId: String, messageTime: Date, azureSubscriptionId: String,
                reconStatus: String = "Submitted") {
        self.reconStatus = reconStatus
        self.usageEventId = usageEventId
        self.hour = hour
        self.resourceId = resourceId
        self.resourceUri = resourceUri
        self.dimension = dimension
        self.quantity = quantity
        self.quantityText = quantityText
        self.effectiveStartTime = effectiveStartTime
        self.effectiveAt = effectiveAt
        self.planId = planId
        self.publisherId = publisherId
        self.offerId = offerId
        self.messageTime = messageTime
        self.azureSubscriptionId = azureSubscriptionId
    }
}

extension UsageRecord {
    /// The quantity as both stores keep it: `Decimal`'s text and millionths (plain literals through `PlainDecimal`,
    /// without `Decimal`'s arithmetic).
    public var storedQuantity: (text: String, micros: Int64) {
        if let plain = PlainDecimal(quantityText) { return (plain.text, plain.micros) }
        return ("\(quantity)", DailyUsage.micros(quantity))
    }
}

/// The outcome of one event.
/// Immutable and shared: a batch's outcomes pass from the service to the response writer by reference (copying the
/// record and input inside each outcome was ~4% of a batch's CPU, perf session 9).
public final class UsageOutcome: Sendable {
    public let input: UsageEventInput
    public let status: UsageStatus
    /// The stored record: the new one (Accepted) or the originally accepted one (Duplicate).
    public let record: UsageRecord?
    public let message: String?
    public let target: String?
    public let resourceIdResolved: String?

    public init(input: UsageEventInput, status: UsageStatus, record: UsageRecord? = nil, message: String? = nil, target: String? = nil, resourceIdResolved: String? = nil) {
        self.input = input
        self.status = status
        self.record = record
        self.message = message
        self.target = target
        self.resourceIdResolved = resourceIdResolved
    }
}

/// What the rules need to know about a resource (a SaaS subscription).
public struct MeteredResource: Sendable, Equatable {
    public var subscriptionId: String
    public var resourceUri: String
    public var publisherId: String
    public var offerId: String
    public var planId: String
    public var status: SubscriptionStatus
    public var canceledAt: Date?
    public var azureSubscriptionId: String
    /// Enabled dimensions of the current plan.
    public var dimensions: Set<String>

    public init(subscriptionId: String, resourceUri: String, publisherId: String, offerId: String, planId: String, status: SubscriptionStatus,
                canceledAt: Date?, azureSubscriptionId: String, dimensions: Set<String>) {
        self.subscriptionId = subscriptionId
        self.resourceUri = resourceUri
        self.publisherId = publisherId
        self.offerId = offerId
        self.planId = planId
        self.status = status
        self.canceledAt = canceledAt
        self.azureSubscriptionId = azureSubscriptionId
        self.dimensions = dimensions
    }
}
