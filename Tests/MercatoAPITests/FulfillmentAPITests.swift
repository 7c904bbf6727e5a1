import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

/// SaaS Fulfillment API v2 behaviour: documented refusals with their status codes, ownership, operations.
@Suite("Fulfillment API v2")
struct FulfillmentAPITests {
    struct World {
        var demo: DemoSeeder.Result
        var token: String
        var auth: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
    }

    func world(_ env: MercatoEnvironment) async throws -> World {
        let demo = try await DemoSeeder(environment: env).run()
        return World(demo: demo, token: try await AppFixture.token(env, tenantId: demo.tenantId, clientId: demo.clientId, secret: demo.clientSecret))
    }

    func buy(_ env: MercatoEnvironment, _ w: World, plan: String, quantity: Int? = nil) async throws -> Purchase {
        try await env.subscriptions.purchase(.init(buyerEmail: w.demo.customerEmail, offerId: w.demo.offerId, planId: plan, quantity: quantity), context: .system)
    }

    func error(_ r: TestResponse) -> APIErrorBody? { try? JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: r.body)) }
    func object(_ r: TestResponse) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:] }
    static let v = "api-version=2018-08-31"

    @Test("api-version: missing and unsupported → 400 with the PascalCase envelope")
    func apiVersion() async throws {
        try await withTestEnvironment { env in
            let w = try await world(env)
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/saas/subscriptions", method: .get, headers: w.auth) { r in
                    #expect(r.status == .badRequest)
                    #expect(String(buffer: r.body) == #"{"Error":{"Code":"ApiVersionUnspecified","Message":"An API version is required, but was not specified."}}"#)
                    #expect(r.headers[.msRequestId] != nil)
                }
                try await client.execute(uri: "/api/saas/subscriptions?api-version=2022-01-01", method: .get, headers: w.auth) { r in
                    #expect(r.status == .badRequest)
                    #expect((object(r)["Error"] as? [String: Any])?["Code"] as? String == "UnsupportedApiVersion")
                }
            }
        }
    }

    @Test("activate: plan mismatch 400; success 200 with term; again 200; unknown 404; another publisher's 403", arguments: TestBackend.available)
    func activate(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let w = try await world(env)
            let p = try await buy(env, w, plan: "per-seat", quantity: 3)
            let other = try await AccountFixture.make(env, publisherId: "rival")
            let rivalToken = try await AppFixture.make(env, account: other).token(env)
            let sid = p.subscription.id
            try await buildApplication(environment: env).test(.router) { client in
                let uri = "/api/saas/subscriptions/\(sid)/activate?\(Self.v)"
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"planId":"gold"}"#)) { r in
                    #expect(r.status == .badRequest)
                    #expect(error(r)?.target == "planId")
                }
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"quantity":"3"}"#)) { r in
                    #expect(r.status == .badRequest)
                }
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"planId":"per-seat","quantity":"7"}"#)) { r in
                    #expect(r.status == .badRequest)
                    #expect(error(r)?.target == "quantity")
                }
                try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(rivalToken)"],
                                         body: ByteBuffer(string: #"{"planId":"per-seat"}"#)) { r in
                    #expect(r.status == .forbidden)
                }
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"planId":"per-seat","quantity":"3"}"#)) { r in
                    #expect(r.status == .ok)
                    #expect(r.body.readableBytes == 0)
                }
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"planId":"per-seat","quantity":3}"#)) { r in
                    #expect(r.status == .ok) // idempotent re-activation (spec-saas §13.7)
                }
                try await client.execute(uri: "/api/saas/subscriptions/\(sid)?\(Self.v)", method: .get, headers: w.auth) { r in
                    let s = object(r)
                    #expect(s["saasSubscriptionStatus"] as? String == "Subscribed")
                    let term = s["term"] as? [String: Any]
                    #expect(term?["startDate"] as? String == "2026-11-18T00:00:00Z") // ManualClock 1_795_000_000 = 2026-11-18
                    #expect(term?["endDate"] as? String == "2026-12-17T00:00:00Z")
                    #expect(s["isFreeTrial"] as? Bool == true && s["quantity"] as? Int == 3)
                }
                try await client.execute(uri: "/api/saas/subscriptions/\(sid)?\(Self.v)", method: .get, headers: [.authorization: "Bearer \(rivalToken)"]) { r in
                    #expect(r.status == .forbidden)
                }
                try await client.execute(uri: "/api/saas/subscriptions/\(UUID().uuidString.lowercased())/activate?\(Self.v)", method: .post, headers: w.auth,
                                         body: ByteBuffer(string: #"{"planId":"silver"}"#)) { r in
                    #expect(r.status == .notFound)
                    #expect(error(r)?.code == "EntityNotFound")
                }
                // The rival's list is empty: one publisher never sees another's subscriptions.
                try await client.execute(uri: "/api/saas/subscriptions?\(Self.v)", method: .get, headers: [.authorization: "Bearer \(rivalToken)"]) { r in
                    #expect((object(r)["subscriptions"] as? [Any])?.isEmpty == true)
                }
            }
        }
    }

    @Test("resolve: missing 400, unknown 400, expired 400, another publisher's 403; tokens are stored hashed")
    func resolve() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withTestEnvironment(clock: clock) { env in
            let w = try await world(env)
            let p = try await buy(env, w, plan: "silver")
            let rival = try await AppFixture.make(env, account: try await AccountFixture.make(env, publisherId: "rival")).token(env)
            let rows = try await env.db.sql.raw("SELECT token_hash FROM purchase_tokens").all()
            #expect(try rows.allSatisfy { try $0.decode(column: "token_hash", as: String.self) != p.token })
            try await buildApplication(environment: env).test(.router) { client in
                let uri = "/api/saas/subscriptions/resolve?\(Self.v)"
                func resolve(_ token: String?, _ bearer: String) async throws -> (HTTPResponse.Status, APIErrorBody?) {
                    var h: HTTPFields = [.authorization: "Bearer \(bearer)"]
                    if let token { h[HTTPField.Name("x-ms-marketplace-token")!] = token }
                    return try await client.execute(uri: uri, method: .post, headers: h) { ($0.status, error($0)) }
                }
                #expect(try await resolve(nil, w.token).1?.code == "HeaderNotPresent")
                #expect(try await resolve("nope", w.token).1?.code == "InvalidValue")
                #expect(try await resolve(p.token, rival).0 == .forbidden)
                // URL-encoded tokens (a client that forgot to decode) still resolve.
                #expect(try await resolve(p.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, w.token).0 == .ok)
                clock.advance(by: 24 * 3600 + 1)
                #expect(try await resolve(p.token, w.token).0 == .badRequest)
                // A new token from "Configure account" works.
                let fresh = try await env.subscriptions.newLandingToken(subscriptionId: p.subscription.id, buyerTenantId: w.demo.customerTenantId)
                #expect(try await resolve(fresh.token, w.token).0 == .ok)
            }
        }
    }

    @Test("PATCH refusals: both fields, neither, same plan, unknown plan, seats out of range, not Subscribed, locked", arguments: TestBackend.available)
    func patchRefusals(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let w = try await world(env)
            let p = try await buy(env, w, plan: "team-pro", quantity: 5)
            let sid = p.subscription.id
            try await buildApplication(environment: env).test(.router) { client in
                let uri = "/api/saas/subscriptions/\(sid)?\(Self.v)"
                func patch(_ body: String) async throws -> (HTTPResponse.Status, APIErrorBody?) {
                    try await client.execute(uri: uri, method: .patch, headers: w.auth, body: ByteBuffer(string: body)) { ($0.status, error($0)) }
                }
                #expect(try await patch(#"{"planId":"silver"}"#).0 == .badRequest) // not yet Subscribed
                _ = try await env.subscriptions.activate(id: sid, publisherId: w.demo.publisherId, planId: "team-pro", quantity: 5, context: .system)
                #expect(try await patch(#"{"planId":"silver","quantity":2}"#).1?.message == "Cannot patch more than one field in the same request.")
                #expect(try await patch("{}").0 == .badRequest)
                #expect(try await patch(#"{"planId":"team-pro"}"#).1?.message.contains("already subscribed to plan team-pro") == true)
                #expect(try await patch(#"{"planId":"platinum"}"#).1?.message == "Request Plan is NOT in Catalog.")
                #expect(try await patch(#"{"quantity":4}"#).1?.message.contains("minimum of 5") == true)
                #expect(try await patch(#"{"quantity":1001}"#).1?.message.contains("maximum of 1000") == true)
                #expect(try await patch(#"{"quantity":5}"#).1?.message == "New quantity is the same as on the subscription.")
                #expect(try await patch(#"{"quantity":"ten"}"#).0 == .badRequest)
                #expect(try await patch(#"{"quantity":6}"#).0 == .accepted)
                #expect(try await patch(#"{"quantity":7}"#).1?.message.contains("locked due to pending operations") == true)
                try await client.execute(uri: "/api/saas/subscriptions/\(sid)/operations?\(Self.v)", method: .get, headers: w.auth) { r in
                    let ops = object(r)["operations"] as? [[String: Any]]
                    #expect(ops?.count == 1 && ops?.first?["action"] as? String == "ChangeQuantity" && ops?.first?["quantity"] as? Int == 6)
                }
            }
        }
    }

    @Test("operations: Failure keeps the plan, a completed operation answers 409, unknown operation 404")
    func operations() async throws {
        try await withTestEnvironment { env in
            let w = try await world(env)
            let p = try await buy(env, w, plan: "silver")
            let sid = p.subscription.id
            _ = try await env.subscriptions.activate(id: sid, publisherId: w.demo.publisherId, planId: "silver", quantity: nil, context: .system)
            try await buildApplication(environment: env).test(.router) { client in
                let opId = try await client.execute(uri: "/api/saas/subscriptions/\(sid)?\(Self.v)", method: .patch, headers: w.auth,
                                                    body: ByteBuffer(string: #"{"planId":"gold"}"#)) { try #require($0.headers[HTTPField.Name("Operation-Id")!]) }
                let opURI = "/api/saas/subscriptions/\(sid)/operations/\(opId)?\(Self.v)"
                try await client.execute(uri: opURI, method: .patch, headers: w.auth, body: ByteBuffer(string: #"{"status":"Maybe"}"#)) { #expect($0.status == .badRequest) }
                try await client.execute(uri: opURI, method: .patch, headers: w.auth, body: ByteBuffer(string: #"{"status":"Failure"}"#)) { #expect($0.status == .ok) }
                try await client.execute(uri: opURI, method: .get, headers: w.auth) { r in
                    #expect(object(r)["status"] as? String == "Failed")
                }
                try await client.execute(uri: opURI, method: .patch, headers: w.auth, body: ByteBuffer(string: #"{"status":"Success"}"#)) { r in
                    #expect(r.status == .conflict)
                }
                #expect(try await env.subscriptions.subscription(id: sid, publisherId: w.demo.publisherId).planId == "silver")
                try await client.execute(uri: "/api/saas/subscriptions/\(sid)/operations/\(UUID().uuidString)?\(Self.v)", method: .get, headers: w.auth) { r in
                    #expect(r.status == .notFound)
                }
                // DELETE: 202, Unsubscribed at once; the Unsubscribe operation is inform-only.
                let del = try await client.execute(uri: "/api/saas/subscriptions/\(sid)?\(Self.v)", method: .delete, headers: w.auth) { r in
                    #expect(r.status == .accepted)
                    return try #require(r.headers[HTTPField.Name("Operation-Id")!])
                }
                try await client.execute(uri: "/api/saas/subscriptions/\(sid)/operations/\(del)?\(Self.v)", method: .patch, headers: w.auth,
                                         body: ByteBuffer(string: #"{"status":"Success"}"#)) { #expect($0.status == .conflict) }
                try await client.execute(uri: "/api/saas/subscriptions/\(sid)/activate?\(Self.v)", method: .post, headers: w.auth,
                                         body: ByteBuffer(string: #"{"planId":"silver"}"#)) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/api/saas/subscriptions/\(sid)?\(Self.v)", method: .delete, headers: w.auth) { #expect($0.status == .badRequest) }
            }
        }
    }

    @Test("no acknowledgement within 10 s: the change is auto-accepted on the marketplace clock")
    func autoAccept() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withTestEnvironment(clock: clock) { env in
            let w = try await world(env)
            let p = try await buy(env, w, plan: "silver")
            let sid = p.subscription.id
            _ = try await env.subscriptions.activate(id: sid, publisherId: w.demo.publisherId, planId: "silver", quantity: nil, context: .system)
            // The customer changes the plan in the marketplace (source Azure).
            let op = try await env.subscriptions.requestChange(id: sid, publisherId: nil, change: .plan("gold"), source: .azure, context: .system)
            #expect(try await env.lifecycleWorker.runOnce().map(\.status) == [.inProgress])
            clock.advance(by: 9)
            #expect(try await env.lifecycleWorker.runOnce().isEmpty)
            #expect(try await env.subscriptions.subscription(id: sid, publisherId: w.demo.publisherId).planId == "silver")
            clock.advance(by: 1)
            #expect(try await env.lifecycleWorker.runOnce().map(\.status) == [.succeeded])
            let done = try #require(try await env.subscriptions.repository.operation(id: op.id))
            #expect(done.status == .succeeded && done.source == .azure)
            #expect(try await env.subscriptions.subscription(id: sid, publisherId: w.demo.publisherId).planId == "gold")
        }
    }

    @Test("free trial once per offer and tenant; a trial plan switch to a paid-only plan ends the trial")
    func freeTrial() async throws {
        try await withTestEnvironment { env in
            let w = try await world(env)
            let trial = try await buy(env, w, plan: "per-seat", quantity: 2)
            #expect(trial.subscription.isFreeTrial)
            let paid = try await buy(env, w, plan: "silver")
            _ = try await env.subscriptions.activate(id: paid.subscription.id, publisherId: w.demo.publisherId, planId: "silver", quantity: nil, context: .system)
            let again = try await buy(env, w, plan: "per-seat", quantity: 2)
            #expect(!again.subscription.isFreeTrial) // "After a customer starts paying for a plan, they can't get a free trial on the same offer again."
        }
    }

    @Test("purchase refusals: unknown plan, private plan for another tenant, seats on a flat plan, wrong market")
    func purchaseRefusals() async throws {
        try await withTestEnvironment { env in
            let w = try await world(env)
            let (_, stranger) = try await env.accounts.registerCustomer(tenantId: nil, name: "Stranger", userEmail: "x@stranger.example", userName: "X", context: .system)
            await #expect(throws: DomainError.self) { _ = try await buy(env, w, plan: "platinum") }
            await #expect(throws: DomainError.self) {
                _ = try await env.subscriptions.purchase(.init(buyerEmail: stranger.email, offerId: w.demo.offerId, planId: "northwind-private"), context: .system)
            }
            await #expect(throws: TransitionRefusal.self) { _ = try await buy(env, w, plan: "silver", quantity: 5) }
            await #expect(throws: TransitionRefusal.self) { _ = try await buy(env, w, plan: "team-pro", quantity: 2) }
            await #expect(throws: DomainError.self) {
                _ = try await env.subscriptions.purchase(.init(buyerEmail: w.demo.customerEmail, offerId: w.demo.offerId, planId: "silver", market: "BR"), context: .system)
            }
            let ok = try await env.subscriptions.purchase(.init(buyerEmail: stranger.email, offerId: w.demo.offerId, planId: "silver", termUnit: .P1Y, market: "DE"), context: .system)
            #expect(ok.subscription.term.termUnit == .P1Y && ok.subscription.market == "DE" && ok.subscription.quantity == nil)
            #expect(ok.landingPageURL.hasPrefix("http://127.0.0.1:8081/landing?token="))
        }
    }
}
