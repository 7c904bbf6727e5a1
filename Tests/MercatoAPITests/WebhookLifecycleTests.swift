import Foundation
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

/// Webhooks and the lifecycle engine end to end (issue 6): a real receiver on loopback validates every JWT against
/// Mercato's JWKS over HTTP, as publisher code does.
@Suite("Webhooks and lifecycle", .serialized)
struct WebhookLifecycleTests {
    struct World {
        var env: MercatoEnvironment
        var demo: DemoSeeder.Result
        var receiver: WebhookReceiver
        var offerId: String
    }

    /// Mercato and a receiver, both listening on loopback; an offer whose connection webhook is the receiver.
    func withWorld(clock: ManualClock, _ body: @escaping @Sendable (World) async throws -> Void) async throws {
        try await withTestEnvironment(clock: clock) { env in
            let demo = try await DemoSeeder(environment: env).run()
            let receiver = WebhookReceiver(audience: demo.clientId, tenantId: demo.tenantId)
            let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await buildApplication(environment: env).test(.live) { mercato in
                receiver.setMercato(baseURL: "http://localhost:\(mercato.port!)")
                try await receiverApp.test(.live) { r in
                    var offer = CatalogFixtures.saas(id: "hooked", tenantId: demo.tenantId, appId: demo.clientId)
                    offer.technicalConfiguration?.connectionWebhookURL = "http://127.0.0.1:\(r.port!)/webhook"
                    let owner = Principal(kind: .user, id: "owner", publisherId: demo.publisherId, roles: [.owner])
                    try await CatalogFixtures.makeLive(env, owner: owner, offer: offer)
                    try await body(World(env: env, demo: demo, receiver: receiver, offerId: offer.id))
                }
            }
        }
    }

    func buy(_ w: World, _ plan: String, quantity: Int? = nil, term: TermUnit? = nil, autoRenew: Bool = true) async throws -> Subscription {
        let p = try await w.env.subscriptions.purchase(.init(buyerEmail: w.demo.customerEmail, offerId: w.offerId, planId: plan, quantity: quantity,
                                                             termUnit: term, autoRenew: autoRenew), context: .system)
        return try await w.env.subscriptions.activate(id: p.subscription.id, publisherId: w.demo.publisherId, planId: plan, quantity: quantity, context: .system)
    }

    /// One lifecycle tick plus webhook delivery.
    func tick(_ w: World) async throws {
        try await w.env.lifecycleWorker.runOnce()
        try await w.env.webhookDispatcher.runOnce()
    }

    func actions(_ w: World, _ sid: String) -> [String] {
        w.receiver.calls.filter { ($0.body["subscriptionId"] as? String) == sid }.compactMap { $0.body["action"] as? String }
    }

