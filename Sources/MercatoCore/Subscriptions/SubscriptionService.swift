import Foundation

/// The result of a purchase: the new subscription, the marketplace token and where to send the buyer.
public struct Purchase: Sendable, Equatable {
    public var subscription: Subscription
    public var token: String
    public var landingPageURL: String
}

/// SaaS transact use cases (spec-saas §3–§5): purchase, landing-page tokens, the publisher's Fulfillment API
/// operations and the customer's changes. Every rule is checked inside the subscription's transaction.
public struct SubscriptionService: Sendable {
    public let repository: any SubscriptionRepository
    public let catalog: any CatalogRepository
    public let accounts: any AccountRepository
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let digest: AuditChain.Digest
    /// spec-saas §3.1: the token "is usually valid for 24 hours" (§13.1: configurable).
    public let tokenLifetime: TimeInterval
    /// spec-saas §5.5: 10 s to acknowledge ChangePlan/ChangeQuantity before auto-accept.
    public let acknowledgementWindow: TimeInterval
    /// Accepted private offers discount this customer's prices.
    public let privateOffers: (any PrivateOfferRepository)?

    public init(repository: any SubscriptionRepository, catalog: any CatalogRepository, accounts: any AccountRepository,
                clock: any MarketplaceClock, ids: any IDGenerator, digest: @escaping AuditChain.Digest,
                tokenLifetime: TimeInterval = 24 * 3600, acknowledgementWindow: TimeInterval = 10,
                privateOffers: (any PrivateOfferRepository)? = nil) {
        self.privateOffers = privateOffers
        self.repository = repository
        self.catalog = catalog
        self.accounts = accounts
        self.clock = clock
        self.ids = ids
        self.digest = digest
        self.tokenLifetime = tokenLifetime
        self.acknowledgementWindow = acknowledgementWindow
    }

    // MARK: Purchase (storefront / `mercato purchase`)

    public struct PurchaseRequest: Sendable {
        public var buyerEmail: String
        public var publisherId: String?
        public var offerId: String
        public var planId: String
        public var quantity: Int?
        public var termUnit: TermUnit?
        public var paymentOption: PaymentOption?
        public var autoRenew: Bool
        public var name: String?
        public var market: String

        public init(buyerEmail: String, publisherId: String? = nil, offerId: String, planId: String, quantity: Int? = nil,
                    termUnit: TermUnit? = nil, paymentOption: PaymentOption? = nil, autoRenew: Bool = true, name: String? = nil, market: String = "US") {
            self.buyerEmail = buyerEmail
            self.publisherId = publisherId
            self.offerId = offerId
            self.planId = planId
            self.quantity = quantity
            self.termUnit = termUnit
            self.paymentOption = paymentOption
            self.autoRenew = autoRenew
            self.name = name
            self.market = market
        }
    }

