import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoJobs
import MercatoTestSupport
import Testing

/// Sandbox controls over /api/admin: time travel, fault injection, the delivery log; and outbound URL safety.
@Suite("Sandbox API: clock, faults, deliveries")
struct SandboxAPITests {
    func object(_ r: TestResponse) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:] }

    func setup(_ env: MercatoEnvironment) async throws -> (DemoSeeder.Result, HTTPFields) {
        let demo = try await DemoSeeder(environment: env).run()
        let token = try await AppFixture.token(env, tenantId: demo.tenantId, clientId: demo.clientId, secret: demo.clientSecret)
        return (demo, [.authorization: "Bearer \(token)", .contentType: "application/json"])
    }

    @Test("POST /api/admin/clock moves time and fires what is due, exactly once", arguments: TestBackend.available)
    func clock(_ backend: TestBackend) async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-05-01T08:00:00Z")!)
        try await withTestEnvironment(backend, clock: clock) { env in
            let (demo, auth) = try await setup(env)
            let p = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver"), context: .system)
            _ = try await env.subscriptions.activate(id: p.subscription.id, publisherId: demo.publisherId, planId: "silver", quantity: nil, context: .system)
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/admin/clock", method: .post, headers: auth, body: ByteBuffer(string: #"{"advance":"31d"}"#)) { r in
                    #expect(r.status == .ok)
                    let fired = object(r)["fired"] as? [[String: Any]]
                    #expect(fired?.map { $0["action"] as? String } == ["Renew"])
                    #expect((object(r)["now"] as? String)?.hasPrefix("2026-06-01") == true)
                }
                try await client.execute(uri: "/api/admin/clock", method: .post, headers: auth, body: ByteBuffer(string: #"{"advance":"1d"}"#)) { r in
                    #expect((object(r)["fired"] as? [Any])?.isEmpty == true)
                }
                for bad in [#"{"advance":"-3d"}"#, #"{"advance":"soon"}"#, #"{"advance":"0d"}"#, "{}"] {
                    try await client.execute(uri: "/api/admin/clock", method: .post, headers: auth, body: ByteBuffer(string: bad)) { r in
                        #expect(r.status == .badRequest, "\(bad)")
                    }
                }
            }
            let renewed = try await env.subscriptions.subscription(id: p.subscription.id, publisherId: demo.publisherId)
            #expect(renewed.term.startDate == ISO8601DateFormatter().date(from: "2026-06-01T00:00:00Z"))
        }
    }

    @Test("outside sandbox mode the clock can't be moved and faults can't be added")
    func production() async throws {
        try await withTestEnvironment(configure: { $0.sandbox = false }) { env in
            let (_, auth) = try await setup(env)
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/admin/clock", method: .post, headers: auth, body: ByteBuffer(string: #"{"advance":"1d"}"#)) { r in
                    #expect(r.status == .forbidden)
                }
                try await client.execute(uri: "/api/admin/faults", method: .post, headers: auth,
                                         body: ByteBuffer(string: #"{"scope":"Api","statusCode":503}"#)) { #expect($0.status == .forbidden) }
            }
        }
    }

    @Test("API faults: 503 for the publisher's calls on a route, visible, then reset; others unaffected")
    func apiFaults() async throws {
        try await withTestEnvironment { env in
            let (demo, auth) = try await setup(env)
            let other = try await AppFixture.make(env, account: try await AccountFixture.make(env, publisherId: "unaffected")).token(env)
            try await buildApplication(environment: env).test(.router) { client in
                let id = try await client.execute(uri: "/api/admin/faults", method: .post, headers: auth,
                                                  body: ByteBuffer(string: #"{"scope":"Api","routePrefix":"/api/saas/","statusCode":503,"percent":100}"#)) { r in
                    #expect(r.status == .created)
                    return try #require(object(r)["id"] as? String)
                }
                try await client.execute(uri: "/api/saas/subscriptions?api-version=2018-08-31", method: .get, headers: auth) { r in
                    #expect(r.status == .serviceUnavailable)
                    #expect(r.headers[.retryAfter] == "1" && r.headers[HTTPField.Name("x-mercato-fault")!] == id)
                }
                try await client.execute(uri: "/api/partner/v1/account", method: .get, headers: auth) { #expect($0.status == .ok) } // other route
                try await client.execute(uri: "/api/saas/subscriptions?api-version=2018-08-31", method: .get,
                                         headers: [.authorization: "Bearer \(other)"]) { #expect($0.status == .ok) } // other publisher
                try await client.execute(uri: "/api/admin/faults", method: .get, headers: auth) { r in
                    #expect((object(r)["faults"] as? [[String: Any]])?.first?["id"] as? String == id)
                }
                try await client.execute(uri: "/api/admin/faults/\(id)", method: .delete, headers: auth) { #expect($0.status == .noContent) }
                try await client.execute(uri: "/api/saas/subscriptions?api-version=2018-08-31", method: .get, headers: auth) { #expect($0.status == .ok) }
                for bad in [#"{"scope":"Api","statusCode":418}"#, #"{"scope":"Api"}"#, #"{"scope":"Api","statusCode":503,"percent":0}"#,
                            #"{"scope":"Webhook","statusCode":200}"#, #"{"scope":"Sideways","statusCode":503}"#] {
                    try await client.execute(uri: "/api/admin/faults", method: .post, headers: auth, body: ByteBuffer(string: bad)) { r in
                        #expect(r.status == .badRequest, "\(bad)")
                    }
                }
            }
            _ = demo
        }
    }

    @Test("a share of calls: about half fail with percent 50")
    func percentage() async throws {
        try await withTestEnvironment { env in
            let (_, auth) = try await setup(env)
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/admin/faults", method: .post, headers: auth,
                                         body: ByteBuffer(string: #"{"scope":"Api","statusCode":429,"percent":50}"#)) { #expect($0.status == .created) }
                var failed = 0
                for _ in 0..<200 {
                    try await client.execute(uri: "/api/partner/v1/account", method: .get, headers: auth) { r in
                        if r.status == .tooManyRequests { failed += 1 }
                    }
                }
                #expect((60...140).contains(failed), "\(failed) of 200")
            }
        }
    }

    @Test("webhook faults: deliveries of the offer time out, and the attempts say so")
    func webhookFaults() async throws {
        try await withTestEnvironment { env in
            let (demo, _) = try await setup(env)
            _ = try await env.faults.add(FaultRule(id: "f1", publisherId: demo.publisherId, scope: .webhook, offerId: demo.offerId, timeout: true, createdAt: env.clock.now()),
                                         audit: AuditContext.system.entry(ids: env.ids, clock: env.clock, publisherId: demo.publisherId, action: "fault.add", targetType: "fault", targetId: "f1"))
            let p = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver"), context: .system)
            _ = try await env.subscriptions.cancel(id: p.subscription.id, publisherId: nil, source: .azure, context: .system)
            let attempts = try await env.webhookDispatcher.runOnce()
            #expect(attempts.count == 1 && attempts[0].injectedFault == "timeout" && attempts[0].error?.contains("timed out") == true)
            let d = try #require(try await env.webhooks.deliveries(publisherId: demo.publisherId, subscriptionId: p.subscription.id, limit: 5).first)
            #expect(d.status == .pending && d.attempts == 1)
        }
    }

    @Test("SSRF: private, link-local and metadata webhook URLs are refused at save and at send time")
    func ssrf() async throws {
        try await withTestEnvironment { env in
            let (demo, _) = try await setup(env)
            let owner = Principal(kind: .user, id: "o", publisherId: demo.publisherId, roles: [.owner])
            for url in ["https://169.254.169.254/latest/meta-data", "https://10.0.0.1/hook", "http://contoso.example/hook", "https://[::1]/hook"] {
                var offer = CatalogFixtures.saas(id: "ssrf-\(abs(url.hashValue) % 10000)", tenantId: demo.tenantId, appId: demo.clientId)
                offer.isSandbox = false
                offer.technicalConfiguration?.landingPageURL = "https://contoso.example/landing"
                offer.technicalConfiguration?.connectionWebhookURL = url
                _ = try? await env.catalog.create(by: owner, publisherId: demo.publisherId, offer: offer, context: .system)
                let op = try? await env.catalog.publish(by: owner, publisherId: demo.publisherId, offerId: offer.id, context: .system)
                if let op {
                    try await env.publishingWorker.runOnce()
                    #expect(try await env.catalog.repository.operation(id: op.id)?.status == .failed, "\(url)")
                }
            }
            // At send time: a delivery aimed at a private address is refused without connecting, and dead-lettered.
            let transport = HTTPWebhookTransport(client: HTTPWebhookTransport.makeClient())
            let refused = await transport.post(url: "https://127.0.0.1:9/hook", headers: [], body: "{}", timeout: 1, sandbox: false)
            #expect(refused.error?.hasPrefix("refused:") == true && refused.status == nil)
            let metadata = await transport.post(url: "https://169.254.169.254/", headers: [], body: "{}", timeout: 1, sandbox: false)
            #expect(metadata.error?.hasPrefix("refused:") == true)
            let localhost = await transport.post(url: "https://localhost:9/hook", headers: [], body: "{}", timeout: 1, sandbox: false)
            #expect(localhost.error?.hasPrefix("refused:") == true)
            try await transport.client.shutdown()
        }
    }

    @Test("the delivery log is the caller's own; replay needs the delivery to exist")
    func deliveryLog() async throws {
        try await withTestEnvironment { env in
            let (demo, auth) = try await setup(env)
            let rival = try await AppFixture.make(env, account: try await AccountFixture.make(env, publisherId: "rival")).token(env)
            let p = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver"), context: .system)
            _ = try await env.subscriptions.cancel(id: p.subscription.id, publisherId: nil, source: .azure, context: .system)
            try await buildApplication(environment: env).test(.router) { client in
                let id = try await client.execute(uri: "/api/admin/webhooks?subscriptionId=\(p.subscription.id)", method: .get, headers: auth) { r in
                    let list = try #require(object(r)["deliveries"] as? [[String: Any]])
                    #expect(list.count == 1)
                    return try #require((list[0]["delivery"] as? [String: Any])?["id"] as? String)
                }
                try await client.execute(uri: "/api/admin/webhooks/\(id)", method: .get, headers: [.authorization: "Bearer \(rival)"]) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/api/admin/webhooks/\(id)/replay", method: .post, headers: auth) { #expect($0.status == .accepted) }
                try await client.execute(uri: "/api/admin/webhooks/nope/replay", method: .post, headers: auth) { #expect($0.status == .notFound) }
            }
        }
    }
}
