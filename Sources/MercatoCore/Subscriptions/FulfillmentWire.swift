import Foundation

/// Wire shapes of the SaaS Fulfillment API v2, with Microsoft's field names and order (saasapi.v2.json and the live
/// recordings): hand-written, never generated.
public enum FulfillmentWire {
    public static let dateTime: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'"
        return f
    }()

    public static let day: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'00:00:00'Z'"
        return f
    }()

    public struct Term: Encodable, Sendable {
        public var startDate: String?
        public var endDate: String?
        public var termUnit: String
    }

    public struct SubscriptionDTO: Encodable, Sendable {
        public var id: String
        public var publisherId: String
        public var offerId: String
        public var name: String
        public var saasSubscriptionStatus: String
        public var beneficiary: AADIdentifier
        public var purchaser: AADIdentifier
        public var planId: String
        public var quantity: Int?
        public var term: Term
        public var autoRenew: Bool
        public var isTest: Bool
        public var isFreeTrial: Bool
        public var allowedCustomerOperations: [String]
        public var sandboxType: String
        public var created: String
        public var lastModified: String
        public var sessionMode: String

        public init(_ s: Subscription) {
            id = s.id
            publisherId = s.publisherId
            offerId = s.offerId
            name = s.name
            saasSubscriptionStatus = s.status.rawValue
            beneficiary = s.beneficiary
            purchaser = s.purchaser
            planId = s.planId
            quantity = s.quantity
            term = Term(startDate: s.term.startDate.map(WireTime.day), endDate: s.term.endDate.map(WireTime.day), termUnit: s.term.termUnit.rawValue)
            autoRenew = s.autoRenew
            isTest = s.isTest
            isFreeTrial = s.isFreeTrial
            allowedCustomerOperations = s.allowedCustomerOperations
            sandboxType = s.sandboxType
            created = WireTime.precise(s.created)
            lastModified = s.lastModified.map(WireTime.precise) ?? "0001-01-01T00:00:00"
            sessionMode = s.sessionMode
        }
    }

    /// The subscription in the live service's key order (GetSubscription recording), written without JSONEncoder.
    public static func ordered(_ d: SubscriptionDTO) -> OrderedJSON {
        func identity(_ a: AADIdentifier) -> OrderedJSON {
            .object([("emailId", .string(a.emailId)), ("objectId", .string(a.objectId)), ("tenantId", .string(a.tenantId)),
                     ("puid", a.puid.map(OrderedJSON.string) ?? .null)])
        }
        var term: [(String, OrderedJSON)] = []
        if let s = d.term.startDate { term.append(("startDate", .string(s))) }
        if let e = d.term.endDate { term.append(("endDate", .string(e))) }
        term.append(("termUnit", .string(d.term.termUnit)))
        var pairs: [(String, OrderedJSON)] = [
            ("id", .string(d.id)), ("publisherId", .string(d.publisherId)), ("offerId", .string(d.offerId)), ("name", .string(d.name)),
            ("saasSubscriptionStatus", .string(d.saasSubscriptionStatus)), ("beneficiary", identity(d.beneficiary)), ("purchaser", identity(d.purchaser)),
            ("planId", .string(d.planId)),
        ]
        if let q = d.quantity { pairs.append(("quantity", .number(String(q)))) }
        pairs += [
            ("term", .object(term)), ("autoRenew", .bool(d.autoRenew)), ("isTest", .bool(d.isTest)), ("isFreeTrial", .bool(d.isFreeTrial)),
            ("allowedCustomerOperations", .array(d.allowedCustomerOperations.map(OrderedJSON.string))), ("sandboxType", .string(d.sandboxType)),
            ("created", .string(d.created)), ("lastModified", .string(d.lastModified)), ("sessionMode", .string(d.sessionMode)),
        ]
        return .object(pairs)
    }

    /// The operation in the live service's key order (UpdateSubscription recording).
    public static func ordered(_ o: OperationDTO) -> OrderedJSON {
        var pairs: [(String, OrderedJSON)] = [
            ("id", .string(o.id)), ("activityId", .string(o.activityId)), ("publisherId", .string(o.publisherId)), ("offerId", .string(o.offerId)),
            ("planId", .string(o.planId)),
        ]
        if let q = o.quantity { pairs.append(("quantity", .number(String(q)))) }
        pairs += [("operationRequestSource", .string(o.operationRequestSource)), ("subscriptionId", .string(o.subscriptionId)),
                  ("timeStamp", .string(o.timeStamp)), ("action", .string(o.action)), ("status", .string(o.status))]
        if let c = o.errorStatusCode { pairs.append(("errorStatusCode", .string(c))) }
        if let m = o.errorMessage { pairs.append(("errorMessage", .string(m))) }
        return .object(pairs)
    }

    public struct ResolvedDTO: Encodable, Sendable {
        public init(id: String, subscriptionName: String, offerId: String, planId: String, quantity: Int?, subscription: SubscriptionDTO) {
            self.id = id
            self.subscriptionName = subscriptionName
            self.offerId = offerId
            self.planId = planId
            self.quantity = quantity
            self.subscription = subscription
        }

        public var id: String
        public var subscriptionName: String
        public var offerId: String
        public var planId: String
        public var quantity: Int?
        public var subscription: SubscriptionDTO
    }

    public struct SubscriptionsPage: Encodable, Sendable {
        public init(subscriptions: [SubscriptionDTO], nextLink: String?) {
            self.subscriptions = subscriptions
            self.nextLink = nextLink
        }

        public var subscriptions: [SubscriptionDTO]
        public var nextLink: String?

        enum CodingKeys: String, CodingKey {
            case subscriptions
            case nextLink = "@nextLink"
        }
    }

    public struct OperationDTO: Encodable, Sendable {
        public var id: String
        public var activityId: String
        public var publisherId: String
        public var offerId: String
        public var planId: String
        public var quantity: Int?
        public var operationRequestSource: String
        public var subscriptionId: String
        public var timeStamp: String
        public var action: String
        public var status: String
        public var errorStatusCode: String?
        public var errorMessage: String?

        public init(_ o: SubscriptionOperation) {
            id = o.id
            activityId = o.activityId
            publisherId = o.publisherId
            offerId = o.offerId
            planId = o.planId
            quantity = o.quantity
            operationRequestSource = o.source.rawValue
            subscriptionId = o.subscriptionId
            timeStamp = WireTime.precise(o.timeStamp)
            action = o.action.rawValue
            status = o.status.rawValue
            errorStatusCode = o.errorStatusCode
            errorMessage = o.errorMessage
        }
    }

    public struct MeteredQuantity: Encodable, Sendable { var dimensionId: String; var units: String }

    public struct BillingTermDTO: Encodable, Sendable {
        public var currency: String
        public var price: Decimal
        public var termUnit: String
        public var termDescription: String
        public var meteredQuantityIncluded: [MeteredQuantity]?
    }

    public struct DimensionDTO: Encodable, Sendable {
        public var id: String
        public var currency: String
        public var pricePerUnit: Decimal
        public var unitOfMeasure: String
        public var displayName: String
    }

    public struct PlanComponents: Encodable, Sendable {
        public var recurrentBillingTerms: [BillingTermDTO]
        public var meteringDimensions: [DimensionDTO]
    }

    public struct PlanDTO: Encodable, Sendable {
        public var planId: String
        public var displayName: String
        public var isPrivate: Bool
        public var description: String
        public var minQuantity: Int?
        public var maxQuantity: Int?
        public var hasFreeTrials: Bool
        public var isPricePerSeat: Bool
        public var isStopSell: Bool
        public var market: String
        public var planComponents: PlanComponents
    }

    public static func termDescription(_ unit: TermUnit) -> String {
        switch unit {
        case .P1M: "1 Month Subscription"
        case .P1Y: "1 Year Subscription"
        case .P2Y: "2 Years Subscription"
        case .P3Y: "3 Years Subscription"
        case .P4Y: "4 Years Subscription"
        case .P5Y: "5 Years Subscription"
        }
    }

    public static func plan(_ p: Plan, offer: Offer, market: String, at date: Date, rates: ExchangeRates) -> PlanDTO {
        let currency = Markets.market(market)?.currency ?? "USD"
        let terms = p.billingTerms.map { term -> BillingTermDTO in
            let price = PriceChangeRules.price(of: p, term: term.termUnit, market: market, at: date, rates: rates) ?? term.price
            let included: [MeteredQuantity]? = p.dimensions.isEmpty ? nil : p.dimensions.filter(\.enabled).map { d in
                let q = term.termUnit == .P1M ? d.includedMonthly : d.includedAnnual
                let units: String = if case let .quantity(n) = q { String(n) } else { "unlimited" }
                return MeteredQuantity(dimensionId: d.dimensionId, units: units)
            }
            return BillingTermDTO(currency: price.currency, price: price.amount, termUnit: term.termUnit.rawValue,
                                  termDescription: termDescription(term.termUnit), meteredQuantityIncluded: included)
        }
        let dimensions = p.dimensions.filter(\.enabled).compactMap { d -> DimensionDTO? in
            guard let meta = offer.dimensions.first(where: { $0.id == d.dimensionId }) else { return nil }
            let local = d.marketPricesPerUnit[market] ?? (market == "US" ? d.pricePerUnit
                : Money(rates.perUSD[currency].map { d.pricePerUnit.amount * $0 } ?? d.pricePerUnit.amount, rates.perUSD[currency] == nil ? "USD" : currency))
            return DimensionDTO(id: d.dimensionId, currency: local.currency, pricePerUnit: local.amount, unitOfMeasure: meta.unitOfMeasure, displayName: meta.displayName)
        }
        return PlanDTO(planId: p.id, displayName: p.name, isPrivate: p.visibility == .private, description: p.description,
                       minQuantity: p.pricing.isPricePerSeat ? p.pricing.effectiveMinUsers : nil,
                       maxQuantity: p.pricing.isPricePerSeat ? p.pricing.maxUsers : nil,
                       hasFreeTrials: p.freeTrial, isPricePerSeat: p.pricing.isPricePerSeat, isStopSell: p.isStopSell, market: market,
                       planComponents: PlanComponents(recurrentBillingTerms: terms, meteringDimensions: dimensions))
    }
}