    /// A customer subscribes to a plan of a live SaaS offer (spec-saas §5.2 T1): PendingFulfillmentStart, then the
    /// buyer goes to the landing page with a fresh token.
    public func purchase(_ r: PurchaseRequest, context: AuditContext) async throws -> Purchase {
        guard let buyer = try await accounts.customerUser(email: r.buyerEmail.lowercased()) else {
            throw DomainError.notFound(kind: "customer user", id: r.buyerEmail)
        }
        let candidates = try await catalog.publishedOffers().filter { $0.offerId == r.offerId && (r.publisherId == nil || $0.publisherId == r.publisherId) }
        guard let record = candidates.first,
              let (offer, _) = CatalogSearch.visibleOffer(record, viewerTenantId: buyer.tenantId, viewerEmail: buyer.email) else {
            throw DomainError.notFound(kind: "offer", id: r.offerId)
        }
        guard offer.type == .saas, offer.setup.listingOption == .transact, let technical = offer.technicalConfiguration else {
            throw DomainError.invalid(field: "offerId", reason: "'\(r.offerId)' can't be bought through the marketplace (it is not a transactable SaaS offer)")
        }
        guard let plan = offer.plan(r.planId) else { throw DomainError.invalid(field: "planId", reason: "'\(r.planId)' is not a plan of '\(r.offerId)' available to you") }
        let market = r.market.uppercased()
        guard plan.markets.contains(market) else { throw DomainError.invalid(field: "market", reason: "plan '\(plan.id)' is not sold in \(market)") }
        guard let term = r.termUnit.flatMap({ plan.term($0) }) ?? (r.termUnit == nil ? plan.billingTerms.first : nil) else {
            throw DomainError.invalid(field: "termUnit", reason: "plan '\(plan.id)' has no \(r.termUnit?.rawValue ?? "") billing term")
        }
        let quantity = try Self.checkQuantity(r.quantity, plan: plan, purchasing: true)
        let now = clock.now()
        let paid = try await repository.hasPaid(customerTenantId: buyer.tenantId, publisherId: record.publisherId, offerId: offer.id)
        let identity = AADIdentifier(emailId: buyer.email, objectId: buyer.id, tenantId: buyer.tenantId, puid: Self.puid(buyer.id, digest))
        let name = (r.name?.trimmingCharacters(in: .whitespaces)).flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
            ?? "\(offer.listing.name) – \(plan.name)"
        let subscription = Subscription(
            id: ids.uuidString(), publisherId: record.publisherId, offerId: offer.id, name: name, status: .pendingFulfillmentStart,
            beneficiary: identity, purchaser: identity, planId: plan.id, quantity: quantity, term: SubscriptionTerm(termUnit: term.termUnit),
            autoRenew: r.autoRenew, isFreeTrial: plan.freeTrial && !paid, created: now, lastModified: now, market: market,
            paymentOption: term.termUnit == .P1M ? .upfront : (r.paymentOption ?? term.paymentOption))
        let (token, stored) = newToken(subscription: subscription, now: now)
        try await repository.create(subscription, token: stored, audit: context.entry(
            ids: ids, clock: clock, publisherId: record.publisherId, action: "subscription.purchase", targetType: "subscription",
            targetId: subscription.id, after: "{\"offerId\":\"\(offer.id)\",\"planId\":\"\(plan.id)\",\"quantity\":\(quantity.map(String.init) ?? "null")}"))
        return Purchase(subscription: subscription, token: token, landingPageURL: Self.landingURL(technical.landingPageURL, token: token))
    }

    /// "Configure account" / "Manage account": each click mints a new token (spec-saas §3.1).
    public func newLandingToken(subscriptionId: String, buyerTenantId: String) async throws -> Purchase {
        guard let s = try await repository.subscription(id: subscriptionId), s.beneficiary.tenantId == buyerTenantId || s.purchaser.tenantId == buyerTenantId else {
            throw DomainError.notFound(kind: "subscription", id: subscriptionId)
        }
        guard let record = try await catalog.offer(publisherId: s.publisherId, offerId: s.offerId),
              let technical = (record.live ?? record.preview)?.technicalConfiguration else {
            throw DomainError.conflict(reason: "the offer of this subscription has no landing page")
        }
        let (token, stored) = newToken(subscription: s, now: clock.now())
        try await repository.addToken(stored)
        return Purchase(subscription: s, token: token, landingPageURL: Self.landingURL(technical.landingPageURL, token: token))
    }

    func newToken(subscription: Subscription, now: Date) -> (String, PurchaseToken) {
        let token = ids.urlSafeToken(byteCount: 64)
        return (token, PurchaseToken(hash: digest(Array(token.utf8)), subscriptionId: subscription.id, publisherId: subscription.publisherId,
                                     expiresAt: now.addingTimeInterval(tokenLifetime)))
    }

    static func landingURL(_ base: String, token: String) -> String {
        let encoded = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? token
        return base + (base.contains("?") ? "&" : "?") + "token=" + encoded
    }

    static func puid(_ objectId: String, _ digest: AuditChain.Digest) -> String {
        String(digest(Array("puid:\(objectId)".utf8)).prefix(16)).uppercased()
    }

    // MARK: Publisher: Fulfillment API v2

