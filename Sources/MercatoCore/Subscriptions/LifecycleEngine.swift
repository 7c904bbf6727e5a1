import Foundation

/// The subscription lifecycle on the marketplace clock (spec-saas §5.2, §5.5): renewals (T7), expiry without
/// auto-renew (T12), suspension when payment fails (T8), reinstatement (T9), cancellation after 30 days suspended
/// (T10), free-trial conversion (§10.4). Each fires once: the state change and its webhook are written together.
public enum LifecycleRules {
    public static let suspensionGrace: TimeInterval = 30 * 86_400

    /// When this subscription next needs the engine.
    public static func nextEvent(_ s: Subscription) -> Date? {
        switch s.status {
        case .subscribed:
            let renewal = s.term.endDate.map { $0.addingTimeInterval(86_400) }
            let trial = s.isFreeTrial ? s.trialEndsAt : nil
            return [renewal, trial, s.nextInstalmentAt].compactMap { $0 }.min()
        case .suspended:
            return s.suspendedAt.map { $0.addingTimeInterval(suspensionGrace) }
        default:
            return nil
        }
    }
}

extension SubscriptionService {
    /// The offer's connection webhook (from its live, else preview, slot).
    func webhookTarget(_ s: Subscription) async throws -> WebhookTarget? {
        guard let record = try await catalog.offer(publisherId: s.publisherId, offerId: s.offerId),
              let offer = record.live ?? record.preview, let t = offer.technicalConfiguration else { return nil }
        return WebhookTarget(url: t.connectionWebhookURL, audience: t.aadAppId, tenantId: t.aadTenantId, sandbox: offer.isSandbox)
    }

    /// Builds the outbox row for an operation.
    static func delivery(_ op: SubscriptionOperation, snapshot: Subscription, target: WebhookTarget?, ids: any IDGenerator, now: Date) throws -> WebhookDelivery? {
        guard let target else { return nil }
        return WebhookDelivery(id: ids.uuidString(), publisherId: op.publisherId, offerId: op.offerId, subscriptionId: op.subscriptionId,
                               operationId: op.id, action: op.action, payload: try WebhookPayload.json(operation: op, subscription: snapshot, at: now),
                               url: target.url, audience: target.audience, tenantId: target.tenantId, sandbox: target.sandbox,
                               nextAttemptAt: now, createdAt: now)
    }

    /// Fires every lifecycle event due at the clock's now. Returns the operations created.
    @discardableResult
    public func processDue() async throws -> [SubscriptionOperation] {
        let now = clock.now()
        var fired: [SubscriptionOperation] = []
        for s in try await repository.due(now: now, limit: 500) {
            let target = try await webhookTarget(s)
            let failing = try await repository.paymentFailing(customerTenantId: s.beneficiary.tenantId)
            let plans = try await planBook(s)
            let ids = self.ids, clock = self.clock
            let ops: [SubscriptionOperation] = try await repository.mutate(subscriptionId: s.id) { agg in
                var sub = agg.subscription
                var created: [SubscriptionOperation] = []
                func emit(_ action: OperationAction, _ status: OperationStatus) throws {
                    let op = SubscriptionOperation(id: ids.uuidString(), activityId: ids.uuidString(), subscriptionId: sub.id, publisherId: sub.publisherId,
                                                   offerId: sub.offerId, planId: sub.planId, quantity: sub.quantity, action: action, status: status,
                                                   source: .azure, timeStamp: now, created: now)
                    agg.operations.append(op)
                    if let d = try Self.delivery(op, snapshot: sub, target: target, ids: ids, now: now) { agg.outbox.append(d) }
                    agg.audit.append(AuditContext.system.entry(ids: ids, clock: clock, publisherId: sub.publisherId, action: "subscription.\(action.rawValue)",
                                                               targetType: "subscription", targetId: sub.id, after: "{\"operationId\":\"\(op.id)\",\"status\":\"\(sub.status.rawValue)\"}"))
                    created.append(op)
                }
                guard let due = LifecycleRules.nextEvent(sub), due <= now else { return [] }
                switch sub.status {
                case .subscribed:
                    // Monthly instalments of a longer term, at the plan and seats in effect when each falls due.
                    while let due = sub.nextInstalmentAt, due <= now {
                        if let p = plans[sub.planId], let start = sub.term.startDate, let k = ChargeRules.instalmentIndex(sub, at: due),
                           let c = ChargeRules.recurring(sub, plan: p, termStart: start, k: k, at: due) {
                            agg.charges.append(c)
                        }
                        sub.nextInstalmentAt = ChargeRules.nextInstalment(sub, after: due)
                    }
                    let renewalDue = sub.term.endDate.map { $0.addingTimeInterval(86_400) <= now } ?? false
                    if renewalDue {
                        if !sub.autoRenew {
                            // T12: end of term without auto-renew.
                            sub.status = try SubscriptionStateMachine.apply(.unsubscribe, to: sub.status)
                            sub.quantity = nil
                            sub.canceledAt = now
                            sub.lastModified = now
                            try emit(.unsubscribe, .succeeded)
                        } else if failing {
                            // T8: the renewal payment fails.
                            sub.status = try SubscriptionStateMachine.apply(.suspend, to: sub.status)
                            sub.suspendedAt = now
                            sub.lastModified = now
                            try emit(.suspend, .succeeded)
                        } else {
                            // T7: renew; a trial that ends with the term converts now.
                            _ = try SubscriptionStateMachine.apply(.renew, to: sub.status)
                            if let next = sub.term.next() { sub.term = next }
                            if sub.isFreeTrial, let end = sub.trialEndsAt, end <= now { sub.isFreeTrial = false; sub.trialEndsAt = nil }
                            sub.lastModified = now
                            sub.nextInstalmentAt = nil
                            if !sub.isFreeTrial, let p = plans[sub.planId], let start = sub.term.startDate,
                               let c = ChargeRules.recurring(sub, plan: p, termStart: start, at: now) {
                                agg.charges.append(c)
                                sub.nextInstalmentAt = ChargeRules.nextInstalment(sub, after: now)
                            }
                            try emit(.renew, .succeeded)
                        }
                    } else if sub.isFreeTrial, let end = sub.trialEndsAt, end <= now {
                        // §10.4: the trial converts to paid inside a longer term; notified as Renew (spec-saas §13.24).
                        sub.isFreeTrial = false
                        sub.trialEndsAt = nil
                        sub.lastModified = now
                        if let p = plans[sub.planId], let start = sub.term.startDate, let end = sub.term.endDate,
                           let c = ChargeRules.remainder(sub, plan: p, termStart: start, termEnd: end.addingTimeInterval(86_400), at: now) {
                            agg.charges.append(c)
                            sub.nextInstalmentAt = ChargeRules.nextInstalment(sub, after: now)
                        }
                        try emit(.renew, .succeeded)
                    }
                case .suspended:
                    // T10: 30 days suspended without payment.
                    sub.status = try SubscriptionStateMachine.apply(.unsubscribe, to: sub.status)
                    sub.quantity = nil
                    sub.canceledAt = now
                    sub.lastModified = now
                    try emit(.unsubscribe, .succeeded)
                default:
                    break
                }
                agg.subscription = sub
                return created
            }
            fired += ops
        }
        return fired
    }

