import Foundation
import MercatoCore

/// Wire shapes of the SaaS Fulfillment API v2, with Microsoft's field names and order (saasapi.v2.json and the live
/// recordings): hand-written, never generated.
enum FulfillmentWire {
    static let dateTime: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'"
        return f
    }()

    static let day: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'00:00:00'Z'"
        return f
    }()

    struct Term: Encodable {
        var startDate: String?
        var endDate: String?
        var termUnit: String
    }

    struct SubscriptionDTO: Encodable {
        var id: String
        var publisherId: String
        var offerId: String
        var name: String
        var saasSubscriptionStatus: String
        var beneficiary: AADIdentifier
        var purchaser: AADIdentifier
        var planId: String
        var quantity: Int?
        var term: Term
        var autoRenew: Bool
        var isTest: Bool
        var isFreeTrial: Bool
        var allowedCustomerOperations: [String]
        var sandboxType: String
        var created: String
        var lastModified: String
        var sessionMode: String

        init(_ s: Subscription) {
            id = s.id
            publisherId = s.publisherId
            offerId = s.offerId
            name = s.name
            saasSubscriptionStatus = s.status.rawValue
            beneficiary = s.beneficiary
            purchaser = s.purchaser
            planId = s.planId
            quantity = s.quantity
            term = Term(startDate: s.term.startDate.map(day.string), endDate: s.term.endDate.map(day.string), termUnit: s.term.termUnit.rawValue)
            autoRenew = s.autoRenew
            isTest = s.isTest
            isFreeTrial = s.isFreeTrial
            allowedCustomerOperations = s.allowedCustomerOperations
            sandboxType = s.sandboxType
            created = dateTime.string(from: s.created)
            lastModified = s.lastModified.map(dateTime.string) ?? "0001-01-01T00:00:00"
            sessionMode = s.sessionMode
        }
    }

    struct ResolvedDTO: Encodable {
        var id: String
        var subscriptionName: String
        var offerId: String
        var planId: String
        var quantity: Int?
        var subscription: SubscriptionDTO
    }

    struct SubscriptionsPage: Encodable {
        var subscriptions: [SubscriptionDTO]
        var nextLink: String?

        enum CodingKeys: String, CodingKey {
            case subscriptions
            case nextLink = "@nextLink"
        }
    }

    struct OperationDTO: Encodable {
        var id: String
        var activityId: String
        var publisherId: String
        var offerId: String
        var planId: String
        var quantity: Int?
        var operationRequestSource: String
        var subscriptionId: String
        var timeStamp: String
        var action: String
        var status: String
        var errorStatusCode: String?
        var errorMessage: String?

        init(_ o: SubscriptionOperation) {
            id = o.id
            activityId = o.activityId
            publisherId = o.publisherId
            offerId = o.offerId
            planId = o.planId
            quantity = o.quantity
            operationRequestSource = o.source.rawValue
            subscriptionId = o.subscriptionId
            timeStamp = dateTime.string(from: o.timeStamp)
            action = o.action.rawValue
            status = o.status.rawValue
            errorStatusCode = o.errorStatusCode
            errorMessage = o.errorMessage
        }
    }

    struct MeteredQuantity: Encodable { var dimensionId: String; var units: String }

    struct BillingTermDTO: Encodable {
        var currency: String
        var price: Decimal
        var termUnit: String
        var termDescription: String
        var meteredQuantityIncluded: [MeteredQuantity]?
    }

    struct DimensionDTO: Encodable {
        var id: String
        var currency: String
        var pricePerUnit: Decimal
        var unitOfMeasure: String
        var displayName: String
    }

    struct PlanComponents: Encodable {
        var recurrentBillingTerms: [BillingTermDTO]
        var meteringDimensions: [DimensionDTO]
    }

    struct PlanDTO: Encodable {
        var planId: String
        var displayName: String
        var isPrivate: Bool
        var description: String
        var minQuantity: Int?
        var maxQuantity: Int?
        var hasFreeTrials: Bool
        var isPricePerSeat: Bool
        var isStopSell: Bool
        var market: String
        var planComponents: PlanComponents
    }

    static func termDescription(_ unit: TermUnit) -> String {
        switch unit {
        case .P1M: "1 Month Subscription"
        case .P1Y: "1 Year Subscription"
        case .P2Y: "2 Years Subscription"
        case .P3Y: "3 Years Subscription"
        case .P4Y: "4 Years Subscription"
        case .P5Y: "5 Years Subscription"
        }
    }

    static func plan(_ p: Plan, offer: Offer, market: String, at date: Date, rates: ExchangeRates) -> PlanDTO {
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