    /// §3.1 Resolve: the token → the subscription (any status). 400 for a missing/invalid/expired token; 403 if it
    /// belongs to another publisher's offer.
    public func resolve(token: String?, publisherId: String) async throws -> Subscription {
        guard let token, !token.isEmpty else {
            throw TransitionRefusal(400, "HeaderNotPresent", "Mandatory header missing", target: "x-ms-marketplace-token")
        }
        guard let stored = try await repository.token(hash: digest(Array(token.utf8))), stored.expiresAt > clock.now() else {
            throw TransitionRefusal(400, "InvalidValue", "The marketplace token is invalid or expired. Ask the customer to select Configure account again to get a new one.",
                                    target: "x-ms-marketplace-token")
        }
        guard stored.publisherId == publisherId else {
            throw TransitionRefusal(403, "Forbidden", "The marketplace token belongs to an offer of another publisher.")
        }
        return try await subscription(id: stored.subscriptionId, publisherId: publisherId)
    }

    /// §1.4: unknown → 404; another publisher's → 403.
    public func subscription(id: String, publisherId: String) async throws -> Subscription {
        guard let s = try await repository.subscription(id: id.lowercased()) else {
            throw TransitionRefusal(404, "EntityNotFound", "SaaS subscription with the specified \(id) cannot be found.", target: "subscriptionId")
        }
        guard s.publisherId == publisherId else {
            throw TransitionRefusal(403, "Forbidden", "The subscription belongs to an offer of another publisher.")
        }
        return s
    }

    public func list(publisherId: String, cursor: SubscriptionCursor?, pageSize: Int = 100) async throws -> ([Subscription], SubscriptionCursor?) {
        let page = try await repository.page(publisherId: publisherId, after: cursor, limit: pageSize + 1)
        let items = Array(page.prefix(pageSize))
        let next = page.count > pageSize ? items.last.map { SubscriptionCursor(created: $0.created, id: $0.id) } : nil
        return (items, next)
    }

    /// §3.2 Activate: PendingFulfillmentStart → Subscribed; term starts today; billing starts.
    public func activate(id: String, publisherId: String, planId: String?, quantity: Int?, context: AuditContext) async throws -> Subscription {
        let current = try await subscription(id: id, publisherId: publisherId)
        guard let planId, !planId.isEmpty else { throw TransitionRefusal(400, "BadRequest", "planId is required.", target: "planId") }
        let plans = try await planBook(current)
        let now = clock.now()
        let ids = self.ids, clock = self.clock
        return try await repository.mutate(subscriptionId: id.lowercased()) { agg in
            var s = agg.subscription
            guard planId == s.planId else {
                throw TransitionRefusal(400, "BadRequest", "planId '\(planId)' does not match the purchased plan '\(s.planId)'.", target: "planId")
            }
            if let quantity, quantity != s.quantity {
                throw TransitionRefusal(400, "BadRequest", "quantity \(quantity) does not match the purchased quantity \(s.quantity.map(String.init) ?? "(none)").", target: "quantity")
            }
            let wasPending = s.status == .pendingFulfillmentStart
            s.status = try SubscriptionStateMachine.apply(.activate, to: s.status)
            if wasPending {
                s.term = SubscriptionTerm.starting(at: now, unit: s.term.termUnit)
                s.activatedAt = now
                if s.isFreeTrial {
                    var calendar = Calendar(identifier: .gregorian)
                    calendar.timeZone = TimeZone(identifier: "UTC")!
                    s.trialEndsAt = calendar.date(byAdding: .month, value: 1, to: s.term.startDate!)
                }
                s.lastModified = now
                // Billing starts at activation (spec-saas §3.2); a free trial pays nothing until it converts.
                if !s.isFreeTrial, let p = plans[s.planId], let c = ChargeRules.recurring(s, plan: p, termStart: s.term.startDate!, at: now) {
                    agg.charges.append(c)
                    s.nextInstalmentAt = ChargeRules.nextInstalment(s, after: now)
                }
                agg.audit.append(context.entry(ids: ids, clock: clock, publisherId: s.publisherId, action: "subscription.activate",
                                               targetType: "subscription", targetId: s.id, after: "{\"status\":\"Subscribed\"}"))
            }
            agg.subscription = s
            return s
        }
    }

