import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

/// Golden tests: the SaaS calls recorded from the live service (shared/reference/session-records), replayed against
/// Mercato with its own IDs. Same status, the headers of note, and every recorded JSON path present with the same
/// JSON type. (The four metering recordings belong to issue 7.)
@Suite("Recorded live calls (golden)")
struct RecordedCallsGoldenTests {
    struct World {
        var env: MercatoEnvironment
        var token: String
        var active: Purchase
        var pending: Purchase
    }

    /// The active subscription is bought first (on a clock that ticks between purchases), so list pages start with
    /// a subscription that has term dates, like the recordings' first items.
    func world(_ env: MercatoEnvironment, clock: ManualClock, extra: Int = 0) async throws -> World {
        let demo = try await DemoSeeder(environment: env).run()
        let token = try await AppFixture.token(env, tenantId: demo.tenantId, clientId: demo.clientId, secret: demo.clientSecret)
        let buy = { (plan: String) in
            clock.advance(by: 1)
            return try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: plan), context: .system)
        }
        let active = try await buy("silver")
        _ = try await env.subscriptions.activate(id: active.subscription.id, publisherId: demo.publisherId, planId: "silver", quantity: nil, context: .system)
        let pending = try await buy("gold")
        for _ in 0..<extra { _ = try await buy("silver") }
        return World(env: env, token: token, active: active, pending: pending)
    }

    func recorded(_ name: String) throws -> [RecordedCall] { try SessionRecords.load(name) }

    func assertShape(_ recorded: Any?, _ actual: Any?, _ label: String) {
        let expected = SessionRecords.shape(recorded)
        let got = SessionRecords.shape(actual)
        for (path, type) in expected.sorted(by: { $0.key < $1.key }) {
            // A recorded empty value may be typed differently (e.g. "puid": null vs a string); a null records no type.
            guard type != "null" else { continue }
            #expect(got[path] == type, "\(label): \(path) is \(got[path] ?? "missing"), recorded \(type)")
        }
    }

    func json(_ r: TestResponse) -> Any? { try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) }

    func assertCommonHeaders(_ r: TestResponse) {
        #expect(r.headers[.msRequestId] != nil && r.headers[.msCorrelationId] != nil)
    }

    @Test("GetSubscription, GetAllSubscriptions (paged), ListAvailablePlans, Resolve")
    func reads() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withTestEnvironment(clock: clock) { env in
            let w = try await world(env, clock: clock, extra: 100)
            let auth: HTTPFields = [.authorization: "Bearer \(w.token)"]
            try await buildApplication(environment: env).test(.router) { client in
                // GetSubscriptionAsync: the last entry is GET /subscriptions/{id}.
                let get = try #require(try recorded("GetSubscriptionAsync.json").last)
                try await client.execute(uri: "/api/saas/subscriptions/\(w.active.subscription.id)?api-version=2018-08-31", method: .get, headers: auth) { r in
                    #expect(Int(r.status.code) == get.status)
                    #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                    assertCommonHeaders(r)
                    assertShape(get.responseBody, json(r), "GetSubscription")
                }
                // GetAllSubscriptions: pages of subscriptions with an absolute @nextLink until the last page.
                for name in ["GetAllSubscriptionsAsListAsyncAsync.json", "GetAllSubscriptionsAsListWithCertAsyncAsync.json", "GetAllSubscriptionsPagedAsync.json"] {
                    let calls = try recorded(name)
                    let first = try #require(calls.first)
                    #expect(first.path == "/api/saas/subscriptions/")
                    var next: String? = "/api/saas/subscriptions/?api-version=2018-08-31"
                    var pages = 0
                    var total = 0
                    while let uri = next {
                        next = try await client.execute(uri: uri, method: .get, headers: auth) { r in
                            #expect(Int(r.status.code) == first.status)
                            assertCommonHeaders(r)
                            let body = json(r) as? [String: Any]
                            if pages == 0 { assertShape((first.responseBody as? [String: Any])?["subscriptions"], body?["subscriptions"], name) }
                            total += (body?["subscriptions"] as? [Any])?.count ?? 0
                            guard let link = body?["@nextLink"] as? String else { return nil }
                            #expect(link.hasPrefix(env.configuration.baseURL + "/api/saas/subscriptions/?continuationToken="))
                            #expect(link.contains("api-version=2018-08-31"))
                            return String(link.dropFirst(env.configuration.baseURL.count))
                        }
                        pages += 1
                    }
                    #expect(pages == 2 && total == 102)
                    // Recorded pages after the first carry @nextLink too, except the last.
                    #expect((calls.dropLast().allSatisfy { ($0.responseBody as? [String: Any])?["@nextLink"] is String }))
                }
                // ListAvailablePlans.
                let plans = try #require(try recorded("ListAvailablePlansAsync.json").last)
                #expect(plans.path.hasSuffix("/listAvailablePlans"))
                try await client.execute(uri: "/api/saas/subscriptions/\(w.active.subscription.id)/listAvailablePlans?api-version=2018-08-31", method: .get, headers: auth) { r in
                    #expect(Int(r.status.code) == plans.status)
                    assertShape(plans.responseBody, json(r), "ListAvailablePlans")
                }
                // Resolve (both recordings): x-ms-marketplace-token header, 200 with the ResolvedSubscription shape.
                for name in ["ResolveSubscriptionAsync.json", "ResolveSubscriptionWithCertAsync.json"] {
                    let resolve = try #require(try recorded(name).first)
                    #expect(resolve.method == "POST" && resolve.path == "/api/saas/subscriptions/resolve")
                    #expect(resolve.requestHeaders["x-ms-marketplace-token"] != nil)
                    var headers = auth
                    headers[HTTPField.Name("x-ms-marketplace-token")!] = w.active.token
                    try await client.execute(uri: "/api/saas/subscriptions/resolve?api-version=2018-08-31", method: .post, headers: headers) { r in
                        #expect(Int(r.status.code) == resolve.status)
                        assertCommonHeaders(r)
                        assertShape(resolve.responseBody, json(r), name)
                    }
                }
            }
        }
    }

    @Test("UpdateSubscription: PATCH 202 with Operation-Location/Operation-Id/Retry-After, then the operation")
    func update() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withTestEnvironment(clock: clock) { env in
            let w = try await world(env, clock: clock)
            let calls = try recorded("UpdateSubscriptionAsync.json")
            let patch = try #require(calls.first { $0.method == "PATCH" })
            let getOp = try #require(calls.last { $0.method == "GET" && $0.path.contains("/operations/") })
            let auth: HTTPFields = [.authorization: "Bearer \(w.token)", .contentType: "application/json"]
            try await buildApplication(environment: env).test(.router) { client in
                let body = try JSONSerialization.data(withJSONObject: try #require(patch.requestBody))
                #expect(String(decoding: body, as: UTF8.self) == #"{"planId":"gold"}"#)
                let location = try await client.execute(uri: "/api/saas/subscriptions/\(w.active.subscription.id)?api-version=2018-08-31", method: .patch,
                                                        headers: auth, body: ByteBuffer(data: body)) { r in
                    #expect(Int(r.status.code) == patch.status)
                    #expect(r.body.readableBytes == 0)
                    for name in ["Operation-Id", "Operation-Location", "Retry-After"] {
                        #expect(patch.responseHeaders[name] != nil)
                        #expect(r.headers[HTTPField.Name(name)!] != nil, "\(name)")
                    }
                    let location = try #require(r.headers[HTTPField.Name("Operation-Location")!])
                    #expect(location.hasSuffix("/operations/\(r.headers[HTTPField.Name("Operation-Id")!]!)?api-version=2018-08-31"))
                    return location
                }
                try await client.execute(uri: String(location.dropFirst(env.configuration.baseURL.count)), method: .get, headers: auth) { r in
                    #expect(Int(r.status.code) == getOp.status)
                    assertShape(getOp.responseBody, json(r), "GetOperation")
                    let op = json(r) as? [String: Any]
                    #expect(op?["status"] as? String == (getOp.responseBody as? [String: Any])?["status"] as? String) // "NotStarted"
                    #expect(op?["operationRequestSource"] as? String == "Partner")
                }
            }
        }
    }
}
