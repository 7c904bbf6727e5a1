import Foundation

/// An ISV → customer private offer (spec-portal §5.2): a time-bound percentage discount on some (or all) public
/// plans of a live transactable offer, for one customer, that the customer must accept before the accept-by date.
/// Payout and store fee are computed on the discounted price, because the charges are.
public struct PrivateOffer: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case pendingAcceptance = "PendingAcceptance"
        case accepted = "Accepted"
        case withdrawn = "Withdrawn"
        /// Not accepted by the accept-by date (computed).
        case expired = "Expired"
        /// Past its end date (computed).
        case ended = "Ended"
    }

    public var id: String
    public var publisherId: String
    public var name: String
    public var offerId: String
    /// The customer (billing account; a tenant in Mercato).
    public var customerTenantId: String
    /// Plan-level discount; empty means every plan of the offer, current and future (offer level).
    public var planIds: [String]
    /// Percent off the list price, 0 < p < 100.
    public var discountPercent: Decimal
    /// First instant of the start month.
    public var startsAt: Date
    /// First instant after the end month.
    public var endsAt: Date
    public var acceptBy: Date
    public var status: Status
    public var createdAt: Date
    public var acceptedAt: Date?

    public init(id: String, publisherId: String, name: String, offerId: String, customerTenantId: String, planIds: [String], discountPercent: Decimal,
                startsAt: Date, endsAt: Date, acceptBy: Date, status: Status, createdAt: Date, acceptedAt: Date? = nil) {
        self.id = id
        self.publisherId = publisherId
        self.name = name
        self.offerId = offerId
        self.customerTenantId = customerTenantId
        self.planIds = planIds
        self.discountPercent = discountPercent
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.acceptBy = acceptBy
        self.status = status
        self.createdAt = createdAt
        self.acceptedAt = acceptedAt
    }

    /// The status at `now`, with Expired and Ended computed.
    public func status(at now: Date) -> Status {
        switch status {
        case .pendingAcceptance: now > acceptBy ? .expired : .pendingAcceptance
        case .accepted: now >= endsAt ? .ended : .accepted
        default: status
        }
    }

    public func applies(to planId: String, at date: Date) -> Bool {
        status == .accepted && date >= startsAt && date < endsAt && (planIds.isEmpty || planIds.contains(planId))
    }
}

public protocol PrivateOfferRepository: Sendable {
    func save(_ offer: PrivateOffer, audit: AuditEntry) async throws
    func privateOffer(id: String) async throws -> PrivateOffer?
    func privateOffers(publisherId: String) async throws -> [PrivateOffer]
    func privateOffers(customerTenantId: String, publisherId: String, offerId: String) async throws -> [PrivateOffer]
}

/// Applying accepted private offers to list prices.
public enum PrivateOfferPricing {
    /// The plan with the customer's discount applied to every term price (base and per market) and every dimension's
    /// price per unit ("Discounts apply to custom meter dimensions too"). Amounts stay exact; charges round once.
    public static func discounted(_ plan: Plan, offers: [PrivateOffer], at date: Date) -> Plan {
        guard let best = offers.filter({ $0.applies(to: plan.id, at: date) }).map(\.discountPercent).max(), best > 0 else { return plan }
        let factor = (100 - best) / 100
        var p = plan
        func cut(_ m: Money) -> Money { Money(m.amount * factor, m.currency) }
        for i in p.billingTerms.indices {
            p.billingTerms[i].price = cut(p.billingTerms[i].price)
            p.billingTerms[i].marketPrices = p.billingTerms[i].marketPrices.mapValues(cut)
            if p.billingTerms[i].marketPrices.isEmpty {
                // Markets priced by conversion: convert first, then discount, so every market gets the discount.
                for market in p.markets where market != "US" {
                    if let m = Markets.market(market), let v = ExchangeRates.reference.convert(plan.billingTerms[i].price.amount, to: m.currency) {
                        p.billingTerms[i].marketPrices[market] = Money(v * factor, m.currency)
                    }
                }
            }
        }
        for i in p.dimensions.indices {
            let original = p.dimensions[i]
            p.dimensions[i].pricePerUnit = cut(original.pricePerUnit)
            var perMarket = original.marketPricesPerUnit.mapValues(cut)
            for market in p.markets where market != "US" && perMarket[market] == nil {
                let converted = ChargeRules.unitPrice(original, market: market)
                perMarket[market] = cut(converted)
            }
            p.dimensions[i].marketPricesPerUnit = perMarket
        }
        p.scheduledPriceChanges = p.scheduledPriceChanges.map { c in
            var c = c
            c.newPrice = cut(c.newPrice)
            c.oldPrice = cut(c.oldPrice)
            return c
        }
        return p
    }
}

/// Creating, withdrawing and accepting private offers.
public struct PrivateOfferService: Sendable {
    public let repository: any PrivateOfferRepository
    public let catalog: any CatalogRepository
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let policy: RolePolicy

    public init(repository: any PrivateOfferRepository, catalog: any CatalogRepository, clock: any MarketplaceClock, ids: any IDGenerator, policy: RolePolicy = .default) {
        self.repository = repository
        self.catalog = catalog
        self.clock = clock
        self.ids = ids
        self.policy = policy
    }

    public struct Request: Sendable, Decodable {
        public var name: String
        public var offerId: String
        public var customerTenantId: String
        public var planIds: [String]?
        public var discountPercent: Decimal
        /// "2026-12": the start month; the discount starts on its 1st.
        public var startMonth: String
        /// "2027-11": the end month; the discount ends with its last day.
        public var endMonth: String
        public var acceptBy: Date