    /// §3.5: the plans of the offer the beneficiary may switch to, including the current one.
    public func availablePlans(id: String, publisherId: String, planId: String?) async throws -> (Subscription, [Plan], Offer) {
        let s = try await subscription(id: id, publisherId: publisherId)
        guard let record = try await catalog.offer(publisherId: s.publisherId, offerId: s.offerId), let offer = record.live ?? record.preview else {
            return (s, [], Offer(id: s.offerId, type: .saas, alias: "", setup: OfferSetup(listingOption: .transact)))
        }
        let plans = offer.plans.filter { plan in
            (plan.id == s.planId || (plan.isVisible(toTenant: s.beneficiary.tenantId) && plan.markets.contains(s.market)))
                && (planId == nil || plan.id == planId)
        }
        return (s, plans, offer)
    }

    public enum Change: Sendable, Equatable {
        case plan(String)
        case quantity(Int)
    }

    /// §3.6/§3.7 (publisher) and the customer's change in the marketplace (T3/T4): validates, then creates the
    /// operation. Only one unfinished operation at a time ([EMU]: "locked due to pending operations").
    public func requestChange(id: String, publisherId: String?, change: Change, source: SubscriptionOperation.Source,
                              context: AuditContext) async throws -> SubscriptionOperation {
        let current = try await repository.subscription(id: id.lowercased())
        guard let current else { throw TransitionRefusal(404, "EntityNotFound", "SaaS subscription \(id) cannot be found.", target: "subscriptionId") }
        if let publisherId, current.publisherId != publisherId { throw TransitionRefusal(403, "Forbidden", "The subscription belongs to an offer of another publisher.") }
        let (_, plans, _) = try await availablePlans(id: current.id, publisherId: current.publisherId, planId: nil)
        let now = clock.now()
        let ids = self.ids, clock = self.clock
        return try await repository.mutate(subscriptionId: current.id) { agg in
            let s = agg.subscription
            guard s.allowedCustomerOperations.contains("Update") else {
                throw TransitionRefusal(400, "BadRequest", "Update is not in allowedCustomerOperations for this SaaS subscription.", target: "allowedCustomerOperations")
            }
            let event: SubscriptionEvent = { if case .plan = change { .changePlan } else { .changeQuantity } }()
            _ = try SubscriptionStateMachine.apply(event, to: s.status)
            guard agg.pending.isEmpty else {
                throw TransitionRefusal(400, "BadRequest", "Patch cannot be completed because the subscription is locked due to pending operations.")
            }
            var planId = s.planId
            var quantity = s.quantity
            var endsTrial = false
            switch change {
            case let .plan(target):
                guard target != s.planId else {
                    throw TransitionRefusal(400, "BadRequest", "SaaS subscription \(s.name) is already subscribed to plan \(target). Changing plans only supported between two different plans.", target: "planId")
                }
                guard let plan = plans.first(where: { $0.id == target }), !plan.isStopSell else {
                    throw TransitionRefusal(400, "BadRequest", "Request Plan is NOT in Catalog.", target: "planId")
                }
                guard plan.term(s.term.termUnit) != nil else {
                    throw TransitionRefusal(400, "BadRequest", "Plan \(target) has no \(s.term.termUnit.rawValue) billing term.", target: "planId")
                }
                planId = target
                endsTrial = s.isFreeTrial && !plan.freeTrial
                // Seats carry over to a per-user plan within its limits; a flat-rate plan has none.
                quantity = plan.pricing.isPricePerSeat ? max(plan.pricing.effectiveMinUsers, min(s.quantity ?? 1, plan.pricing.maxUsers ?? Int.max)) : nil
            case let .quantity(n):
                guard let plan = plans.first(where: { $0.id == s.planId }) else {
                    throw TransitionRefusal(400, "BadRequest", "The current plan is no longer in the catalog.", target: "planId")
                }
                guard n != s.quantity else { throw TransitionRefusal(400, "BadRequest", "New quantity is the same as on the subscription.", target: "quantity") }
                quantity = try Self.checkQuantity(n, plan: plan, purchasing: false)
            }
            let op = SubscriptionOperation(
                id: ids.uuidString(), activityId: ids.uuidString(), subscriptionId: s.id, publisherId: s.publisherId, offerId: s.offerId,
                planId: planId, quantity: quantity, action: event == .changePlan ? .changePlan : .changeQuantity,
                status: .notStarted, source: source, timeStamp: now, created: now)
            var pendingOp = op
            pendingOp.endsFreeTrial = endsTrial ? true : nil
            agg.operations.append(pendingOp)
            agg.audit.append(context.entry(ids: ids, clock: clock, publisherId: s.publisherId, action: "subscription.\(op.action.rawValue)",
                                           targetType: "subscription", targetId: s.id,
                                           after: "{\"operationId\":\"\(op.id)\",\"planId\":\"\(planId)\",\"quantity\":\(quantity.map(String.init) ?? "null")}"))
            return op
        }
    }