    @Test("ChangeQuantity, ChangePlan, Renew, Suspend, Reinstate, Unsubscribe: exact payloads with valid JWTs")
    func allActions() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-03-10T09:00:00Z")!)
        try await withWorld(clock: clock) { w in
            let s = try await buy(w, "team-pro", quantity: 5)
            let pub = w.demo.publisherId
            // ChangeQuantity (publisher-initiated), acknowledged by PATCH Success.
            let q = try await w.env.subscriptions.requestChange(id: s.id, publisherId: pub, change: .quantity(8), source: .partner, context: .system)
            try await tick(w)
            try await w.env.subscriptions.acknowledge(subscriptionId: s.id, operationId: q.id, publisherId: pub, success: true, context: .system)
            // ChangePlan (customer-initiated in the marketplace), auto-accepted after 10 s.
            let p = try await w.env.subscriptions.requestChange(id: s.id, publisherId: nil, change: .plan("silver"), source: .azure, context: .system)
            try await tick(w)
            clock.advance(by: 10)
            try await tick(w)
            // Renew at the end of the term.
            _ = try await w.env.clockService!.advance(by: 31 * 86_400, context: .system)
            try await tick(w)
            // Payment fails; the next renewal suspends.
            _ = try await w.env.subscriptions.setPaymentFailing(customerTenantId: w.demo.customerTenantId, failing: true, context: .system)
            _ = try await w.env.clockService!.advance(by: 31 * 86_400, context: .system)
            try await tick(w)
            #expect(try await w.env.subscriptions.subscription(id: s.id, publisherId: pub).status == .suspended)
            // Payment works again: Reinstate (InProgress), acknowledged.
            let reinstate = try #require(try await w.env.subscriptions.setPaymentFailing(customerTenantId: w.demo.customerTenantId, failing: false, context: .system).first)
            try await tick(w)
            try await w.env.subscriptions.acknowledge(subscriptionId: s.id, operationId: reinstate.id, publisherId: pub, success: true, context: .system)
            #expect(try await w.env.subscriptions.subscription(id: s.id, publisherId: pub).status == .subscribed)
            // The publisher cancels: Unsubscribe.
            let u = try await w.env.subscriptions.cancel(id: s.id, publisherId: pub, source: .partner, context: .system)
            try await tick(w)

            #expect(actions(w, s.id) == ["ChangeQuantity", "ChangePlan", "Renew", "Suspend", "Reinstate", "Unsubscribe"])
            let calls = w.receiver.calls.filter { ($0.body["subscriptionId"] as? String) == s.id }
            for call in calls {
                #expect(call.tokenError == nil, "\(call.tokenError ?? "")")
                #expect(call.claims?.aud == w.demo.clientId && call.claims?.tid == w.demo.tenantId)
                #expect(call.claims?.azp == "20e940b3-4c77-4b0b-9a53-9e16a1b010a7" && call.claims?.appid == "20e940b3-4c77-4b0b-9a53-9e16a1b010a7")
                let keys = Set(call.body.keys)
                #expect(keys == ["id", "activityId", "publisherId", "offerId", "planId", "quantity", "subscriptionId", "timeStamp", "action", "status",
                                 "operationRequestSource", "subscription", "purchaseToken"])
                #expect(call.raw.contains("\"purchaseToken\":null"))
                #expect(call.body["publisherId"] as? String == pub && call.body["offerId"] as? String == w.offerId)
            }
            func call(_ action: String) -> [String: any Sendable] { calls.first { $0.body["action"] as? String == action }?.body ?? [:] }
            func sub(_ action: String) -> [String: Any] { call(action)["subscription"] as? [String: Any] ?? [:] }
            #expect(call("ChangeQuantity")["id"] as? String == q.id)
            #expect(call("ChangeQuantity")["status"] as? String == "InProgress" && call("ChangeQuantity")["quantity"] as? Int == 8)
            #expect(call("ChangeQuantity")["operationRequestSource"] as? String == "Partner")
            #expect(call("ChangePlan")["id"] as? String == p.id && call("ChangePlan")["planId"] as? String == "silver")
            #expect(call("ChangePlan")["status"] as? String == "InProgress" && call("ChangePlan")["operationRequestSource"] as? String == "Azure")
            #expect(sub("ChangePlan")["planId"] as? String == "silver") // the target plan (spec-saas §6.3)
            #expect(call("Renew")["status"] as? String == "Succeeded" && sub("Renew")["saasSubscriptionStatus"] as? String == "Subscribed")
            #expect((sub("Renew")["term"] as? [String: Any])?["startDate"] as? String == "2026-04-10T00:00:00Z")
            #expect(call("Suspend")["status"] as? String == "Succeeded" && sub("Suspend")["saasSubscriptionStatus"] as? String == "Suspended")
            #expect(call("Reinstate")["status"] as? String == "InProgress" && call("Reinstate")["id"] as? String == reinstate.id)
            #expect(call("Unsubscribe")["id"] as? String == u.id && call("Unsubscribe")["status"] as? String == "Succeeded")
            #expect(sub("Unsubscribe")["saasSubscriptionStatus"] as? String == "Unsubscribed")
            // Every delivery shows in the log with its attempt.
            let log = try await w.env.webhooks.deliveries(publisherId: pub, subscriptionId: s.id, limit: 100)
            #expect(log.count == 6 && log.allSatisfy { $0.status == .delivered && $0.attempts == 1 })
            for d in log { #expect(try await w.env.webhooks.attempts(deliveryId: d.id).first?.statusCode == 200) }
        }
    }

    @Test("a 4xx answer to ChangePlan within the window rejects the change")
    func rejection() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-03-10T09:00:00Z")!)
        try await withWorld(clock: clock) { w in
            let s = try await buy(w, "silver")
            w.receiver.set(.reject)
            let op = try await w.env.subscriptions.requestChange(id: s.id, publisherId: nil, change: .plan("gold"), source: .azure, context: .system)
            try await tick(w)
            #expect(try await w.env.subscriptions.repository.operation(id: op.id)?.status == .failed)
            #expect(try await w.env.subscriptions.subscription(id: s.id, publisherId: w.demo.publisherId).planId == "silver")
        }
    }

    @Test("receiver down for 2 hours of marketplace time: every event arrives once it is back, once each, in order")
    func downtime() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-03-10T09:00:00Z")!)
        try await withWorld(clock: clock) { w in
            let a = try await buy(w, "team-pro", quantity: 5)
            w.receiver.set(.down)
            var expected: [String] = []
            for n in [6, 7, 9] {
                let op = try await w.env.subscriptions.requestChange(id: a.id, publisherId: nil, change: .quantity(n), source: .azure, context: .system)
                expected.append(op.id)
                try await tick(w)
                clock.advance(by: 11) // auto-accept, so the next change may start
                try await tick(w)
            }
            let u = try await w.env.subscriptions.cancel(id: a.id, publisherId: nil, source: .azure, context: .system)
            expected.append(u.id)
            // Two hours of marketplace time with the dispatcher running every 5 minutes.
            for _ in 0..<24 {
                clock.advance(by: 300)
                try await w.env.webhookDispatcher.runOnce()
            }
            #expect(w.receiver.calls.isEmpty)
            w.receiver.set(.up)
            clock.advance(by: 60)
            try await w.env.webhookDispatcher.runOnce()
            let received = w.receiver.calls.compactMap { $0.body["id"] as? String }
            #expect(received == expected)
            let log = try await w.env.webhooks.deliveries(publisherId: w.demo.publisherId, subscriptionId: a.id, limit: 100)
            #expect(log.allSatisfy { $0.status == .delivered })
            let first = try await w.env.webhooks.attempts(deliveryId: log[0].id)
            #expect(first.count > 10 && first.dropLast().allSatisfy { $0.statusCode == 503 } && first.last?.statusCode == 200)
            // Attempts of later deliveries only started once the earlier ones were through (per-subscription order).
            let second = try await w.env.webhooks.attempts(deliveryId: log[1].id)
            #expect(second.count == 1)
        }
    }

    @Test("dead-letter after 8 hours; manual replay delivers it")
    func deadLetterAndReplay() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-03-10T09:00:00Z")!)
        try await withWorld(clock: clock) { w in
            let s = try await buy(w, "silver")
            w.receiver.set(.down)
            _ = try await w.env.subscriptions.cancel(id: s.id, publisherId: nil, source: .azure, context: .system)
            for _ in 0..<(9 * 12) {
                clock.advance(by: 300)
                try await w.env.webhookDispatcher.runOnce()
            }
            let d = try #require(try await w.env.webhooks.deliveries(publisherId: w.demo.publisherId, subscriptionId: s.id, limit: 10).first)
            #expect(d.status == .deadLettered)
            w.receiver.set(.up)
            _ = try await w.env.webhooks.replay(id: d.id, now: clock.now(), audit: AuditContext.system.entry(
                ids: w.env.ids, clock: clock, publisherId: nil, action: "webhook.replay", targetType: "webhookDelivery", targetId: d.id))
            try await w.env.webhookDispatcher.runOnce()
            #expect(try await w.env.webhooks.delivery(id: d.id)?.status == .delivered)
            #expect(w.receiver.calls.count == 1)
        }
    }

    @Test("clock: a yearly subscription renews; a monthly one is suspended and auto-canceled; trials convert")
    func clockScenarios() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-01-15T12:00:00Z")!)
        try await withWorld(clock: clock) { w in
            let pub = w.demo.publisherId
            let yearly = try await buy(w, "silver", term: .P1Y)
            let monthly = try await buy(w, "gold")
            // The trial: a P1Y per-seat plan bought by a tenant that never paid.
            let (_, fresh) = try await w.env.accounts.registerCustomer(tenantId: nil, name: "Fresh", userEmail: "fresh@fresh.example", userName: "F", context: .system)
            let trialPurchase = try await w.env.subscriptions.purchase(.init(buyerEmail: fresh.email, offerId: w.offerId, planId: "per-seat", quantity: 3, termUnit: .P1Y), context: .system)
            let trial = try await w.env.subscriptions.activate(id: trialPurchase.subscription.id, publisherId: pub, planId: "per-seat", quantity: 3, context: .system)
            #expect(trial.isFreeTrial)

            // Monthly: payment fails, so the first renewal suspends; 30 days later it is canceled.
            _ = try await w.env.subscriptions.setPaymentFailing(customerTenantId: w.demo.customerTenantId, failing: true, context: .system)
            let fired = try await w.env.clockService!.advance(by: 32 * 86_400, context: .system).fired
            try await tick(w)
            #expect(fired.map(\.action).sorted { $0.rawValue < $1.rawValue } == [.renew, .suspend]) // trial conversion + monthly suspension
            #expect(try await w.env.subscriptions.subscription(id: monthly.id, publisherId: pub).status == .suspended)
            let converted = try await w.env.subscriptions.subscription(id: trial.id, publisherId: pub)
            #expect(!converted.isFreeTrial && converted.term.startDate == trial.term.startDate) // converted inside the same yearly term
            _ = try await w.env.clockService!.advance(by: 30 * 86_400, context: .system)
            try await tick(w)
            #expect(try await w.env.subscriptions.subscription(id: monthly.id, publisherId: pub).status == .unsubscribed)
            #expect(actions(w, monthly.id) == ["Suspend", "Unsubscribe"])
            #expect(actions(w, trial.id) == ["Renew"])

            // Yearly: through its renewal date (2027-01-15); its payment works again by then.
            _ = try await w.env.subscriptions.setPaymentFailing(customerTenantId: w.demo.customerTenantId, failing: false, context: .system)
            let result = try await w.env.clockService!.advance(by: 310 * 86_400, context: .system) // to 2027-01-21
            try await tick(w)
            let renewed = try await w.env.subscriptions.subscription(id: yearly.id, publisherId: pub)
            #expect(renewed.status == .subscribed)
            #expect(renewed.term.startDate == ISO8601DateFormatter().date(from: "2027-01-15T00:00:00Z"))
            #expect(actions(w, yearly.id) == ["Renew"])
            #expect(result.fired.filter { $0.subscriptionId == yearly.id }.count == 1)
            // Exactly once: moving on a day fires nothing more for it.
            let again = try await w.env.clockService!.advance(by: 86_400, context: .system)
            #expect(!again.fired.contains { $0.subscriptionId == yearly.id })
        }
    }

    @Test("auto-renew off: the subscription ends with its term")
    func expiry() async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-01-15T12:00:00Z")!)
        try await withWorld(clock: clock) { w in
            let s = try await buy(w, "silver", autoRenew: false)
            _ = try await w.env.clockService!.advance(by: 40 * 86_400, context: .system)
            try await tick(w)
            #expect(try await w.env.subscriptions.subscription(id: s.id, publisherId: w.demo.publisherId).status == .unsubscribed)
            #expect(actions(w, s.id) == ["Unsubscribe"])
        }
    }
}