        public init(name: String, offerId: String, customerTenantId: String, planIds: [String]? = nil, discountPercent: Decimal, startMonth: String,
                    endMonth: String, acceptBy: Date) {
            self.name = name
            self.offerId = offerId
            self.customerTenantId = customerTenantId
            self.planIds = planIds
            self.discountPercent = discountPercent
            self.startMonth = startMonth
            self.endMonth = endMonth
            self.acceptBy = acceptBy
        }
    }

    public func create(by actor: Principal, publisherId: String, _ r: Request, context: AuditContext) async throws -> PrivateOffer {
        try Authorization.require(actor, .managePrivateOffers, publisherId: publisherId, policy: policy)
        let now = clock.now()
        let name = r.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else { throw DomainError.invalid(field: "name", reason: "is required, at most 100 characters") }
        guard GUIDText.isWellFormed(r.customerTenantId) else { throw DomainError.invalid(field: "customerTenantId", reason: "must be a tenant ID (GUID)") }
        guard r.discountPercent > 0, r.discountPercent < 100 else { throw DomainError.invalid(field: "discountPercent", reason: "must be above 0 and below 100") }
        guard let start = BillingPeriod(r.startMonth) else { throw DomainError.invalid(field: "startMonth", reason: "must be a month like 2026-12") }
        guard let end = BillingPeriod(r.endMonth) else { throw DomainError.invalid(field: "endMonth", reason: "must be a month like 2027-11") }
        guard start >= BillingPeriod(containing: now) else { throw DomainError.invalid(field: "startMonth", reason: "can't be in the past") }
        guard end >= start else { throw DomainError.invalid(field: "endMonth", reason: "must not be before the start month") }
        guard r.acceptBy > now else { throw DomainError.invalid(field: "acceptBy", reason: "must be in the future") }
        // spec-portal §5.2: the offer must be published and publicly transactable; only its public plans; up to 10.
        guard let record = try await catalog.offer(publisherId: publisherId, offerId: r.offerId), let live = record.live,
              live.setup.listingOption == .transact else {
            throw DomainError.invalid(field: "offerId", reason: "'\(r.offerId)' is not a live transactable offer of yours")
        }
        let plans = r.planIds ?? []
        guard plans.count <= 10 else { throw DomainError.invalid(field: "planIds", reason: "at most 10 plans per private offer") }
        for (i, id) in plans.enumerated() where !live.plans.contains(where: { $0.id == id && $0.visibility == .public && !$0.isStopSell }) {
            throw DomainError.invalid(field: "planIds[\(i)]", reason: "'\(id)' is not a public plan on sale in '\(r.offerId)'")
        }
        let offer = PrivateOffer(id: ids.uuidString(), publisherId: publisherId, name: name, offerId: r.offerId, customerTenantId: r.customerTenantId.lowercased(),
                                 planIds: plans, discountPercent: r.discountPercent, startsAt: start.start, endsAt: end.end, acceptBy: r.acceptBy,
                                 status: .pendingAcceptance, createdAt: now)
        try await repository.save(offer, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: "privateOffer.create",
                                                               targetType: "privateOffer", targetId: offer.id,
                                                               after: "{\"offerId\":\"\(r.offerId)\",\"discountPercent\":\"\(r.discountPercent)\"}"))
        return offer
    }

    public func list(by actor: Principal, publisherId: String) async throws -> [PrivateOffer] {
        try Authorization.require(actor, .managePrivateOffers, publisherId: publisherId, policy: policy)
        let now = clock.now()
        return try await repository.privateOffers(publisherId: publisherId).map { var o = $0; o.status = o.status(at: now); return o }
    }

    /// "only … if your customer hasn't accepted it".
    public func withdraw(by actor: Principal, publisherId: String, id: String, context: AuditContext) async throws -> PrivateOffer {
        try Authorization.require(actor, .managePrivateOffers, publisherId: publisherId, policy: policy)
        guard var offer = try await repository.privateOffer(id: id), offer.publisherId == publisherId else { throw DomainError.notFound(kind: "private offer", id: id) }
        guard offer.status(at: clock.now()) == .pendingAcceptance || offer.status(at: clock.now()) == .expired else {
            throw DomainError.conflict(reason: "a private offer can be withdrawn only before the customer accepts it")
        }
        offer.status = .withdrawn
        try await repository.save(offer, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: "privateOffer.withdraw",
                                                               targetType: "privateOffer", targetId: id))
        return offer
    }

    /// The customer accepts (storefront, or the sandbox customer simulation).
    public func accept(customerTenantId: String, id: String, context: AuditContext) async throws -> PrivateOffer {
        guard var offer = try await repository.privateOffer(id: id), offer.customerTenantId == customerTenantId.lowercased() else {
            throw DomainError.notFound(kind: "private offer", id: id)
        }
        let now = clock.now()
        switch offer.status(at: now) {
        case .pendingAcceptance: break
        case .expired: throw DomainError.conflict(reason: "the private offer expired on \(ISO8601DateFormatter().string(from: offer.acceptBy))")
        default: throw DomainError.conflict(reason: "the private offer is \(offer.status(at: now).rawValue), not pending acceptance")
        }
        offer.status = .accepted
        offer.acceptedAt = now
        try await repository.save(offer, audit: context.entry(ids: ids, clock: clock, publisherId: offer.publisherId, action: "privateOffer.accept",
                                                               targetType: "privateOffer", targetId: id))
        return offer
    }
}