    /// §3.8 (publisher DELETE) and the customer's cancel (T11/T13/T14/T15): the subscription is Unsubscribed at
    /// once; the Unsubscribe operation completes as Succeeded.
    public func cancel(id: String, publisherId: String?, source: SubscriptionOperation.Source, context: AuditContext) async throws -> SubscriptionOperation {
        guard let current = try await repository.subscription(id: id.lowercased()) else {
            throw TransitionRefusal(404, "EntityNotFound", "SaaS subscription \(id) cannot be found.", target: "subscriptionId")
        }
        if let publisherId, current.publisherId != publisherId { throw TransitionRefusal(403, "Forbidden", "The subscription belongs to an offer of another publisher.") }
        let now = clock.now()
        let ids = self.ids, clock = self.clock
        let target = try await webhookTarget(current)
        return try await repository.mutate(subscriptionId: current.id) { agg in
            var s = agg.subscription
            guard s.allowedCustomerOperations.contains("Delete") else {
                throw TransitionRefusal(400, "BadRequest", "Delete is not in allowedCustomerOperations list for this SaaS subscription.", target: "allowedCustomerOperations")
            }
            s.status = try SubscriptionStateMachine.apply(.unsubscribe, to: s.status)
            // Unfinished changes can no longer apply.
            for i in agg.operations.indices where !agg.operations[i].status.isFinal {
                agg.operations[i].status = .conflict
                agg.operations[i].errorMessage = "The subscription was canceled."
            }
            let op = SubscriptionOperation(
                id: ids.uuidString(), activityId: ids.uuidString(), subscriptionId: s.id, publisherId: s.publisherId, offerId: s.offerId,
                planId: s.planId, quantity: s.quantity, action: .unsubscribe, status: .succeeded, source: source, timeStamp: now, created: now)
            s.quantity = nil // [EMU]: after Unsubscribe the real API removes quantity
            s.canceledAt = now
            s.lastModified = now
            agg.subscription = s
            agg.operations.append(op)
            // T11/T13: the publisher hears Unsubscribe once the cancellation is done.
            if let d = try Self.delivery(op, snapshot: s, target: target, ids: ids, now: now) { agg.outbox.append(d) }
            agg.audit.append(context.entry(ids: ids, clock: clock, publisherId: s.publisherId, action: "subscription.Unsubscribe",
                                           targetType: "subscription", targetId: s.id, after: "{\"operationId\":\"\(op.id)\"}"))
            return op
        }
    }

    public func operation(subscriptionId: String, operationId: String, publisherId: String) async throws -> SubscriptionOperation {
        _ = try await subscription(id: subscriptionId, publisherId: publisherId)
        guard let op = try await repository.operation(id: operationId.lowercased()), op.subscriptionId == subscriptionId.lowercased() else {
            throw TransitionRefusal(404, "EntityNotFound", "Operation \(operationId) cannot be found.", target: "operationId")
        }
        return op
    }

    /// §4.1: operations still pending (NotStarted or InProgress).
    public func pendingOperations(subscriptionId: String, publisherId: String) async throws -> [SubscriptionOperation] {
        _ = try await subscription(id: subscriptionId, publisherId: publisherId)
        return try await repository.operations(subscriptionId: subscriptionId.lowercased()).filter { !$0.status.isFinal }
    }

    /// §4.3: the publisher's acknowledgement. Success applies the change; Failure keeps plan and seats.
    public func acknowledge(subscriptionId: String, operationId: String, publisherId: String, success: Bool, context: AuditContext) async throws {
        let op = try await operation(subscriptionId: subscriptionId, operationId: operationId, publisherId: publisherId)
        try await complete(op.id, subscriptionId: op.subscriptionId, event: success ? .acknowledgeSuccess : .acknowledgeFailure, context: context)
    }

