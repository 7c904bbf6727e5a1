import Foundation

/// `AadIdentifier`: the purchaser or beneficiary of a subscription.
public struct AADIdentifier: Codable, Sendable, Equatable {
    public var emailId: String
    public var objectId: String
    public var tenantId: String
    public var puid: String?

    public init(emailId: String, objectId: String, tenantId: String, puid: String?) {
        self.emailId = emailId
        self.objectId = objectId
        self.tenantId = tenantId
        self.puid = puid
    }
}

/// A term: dates only once activated (spec-saas §3.0: "relevant only for Active and Suspended subscriptions").
public struct SubscriptionTerm: Codable, Sendable, Equatable {
    public var startDate: Date?
    public var endDate: Date?
    public var termUnit: TermUnit

    public init(startDate: Date? = nil, endDate: Date? = nil, termUnit: TermUnit) {
        self.startDate = startDate
        self.endDate = endDate
        self.termUnit = termUnit
    }

    /// spec-saas §3.2: end = start + termUnit − 1 day (examples 2022-03-04 → 2022-04-03). Start is the UTC day of
    /// activation.
    public static func starting(at date: Date, unit: TermUnit) -> SubscriptionTerm {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.startOfDay(for: date)
        let next = calendar.date(byAdding: .month, value: unit.months, to: start)!
        let end = calendar.date(byAdding: .day, value: -1, to: next)!
        return SubscriptionTerm(startDate: start, endDate: end, termUnit: unit)
    }

    /// The term that follows this one (renewal): starts the day after `endDate`.
    public func next() -> SubscriptionTerm? {
        guard let end = endDate else { return nil }
        return .starting(at: end.addingTimeInterval(86_400), unit: termUnit)
    }
}

/// A SaaS subscription (spec-saas §3.0) plus what Mercato keeps about it.
public struct Subscription: Sendable, Equatable, Codable {
    public var id: String
    public var publisherId: String
    public var offerId: String
    public var name: String
    public var status: SubscriptionStatus
    public var beneficiary: AADIdentifier
    public var purchaser: AADIdentifier
    public var planId: String
    /// Seats, for per-user plans; nil otherwise (and after Unsubscribe, as the real API removes it).
    public var quantity: Int?
    public var term: SubscriptionTerm
    public var autoRenew: Bool
    public var isTest: Bool
    public var isFreeTrial: Bool
    public var allowedCustomerOperations: [String]
    public var sandboxType: String
    public var sessionMode: String
    public var created: Date
    public var lastModified: Date?
    /// Where the customer bought (prices and currency).
    public var market: String
    public var paymentOption: PaymentOption
    /// When the free trial ends (one month after activation), if the subscription started with one.
    public var trialEndsAt: Date?
    /// When the subscription was suspended (30-day grace period, spec-saas §5.5).
    public var suspendedAt: Date?
    public var activatedAt: Date?
    public var canceledAt: Date?
    /// When the next monthly instalment of a multi-month term paid monthly is due (nil when none is).
    public var nextInstalmentAt: Date?

    public init(id: String, publisherId: String, offerId: String, name: String, status: SubscriptionStatus, beneficiary: AADIdentifier,
                purchaser: AADIdentifier, planId: String, quantity: Int?, term: SubscriptionTerm, autoRenew: Bool = true, isTest: Bool = false,
                isFreeTrial: Bool = false, allowedCustomerOperations: [String] = ["Delete", "Read", "Update"], sandboxType: String = "None",
                sessionMode: String = "None", created: Date, lastModified: Date? = nil, market: String = "US",
                paymentOption: PaymentOption = .upfront, trialEndsAt: Date? = nil, suspendedAt: Date? = nil, activatedAt: Date? = nil,
                canceledAt: Date? = nil) {
        self.id = id
        self.publisherId = publisherId
        self.offerId = offerId
        self.name = name
        self.status = status
        self.beneficiary = beneficiary
        self.purchaser = purchaser
        self.planId = planId
        self.quantity = quantity
        self.term = term
        self.autoRenew = autoRenew
        self.isTest = isTest
        self.isFreeTrial = isFreeTrial
        self.allowedCustomerOperations = allowedCustomerOperations
        self.sandboxType = sandboxType
        self.sessionMode = sessionMode
        self.created = created
        self.lastModified = lastModified
        self.market = market
        self.paymentOption = paymentOption
        self.trialEndsAt = trialEndsAt
        self.suspendedAt = suspendedAt
        self.activatedAt = activatedAt
        self.canceledAt = canceledAt
    }
}

/// A fulfillment operation (spec-saas §4.0).
public struct SubscriptionOperation: Sendable, Equatable, Codable {
    public enum Source: String, Codable, Sendable { case azure = "Azure", partner = "Partner" }

    public var id: String
    public var activityId: String
    public var subscriptionId: String
    public var publisherId: String
    public var offerId: String
    /// Target plan and seats (ChangePlan/ChangeQuantity), or current ones.
    public var planId: String
    public var quantity: Int?
    public var action: OperationAction
    public var status: OperationStatus
    public var source: Source
    public var timeStamp: Date
    public var errorStatusCode: String?
    public var errorMessage: String?
    public var created: Date
    /// When the acknowledgement window ends (auto-accept).
    public var acknowledgeBy: Date?
    /// A ChangePlan to a plan without a free trial ends the trial at once (spec-saas §10.4).
    public var endsFreeTrial: Bool?

    public init(id: String, activityId: String, subscriptionId: String, publisherId: String, offerId: String, planId: String,
                quantity: Int?, action: OperationAction, status: OperationStatus, source: Source, timeStamp: Date,
                errorStatusCode: String? = nil, errorMessage: String? = nil, created: Date, acknowledgeBy: Date? = nil) {
        self.id = id
        self.activityId = activityId
        self.subscriptionId = subscriptionId
        self.publisherId = publisherId
        self.offerId = offerId
        self.planId = planId
        self.quantity = quantity
        self.action = action
        self.status = status
        self.source = source
        self.timeStamp = timeStamp
        self.errorStatusCode = errorStatusCode
        self.errorMessage = errorMessage
        self.created = created
        self.acknowledgeBy = acknowledgeBy
    }
}