    /// The customer's payment instrument fails or works again. Working again reinstates suspended subscriptions
    /// within the grace period (T9: a Reinstate operation awaiting acknowledgement).
    public func setPaymentFailing(customerTenantId: String, failing: Bool, context: AuditContext) async throws -> [SubscriptionOperation] {
        try await repository.setPaymentFailing(customerTenantId: customerTenantId, failing: failing, audit: context.entry(
            ids: ids, clock: clock, publisherId: nil, action: failing ? "customer.payment.failing" : "customer.payment.restored",
            targetType: "customer", targetId: customerTenantId))
        guard !failing else { return [] }
        var created: [SubscriptionOperation] = []
        let now = clock.now()
        for s in try await repository.subscriptions(customerTenantId: customerTenantId) where s.status == .suspended {
            let ids = self.ids
            let op: SubscriptionOperation? = try await repository.mutate(subscriptionId: s.id) { agg in
                guard agg.subscription.status == .suspended, agg.pending.isEmpty else { return nil }
                let sub = agg.subscription
                let op = SubscriptionOperation(id: ids.uuidString(), activityId: ids.uuidString(), subscriptionId: sub.id, publisherId: sub.publisherId,
                                               offerId: sub.offerId, planId: sub.planId, quantity: sub.quantity, action: .reinstate, status: .notStarted,
                                               source: .azure, timeStamp: now, created: now)
                agg.operations.append(op)
                return op
            }
            if let op { created.append(op) }
        }
        return created
    }

    /// Moves the marketplace clock to `target`, firing everything due on the way in time order, each once.
    public func travel(to target: Date, clock traveling: any TravelingClock, also scheduled: (any ScheduledWork)? = nil) async throws -> [SubscriptionOperation] {
        var fired: [SubscriptionOperation] = []
        var guardCount = 0
        while guardCount < 100_000 {
            guardCount += 1
            fired += try await advanceOperations()
            fired += try await processDue()
            try await scheduled?.runDue()
            let now = clock.now()
            let candidates = [try await repository.nextDueTime(after: now), try await scheduled?.nextDue(after: now)].compactMap { $0 }
            guard let next = candidates.min(), next <= target else { break }
            try traveling.set(next)
        }
        if clock.now() < target { try traveling.set(target) }
        fired += try await advanceOperations()
        fired += try await processDue()
        try await scheduled?.runDue()
        return fired
    }
}

/// A clock the marketplace can move forward (time travel); never backward.
public protocol TravelingClock: MarketplaceClock {
    func set(_ date: Date) throws
}

extension ManualClock: TravelingClock {}

extension AdjustableClock: TravelingClock {
    public func set(_ date: Date) throws {
        try advance(by: date.timeIntervalSince(now()))
    }
}