    /// Moves an operation and applies its effect on success.
    public func complete(_ operationId: String, subscriptionId: String, event: OperationEvent, context: AuditContext) async throws {
        var book: [String: Plan] = [:]
        if let current = try await repository.subscription(id: subscriptionId) { book = try await planBook(current) }
        let plans = book
        let now = clock.now()
        let ids = self.ids, clock = self.clock
        try await repository.mutate(subscriptionId: subscriptionId) { agg in
            guard let i = agg.operations.firstIndex(where: { $0.id == operationId }) else {
                throw TransitionRefusal(409, "Conflict", "The operation is already completed.", target: "status")
            }
            var op = agg.operations[i]
            op.status = try OperationStateMachine.apply(event, to: op.status, action: op.action)
            op.timeStamp = now
            var s = agg.subscription
            let before = s
            if op.status == .succeeded {
                switch op.action {
                case .changePlan:
                    s.status = try SubscriptionStateMachine.apply(.changePlan, to: s.status)
                    s.planId = op.planId
                    s.quantity = op.quantity
                    if op.endsFreeTrial == true {
                        s.isFreeTrial = false
                        s.trialEndsAt = nil
                    }
                case .changeQuantity:
                    s.status = try SubscriptionStateMachine.apply(.changeQuantity, to: s.status)
                    s.quantity = op.quantity
                case .reinstate:
                    s.status = try SubscriptionStateMachine.apply(.reinstate, to: s.status)
                    s.suspendedAt = nil
                    // Suspended at renewal: the paid-for term starts at reinstatement.
                    if let end = s.term.endDate, end.addingTimeInterval(86_400) <= now {
                        s.term = SubscriptionTerm.starting(at: now, unit: s.term.termUnit)
                    }
                case .renew, .suspend, .unsubscribe:
                    break
                }
                let charges = Self.charges(for: op, before: before, after: s, plans: plans, at: now)
                if charges.contains(where: { $0.kind == .recurring }) { s.nextInstalmentAt = ChargeRules.nextInstalment(s, after: now) }
                agg.charges += charges
                s.lastModified = now
            } else if op.status == .failed {
                op.errorStatusCode = "Failure"
                op.errorMessage = "The publisher did not accept the \(op.action.rawValue)."
            }
            agg.operations[i] = op
            agg.subscription = s
            agg.audit.append(context.entry(ids: ids, clock: clock, publisherId: s.publisherId, action: "operation.\(event.rawValue)",
                                           targetType: "operation", targetId: op.id, after: "{\"status\":\"\(op.status.rawValue)\"}"))
        }
    }

    /// Starts operations that wait (NotStarted → InProgress, acknowledgement window opens) and auto-accepts those
    /// whose window has passed (spec-saas §5.5). Returns the operations that changed.
    @discardableResult
    public func advanceOperations() async throws -> [SubscriptionOperation] {
        let now = clock.now()
        var changed: [SubscriptionOperation] = []
        let window = acknowledgementWindow
        for op in try await repository.unfinishedOperations(limit: 500) {
            if op.status == .notStarted {
                var target: WebhookTarget?
                if let sub = try await repository.subscription(id: op.subscriptionId) { target = try await webhookTarget(sub) }
                let frozenTarget = target
                let ids = self.ids
                let started: SubscriptionOperation? = try await repository.mutate(subscriptionId: op.subscriptionId) { agg in
                    guard let i = agg.operations.firstIndex(where: { $0.id == op.id }), agg.operations[i].status == .notStarted else { return nil }
                    agg.operations[i].status = .inProgress
                    agg.operations[i].acknowledgeBy = now.addingTimeInterval(window)
                    // The webhook carries the target plan and seats (spec-saas §6.3: "the most up-to-date plan ID").
                    var snapshot = agg.subscription
                    snapshot.planId = agg.operations[i].planId
                    snapshot.quantity = agg.operations[i].quantity
                    if let d = try Self.delivery(agg.operations[i], snapshot: snapshot, target: frozenTarget, ids: ids, now: now) { agg.outbox.append(d) }
                    return agg.operations[i]
                }
                if let started { changed.append(started) }
            } else if let deadline = op.acknowledgeBy, deadline <= now {
                do {
                    try await complete(op.id, subscriptionId: op.subscriptionId, event: .autoAccept, context: .system)
                    if let done = try await repository.operation(id: op.id) { changed.append(done) }
                } catch let refusal as TransitionRefusal {
                    // The change no longer applies (e.g. the subscription was suspended meanwhile): it ends in Conflict.
                    try await repository.mutate(subscriptionId: op.subscriptionId) { agg in
                        if let i = agg.operations.firstIndex(where: { $0.id == op.id }) {
                            agg.operations[i].status = .conflict
                            agg.operations[i].errorMessage = refusal.message
                        }
                    }
                }
            }
        }
        return changed
    }

