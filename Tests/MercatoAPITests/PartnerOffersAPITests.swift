import Foundation
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

/// The catalog API: ETag concurrency, publishing as operations, workflow refusals, roles, isolation (issue 4).
@Suite("Partner offers API")
struct PartnerOffersAPITests {
    func object(_ r: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])
    }

    func body(_ offer: Offer) throws -> ByteBuffer {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        return ByteBuffer(bytes: try e.encode(offer))
    }

    struct Setup {
        var account: AccountFixture
        var app: AppFixture
        var token: String
        var offer: Offer
        var auth: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
    }

    func setup(_ env: MercatoEnvironment, roles: Set<Role> = [.manager]) async throws -> Setup {
        let account = try await AccountFixture.make(env)
        let app = try await AppFixture.make(env, account: account, roles: roles)
        let offer = CatalogFixtures.saas(id: "analytics", tenantId: app.tenantId, appId: app.clientId)
        return Setup(account: account, app: app, token: try await app.token(env), offer: offer)
    }

    @Test("PUT: create 201, then If-Match rules (none → 400, stale → 412, current → 200, * → 200)", arguments: TestBackend.available)
    func etags(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let s = try await setup(env)
            try await buildApplication(environment: env).test(.router) { client in
                let uri = "/api/partner/v1/offers/\(s.offer.id)"
                let first = try await client.execute(uri: uri, method: .put, headers: s.auth, body: try body(s.offer)) { r in
                    #expect(r.status == .created)
                    let tag = try #require(r.headers[.eTag])
                    #expect(tag.hasPrefix("W/\"datetime'"))
                    #expect(try object(r)["eTag"] as? String == tag)
                    return tag
                }
                try await client.execute(uri: uri, method: .put, headers: s.auth, body: try body(s.offer)) { r in
                    #expect(r.status == .badRequest)
                }
                var edited = s.offer
                edited.listing.summary = "Edited summary."
                var h = s.auth
                h[.ifMatch] = first
                let second = try await client.execute(uri: uri, method: .put, headers: h, body: try body(edited)) { r in
                    #expect(r.status == .ok)
                    return try #require(r.headers[.eTag])
                }
                #expect(second != first)
                try await client.execute(uri: uri, method: .put, headers: h, body: try body(edited)) { r in
                    #expect(r.status == .preconditionFailed)
                    let error = try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: r.body))
                    #expect(error.code == "PreconditionFailed")
                }
                h[.ifMatch] = "*"
                try await client.execute(uri: uri, method: .put, headers: h, body: try body(edited)) { r in
                    #expect(r.status == .ok)
                }
                try await client.execute(uri: "\(uri)?slot=live", method: .get, headers: s.auth) { r in
                    #expect(r.status == .notFound)
                }
                try await client.execute(uri: uri, method: .get, headers: s.auth) { r in
                    let offer = try #require(try object(r)["offer"] as? [String: Any])
                    #expect((offer["listing"] as? [String: Any])?["summary"] as? String == "Edited summary.")
                }
            }
        }
    }

    @Test("invalid documents get 400 with one detail per field")
    func invalid() async throws {
        try await withTestEnvironment { env in
            let s = try await setup(env)
            var bad = s.offer
            bad.listing.name = String(repeating: "n", count: 51)
            bad.plans[0].id = "Bad Plan"
            bad.listing.description = "<script>x</script>"
            let invalidOffer = bad
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/partner/v1/offers/\(s.offer.id)", method: .put, headers: s.auth, body: try body(invalidOffer)) { r in
                    #expect(r.status == .badRequest)
                    let error = try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: r.body))
                    let targets = Set((error.details ?? []).compactMap(\.target))
                    #expect(targets.isSuperset(of: ["listing.name", "plans[0].id", "listing.description"]))
                }
                try await client.execute(uri: "/api/partner/v1/offers/\(s.offer.id)", method: .put, headers: s.auth,
                                         body: ByteBuffer(string: #"{"id":"x","type":"Spaceship"}"#)) { r in
                    #expect(r.status == .badRequest)
                }
            }
            #expect(try await env.catalog.repository.offer(publisherId: s.account.publisherId, offerId: s.offer.id) == nil)
        }
    }

    @Test("publish → preview → go live, as polled operations; history records each step", arguments: TestBackend.available)
    func publishing(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let s = try await setup(env)
            try await buildApplication(environment: env).test(.router) { client in
                let uri = "/api/partner/v1/offers/\(s.offer.id)"
                try await client.execute(uri: uri, method: .put, headers: s.auth, body: try body(s.offer)) { #expect($0.status == .created) }
                let location = try await client.execute(uri: "\(uri)/publish", method: .post, headers: s.auth) { r in
                    #expect(r.status == .accepted)
                    return try #require(r.headers[.location])
                }
                let opPath = String(location.dropFirst(env.configuration.baseURL.count))
                try await client.execute(uri: opPath, method: .get, headers: s.auth) { r in
                    let op = try object(r)
                    #expect(op["status"] as? String == "NotStarted")
                }
                // Publishing twice while in progress is refused.
                try await client.execute(uri: "\(uri)/publish", method: .post, headers: s.auth) { #expect($0.status == .conflict) }
                let handled = try await env.publishingWorker.runOnce()
                #expect(handled == 1)
                try await client.execute(uri: opPath, method: .get, headers: s.auth) { r in
                    let op = try object(r)
                    #expect(op["status"] as? String == "Succeeded")
                    #expect((op["steps"] as? [[String: Any]])?.map { $0["name"] as? String } == CatalogService.publishSteps)
                }
                try await client.execute(uri: "\(uri)/status", method: .get, headers: s.auth) { r in
                    let status = try object(r)
                    #expect(status["status"] as? String == "Preview")
                    #expect(status["allowedActions"] as? [String] == ["Publish", "GoLive"])
                }
                try await client.execute(uri: "\(uri)/golive", method: .post, headers: s.auth) { #expect($0.status == .accepted) }
                try await client.execute(uri: "\(uri)/cancel", method: .post, headers: s.auth) { #expect($0.status == .conflict) }
                let handledLive = try await env.publishingWorker.runOnce()
                #expect(handledLive == 1)
                try await client.execute(uri: "\(uri)?slot=live", method: .get, headers: s.auth) { r in
                    #expect(r.status == .ok)
                    let doc = try object(r)
                    #expect(doc["status"] as? String == "Live")
                }
                try await client.execute(uri: "\(uri)/history", method: .get, headers: s.auth) { r in
                    let events = (try object(r)["history"] as? [[String: Any]] ?? []).compactMap { $0["event"] as? String }
                    #expect(events.first == "Created offer")
                    #expect(events.contains("Submitted offer to preview") && events.contains("Sign-off to go live"))
                    #expect(events.contains("Final publish: Succeeded"))
                }
                // A live offer can't be deleted; it is stopped.
                try await client.execute(uri: uri, method: .delete, headers: s.auth) { #expect($0.status == .conflict) }
            }
        }
    }

    @Test("an incomplete offer is refused with 422 naming the missing fields")
    func incomplete() async throws {
        try await withTestEnvironment { env in
            let s = try await setup(env)
            var offer = s.offer
            offer.listing.screenshots = []
            offer.technicalConfiguration = nil
            let incompleteId = offer.id
            _ = try await env.catalog.create(by: s.account.ownerPrincipal, publisherId: s.account.publisherId, offer: offer, context: .system)
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/partner/v1/offers/\(incompleteId)/publish", method: .post, headers: s.auth) { r in
                    #expect(r.status == .unprocessableContent)
                    let error = try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: r.body))
                    #expect(Set((error.details ?? []).compactMap(\.target)) == ["listing.screenshots", "technicalConfiguration"])
                }
                try await client.execute(uri: "/api/partner/v1/offers/\(incompleteId)/status", method: .get, headers: s.auth) { r in
                    let pages = try #require(try object(r)["pages"] as? [String: String])
                    #expect(pages["Offer listing"] == "Incomplete" && pages["Technical configuration"] == "Incomplete" && pages["Properties"] == "Complete")
                }
                // A never-published draft can be deleted.
                try await client.execute(uri: "/api/partner/v1/offers/\(incompleteId)", method: .delete, headers: s.auth) { #expect($0.status == .noContent) }
            }
        }
    }

    @Test("an unreachable landing page sends the offer to Attention needed with the reason")
    func unreachable() async throws {
        let landing = "https://contoso-unreachable.example/landing"
        try await withTestEnvironment(probe: FakeProbe(failing: [landing: "connection refused"])) { env in
            let s = try await setup(env)
            var offer = s.offer
            offer.isSandbox = false
            offer.technicalConfiguration?.landingPageURL = landing
            offer.technicalConfiguration?.connectionWebhookURL = "https://contoso-unreachable.example/webhook"
            _ = try await env.catalog.create(by: s.account.ownerPrincipal, publisherId: s.account.publisherId, offer: offer, context: .system)
            let op = try await env.catalog.publish(by: s.account.ownerPrincipal, publisherId: s.account.publisherId, offerId: offer.id, context: .system)
            try await env.publishingWorker.runOnce()
            let done = try #require(try await env.catalog.repository.operation(id: op.id))
            #expect(done.status == .failed)
            #expect(done.steps[1].messages == ["landing page \(landing) is not reachable: connection refused"])
            let record = try await env.catalog.offer(by: s.account.ownerPrincipal, publisherId: s.account.publisherId, offerId: offer.id)
            #expect(record.state.status == .attentionNeeded && record.preview == nil)
        }
    }

    @Test("roles: a Developer app may submit; a Marketer app may not edit; another publisher sees 404")
    func roles() async throws {
        try await withTestEnvironment { env in
            let s = try await setup(env, roles: [.developer])
            let marketer = try await AppFixture.make(env, account: s.account, roles: [.marketer], name: "Marketing").token(env)
            let other = try await AppFixture.make(env, account: try await AccountFixture.make(env, publisherId: "othercorp")).token(env)
            try await buildApplication(environment: env).test(.router) { client in
                let uri = "/api/partner/v1/offers/\(s.offer.id)"
                try await client.execute(uri: uri, method: .put, headers: s.auth, body: try body(s.offer)) { #expect($0.status == .created) }
                try await client.execute(uri: "\(uri)/publish", method: .post, headers: s.auth) { #expect($0.status == .accepted) }
                try await client.execute(uri: uri, method: .put, headers: [.authorization: "Bearer \(marketer)", .ifMatch: "*"], body: try body(s.offer)) { r in
                    #expect(r.status == .forbidden)
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(other)"]) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/api/partner/v1/offers", method: .get, headers: [.authorization: "Bearer \(other)"]) { r in
                    let list = try object(r)
                    #expect((list["offers"] as? [Any])?.isEmpty == true)
                }
            }
        }
    }

    @Test("the (tenant, app) pair of one publisher can't be used by another")
    func appPairUnique() async throws {
        try await withTestEnvironment { env in
            let s = try await setup(env)
            _ = try await env.catalog.create(by: s.account.ownerPrincipal, publisherId: s.account.publisherId, offer: s.offer, context: .system)
            let other = try await AccountFixture.make(env, publisherId: "copycat")
            await #expect(throws: ValidationFailure.self) {
                _ = try await env.catalog.create(by: other.ownerPrincipal, publisherId: other.publisherId, offer: s.offer, context: .system)
            }
            var second = CatalogFixtures.saas(id: "second", tenantId: s.app.tenantId, appId: UUID().uuidString.lowercased())
            second.alias = "Second"
            await #expect(throws: ValidationFailure.self) {
                _ = try await env.catalog.create(by: s.account.ownerPrincipal, publisherId: s.account.publisherId, offer: second, context: .system)
            }
        }
    }

    @Test("private audience: CSV import, sync without re-certification, public plans stay public", arguments: TestBackend.available)
    func privateAudience(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let s = try await setup(env)
            let owner = s.account.ownerPrincipal
            try await CatalogFixtures.makeLive(env, owner: owner, offer: s.offer)
            let newTenant = UUID().uuidString.lowercased()
            let csv = "ID,Description,Type\n\(DemoCatalog.customerTenantId),Northwind,TenantID\n\(newTenant),Adventure Works,TenantID\n"
            try await buildApplication(environment: env).test(.router) { client in
                let plan = "/api/partner/v1/offers/\(s.offer.id)/plans/northwind-private"
                try await client.execute(uri: "\(plan)/privateaudience", method: .put, headers: s.auth, body: ByteBuffer(string: csv)) { #expect($0.status == .ok) }
                let before = try await env.catalog.offer(by: owner, publisherId: s.account.publisherId, offerId: s.offer.id)
                #expect(!(before.live!.plan("northwind-private")!.isVisible(toTenant: newTenant)))
                try await client.execute(uri: "\(plan)/syncprivateaudience", method: .post, headers: s.auth) { #expect($0.status == .ok) }
                let after = try await env.catalog.offer(by: owner, publisherId: s.account.publisherId, offerId: s.offer.id)
                #expect(after.live!.plan("northwind-private")!.isVisible(toTenant: newTenant))
                #expect(after.state.status == .live)
                try await client.execute(uri: "\(plan)/privateaudience", method: .get, headers: s.auth) { r in
                    #expect(String(buffer: r.body).contains("\(newTenant),Adventure Works,TenantID"))
                }
                try await client.execute(uri: "/api/partner/v1/offers/\(s.offer.id)/plans/silver/privateaudience", method: .put, headers: s.auth,
                                         body: ByteBuffer(string: csv)) { #expect($0.status == .conflict) }
                try await client.execute(uri: "/api/partner/v1/offers/\(s.offer.id)/compare?with=live", method: .get, headers: s.auth) { r in
                    let diffs = try #require(try object(r)["differences"] as? [[String: Any]])
                    #expect(diffs.isEmpty)
                }
            }
            // Catalog search as a buyer in the new tenant now shows the private plan.
            let hits = CatalogSearch.search(try await env.catalog.repository.publishedOffers(), CatalogQuery(viewerTenantId: newTenant))
            #expect(hits.first?.offer.plans.contains { $0.id == "northwind-private" } == true)
        }
    }

    @Test("a price change on a live plan is scheduled, and compare shows the edit")
    func priceChange() async throws {
        try await withTestEnvironment { env in
            let s = try await setup(env)
            let owner = s.account.ownerPrincipal
            try await CatalogFixtures.makeLive(env, owner: owner, offer: s.offer)
            var draft = s.offer
            draft.plans[0].billingTerms[0].price = Money(59, "USD")
            _ = try await env.catalog.put(by: owner, publisherId: s.account.publisherId, offer: draft, precondition: .any, context: .system)
            let diffs = try await env.catalog.compare(by: owner, publisherId: s.account.publisherId, offerId: s.offer.id, with: "live")
            #expect(diffs.contains { $0.field == "plans[0].billingTerms[0].price.amount" && $0.before == "49.00" && $0.after == "59.00" })
            _ = try await env.catalog.publish(by: owner, publisherId: s.account.publisherId, offerId: s.offer.id, context: .system)
            try await env.publishingWorker.runOnce()
            _ = try await env.catalog.goLive(by: owner, publisherId: s.account.publisherId, offerId: s.offer.id, context: .system)
            try await env.publishingWorker.runOnce()
            let record = try await env.catalog.offer(by: owner, publisherId: s.account.publisherId, offerId: s.offer.id)
            let plan = try #require(record.live?.plan("silver"))
            #expect(plan.billingTerms[0].price == Money(49, "USD"))
            #expect(plan.scheduledPriceChanges.map(\.direction) == [.increase])
            #expect(plan.scheduledPriceChanges[0].effectiveDate > env.clock.now().addingTimeInterval(89 * 86_400))
        }
    }
}