    // MARK: Rules

    /// The plans of the subscription's offer (live, else preview) by ID, priced for this customer: an accepted private
    /// offer's discount applies (spec-portal §5.2), so charges, store fee and payout follow the discounted price.
    func planBook(_ s: Subscription) async throws -> [String: Plan] {
        guard let record = try await catalog.offer(publisherId: s.publisherId, offerId: s.offerId), let offer = record.live ?? record.preview else { return [:] }
        let discounts = try await privateOffers?.privateOffers(customerTenantId: s.beneficiary.tenantId, publisherId: s.publisherId, offerId: s.offerId) ?? []
        let now = clock.now()
        return Dictionary(offer.plans.map { ($0.id, PrivateOfferPricing.discounted($0, offers: discounts, at: now)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Ledger charges of a completed operation: proration for plan and seat changes (spec-saas §10.3), the rest of
    /// the term when a plan change ends a free trial (§10.4), a new term's price when reinstatement restarts the term.
    static func charges(for op: SubscriptionOperation, before: Subscription, after: Subscription, plans: [String: Plan], at now: Date) -> [BillingCharge] {
        switch op.action {
        case .changePlan, .changeQuantity:
            guard let old = plans[before.planId], let new = plans[after.planId] else { return [] }
            if before.isFreeTrial {
                guard !after.isFreeTrial, let start = after.term.startDate, let end = after.term.endDate else { return [] }
                return ChargeRules.remainder(after, plan: new, termStart: start, termEnd: end.addingTimeInterval(86_400), at: now).map { [$0] } ?? []
            // (the remainder is the term's first payment: kind .recurring, so later instalments get scheduled)
            }
            return ChargeRules.proration(before, after, oldPlan: old, newPlan: new, operationId: op.id, at: now)
        case .reinstate:
            guard after.term.startDate != before.term.startDate, !after.isFreeTrial, let p = plans[after.planId], let start = after.term.startDate else { return [] }
            return ChargeRules.recurring(after, plan: p, termStart: start, at: now).map { [$0] } ?? []
        default:
            return []
        }
    }

    /// Seats: per-user plans need 1 ≥ min … ≤ max ([EMU]: ≥ 10,000,000 refused); flat-rate plans take none.
    static func checkQuantity(_ quantity: Int?, plan: Plan, purchasing: Bool) throws -> Int? {
        guard plan.pricing.isPricePerSeat else {
            if let quantity, !purchasing || quantity != 1 {
                throw TransitionRefusal(400, "BadRequest", "Plan \(plan.id) is not priced per seat; quantity \(quantity) can't be set.", target: "quantity")
            }
            return nil
        }
        let n = quantity ?? plan.pricing.effectiveMinUsers
        guard n > 0, n < 10_000_000 else { throw TransitionRefusal(400, "BadRequest", "Quantity \(n) is not valid.", target: "quantity") }
        guard n >= plan.pricing.effectiveMinUsers else {
            throw TransitionRefusal(400, "BadRequest", "Quantity \(n) is below the plan's minimum of \(plan.pricing.effectiveMinUsers) users.", target: "quantity")
        }
        if let max = plan.pricing.maxUsers, n > max {
            throw TransitionRefusal(400, "BadRequest", "Quantity \(n) is above the plan's maximum of \(max) users; change the plan first.", target: "quantity")
        }
        return n
    }
}
