import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoStorage
import MercatoTestSupport
import Testing

/// Marketplace Metering API (spec-saas §7): every per-event status, the hour and 24-hour edges, the exact duplicate
/// body, batches, retrieval, and group commit under concurrency.
@Suite("Metering API")
struct MeteringAPITests {
    static let start = ISO8601DateFormatter().date(from: "2026-06-10T12:30:00Z")!

    struct World {
        var demo: DemoSeeder.Result
        var auth: HTTPFields
        var active: String
        var pending: String
    }

    func world(_ env: MercatoEnvironment) async throws -> World {
        let demo = try await DemoSeeder(environment: env).run()
        let token = try await AppFixture.token(env, tenantId: demo.tenantId, clientId: demo.clientId, secret: demo.clientSecret)
        let a = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver"), context: .system)
        _ = try await env.subscriptions.activate(id: a.subscription.id, publisherId: demo.publisherId, planId: "silver", quantity: nil, context: .system)
        let p = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver"), context: .system)
        return World(demo: demo, auth: [.authorization: "Bearer \(token)", .contentType: "application/json"], active: a.subscription.id, pending: p.subscription.id)
    }

    static func event(_ resource: String, _ time: String, quantity: String = "5", dimension: String = "emails", plan: String = "silver") -> String {
        #"{"resourceId":"\#(resource)","quantity":\#(quantity),"dimension":"\#(dimension)","effectiveStartTime":"\#(time)","planId":"\#(plan)"}"#
    }

    func object(_ r: TestResponse) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:] }

    func expectStatus(_ client: some TestClientProtocol, _ w: World, _ body: String, _ expected: HTTPResponse.Status,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let status = try await post(client, w, body).0
        #expect(status == expected, sourceLocation: sourceLocation)
    }

    func post(_ client: some TestClientProtocol, _ w: World, _ body: String) async throws -> (HTTPResponse.Status, [String: Any], String) {
        try await client.execute(uri: "/api/usageEvent?api-version=2018-08-31", method: .post, headers: w.auth, body: ByteBuffer(string: body)) {
            ($0.status, object($0), String(buffer: $0.body))
        }
    }

    @Test("statuses of single events", arguments: TestBackend.available)
    func statuses(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend, clock: ManualClock(Self.start)) { env in
            let w = try await world(env)
            let rival = try await AppFixture.make(env, account: try await AccountFixture.make(env, publisherId: "rival")).token(env)
            try await buildApplication(environment: env).test(.router) { client in
                var (status, body, _) = try await post(client, w, Self.event(w.active, "2026-06-10T11:15:00"))
                #expect(status == .ok && body["status"] as? String == "Accepted" && body["quantity"] as? Double == 5)
                #expect(body["effectiveStartTime"] as? String == "2026-06-10T11:15:00") // echoed as sent
                #expect((body["resourceUri"] as? String)?.hasSuffix("/providers/Microsoft.SaaS/resources/\(w.active)") == true)
                func detail(_ b: [String: Any]) -> String? { ((b["details"] as? [[String: Any]])?.first)?["code"] as? String }
                (status, body, _) = try await post(client, w, Self.event(w.active, "2026-06-09T12:29:59"))
                #expect(status == .badRequest && detail(body) == "Expired")
                (status, body, _) = try await post(client, w, Self.event(UUID().uuidString.lowercased(), "2026-06-10T11:00:00"))
                #expect(status == .badRequest && detail(body) == "ResourceNotFound")
                (status, body, _) = try await post(client, w, Self.event(w.pending, "2026-06-10T11:00:00"))
                #expect(status == .badRequest && detail(body) == "ResourceNotActive")
                (status, body, _) = try await post(client, w, Self.event(w.active, "2026-06-10T10:00:00", dimension: "sms"))
                #expect(status == .badRequest && detail(body) == "InvalidDimension")
                (status, body, _) = try await post(client, w, Self.event(w.active, "2026-06-10T10:00:00", quantity: "0"))
                #expect(status == .badRequest && detail(body) == "InvalidQuantity")
                (status, body, _) = try await post(client, w, Self.event(w.active, "2026-06-10T10:00:00", quantity: "-2.5"))
                #expect(detail(body) == "InvalidQuantity")
                for (bad, target) in [
                    (Self.event(w.active, "2026-06-10T13:00:00"), "effectiveStartTime"), // future
                    (Self.event(w.active, "yesterday"), "effectiveStartTime"),
                    (Self.event(w.active, "2026-06-10T10:00:00", plan: "gold"), "planId"),
                    (Self.event(w.active, "2026-06-10T10:00:00", quantity: "\"5\""), "quantity"),
                    // Not a GUID, though Foundation's sscanf-based UUID(uuidString:) takes the sign (GUIDText).
                    (Self.event("+" + w.active.dropFirst(), "2026-06-10T10:00:00"), "resourceId"),
                    (#"{"quantity":1,"dimension":"emails","effectiveStartTime":"2026-06-10T10:00:00","planId":"silver"}"#, "resourceId"),
                    (#"{"resourceId":"\#(w.active)","resourceUri":"/x","quantity":1,"dimension":"emails","effectiveStartTime":"2026-06-10T10:00:00","planId":"silver"}"#, "resourceId"),
                ] {
                    (status, body, _) = try await post(client, w, bad)
                    #expect(status == .badRequest && detail(body) == "BadArgument", "\(bad)")
                    #expect(((body["details"] as? [[String: Any]])?.first)?["target"] as? String == target, "\(bad)")
                    #expect(body["code"] as? String == "BadArgument" && body["target"] as? String == "usageEventRequest")
                }
                try await client.execute(uri: "/api/usageEvent?api-version=2018-08-31", method: .post, headers: [.authorization: "Bearer \(rival)"],
                                         body: ByteBuffer(string: Self.event(w.active, "2026-06-10T09:00:00"))) { r in
                    #expect(r.status == .forbidden)
                    #expect((object(r)["details"] as? [[String: Any]])?.first?["code"] as? String == "ResourceNotAuthorized")
                }
                try await client.execute(uri: "/api/usageEvent?api-version=2018-08-31", method: .post, headers: w.auth, body: ByteBuffer(string: "{oops")) { r in
                    #expect(r.status == .badRequest)
                }
            }
        }
    }

    @Test("one event per resource, dimension and UTC hour: 10:59:59 and 11:00:00 differ; the 24-hour edge")
    func hours() async throws {
        try await withTestEnvironment(clock: ManualClock(Self.start)) { env in
            let w = try await world(env)
            try await buildApplication(environment: env).test(.router) { client in
                try await expectStatus(client, w, Self.event(w.active, "2026-06-10T10:00:00"), .ok)
                try await expectStatus(client, w, Self.event(w.active, "2026-06-10T10:59:59.999"), .conflict)
                try await expectStatus(client, w, Self.event(w.active, "2026-06-10T11:00:00Z"), .ok)
                try await expectStatus(client, w, Self.event(w.active, "2026-06-10T12:10:00+01:00"), .conflict) // = 11:10Z
                try await expectStatus(client, w, Self.event(w.active, "2026-06-09T12:30:00"), .ok)  // exactly 24 h ago
                try await expectStatus(client, w, Self.event(w.active, "2026-06-09T12:29:59.9"), .badRequest) // just older
            }
        }
    }

    @Test("the 409 body: compact JSON in the recorded key order, the originally accepted event with status Duplicate")
    func duplicateBody() async throws {
        // The key order of the recorded duplicate (PostBatchUsageAsync.json), read from the file's text.
        let raw = try String(contentsOf: SessionRecords.directory.appendingPathComponent("PostBatchUsageAsync.json"), encoding: .utf8)
        let start = try #require(raw.range(of: "\"acceptedMessage\": {"))
        let end = try #require(raw[start.upperBound...].range(of: "}"))
        let recordedKeys = raw[start.upperBound..<end.lowerBound].split(separator: ",").compactMap { part -> String? in
            let t = part.trimmingCharacters(in: .whitespacesAndNewlines)
            guard t.hasPrefix("\""), let close = t.dropFirst().firstIndex(of: "\"") else { return nil }
            return String(t[t.index(after: t.startIndex)..<close])
        }
        #expect(recordedKeys == ["usageEventId", "status", "messageTime", "resourceId", "resourceUri", "quantity", "dimension", "effectiveStartTime", "planId"])
        try await withTestEnvironment(clock: ManualClock(Self.start)) { env in
            let w = try await world(env)
            try await buildApplication(environment: env).test(.router) { client in
                let (_, first, _) = try await post(client, w, Self.event(w.active, "2026-06-10T08:15:00", quantity: "20.5"))
                let (status, _, text) = try await post(client, w, Self.event(w.active, "2026-06-10T08:45:00", quantity: "1"))
                #expect(status == .conflict)
                let id = try #require(first["usageEventId"] as? String)
                let uri = try #require(first["resourceUri"] as? String)
                let time = try #require(first["messageTime"] as? String)
                let expected = #"{"additionalInfo":{"acceptedMessage":{"usageEventId":"\#(id)","status":"Duplicate","messageTime":"\#(time)","resourceId":"\#(w.active)","resourceUri":"\#(uri)","quantity":20.5,"dimension":"emails","effectiveStartTime":"2026-06-10T08:15:00","planId":"silver"}},"message":"This usage event already exist.","code":"Conflict"}"#
                #expect(text == expected)
                // Key order matches the recording.
                let keys = recordedKeys.compactMap { key in text.range(of: "\"\(key)\":")?.lowerBound }
                #expect(keys == keys.sorted() && keys.count == recordedKeys.count)
            }
        }
    }

    @Test("batches: per-item statuses in request order, 25 max, bare arrays answered in kind; usage before a cancellation", arguments: TestBackend.available)
    func batches(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend, clock: ManualClock(Self.start)) { env in
            let w = try await world(env)
            try await buildApplication(environment: env).test(.router) { client in
                let uri = "/api/batchUsageEvent?api-version=2018-08-31"
                let items = [Self.event(w.active, "2026-06-10T09:00:00"), Self.event(w.active, "2026-06-10T09:30:00"), Self.event(w.pending, "2026-06-10T09:00:00"),
                             Self.event(w.active, "2026-06-10T08:00:00", dimension: "sms")]
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"request":[\#(items.joined(separator: ","))]}"#)) { r in
                    #expect(r.status == .ok)
                    let b = object(r)
                    #expect(b["count"] as? Int == 4)
                    let results = try #require(b["result"] as? [[String: Any]])
                    #expect(results.map { $0["status"] as? String } == ["Accepted", "Duplicate", "ResourceNotActive", "InvalidDimension"])
                    #expect(results[1]["usageEventId"] == nil && (results[1]["error"] as? [String: Any])?["code"] as? String == "Conflict")
                    #expect(results[2]["messageTime"] as? String == "0001-01-01T00:00:00" && results[2]["usageEventId"] == nil)
                }
                let bare = "[\(Self.event(w.active, "2026-06-10T07:00:00"))]"
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: bare)) { r in
                    let array = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [[String: Any]]
                    #expect(array?.first?["status"] as? String == "Accepted")
                }
                let many = (0..<26).map { Self.event(w.active, String(format: "2026-06-10T%02d:00:00", $0 % 12)) }.joined(separator: ",")
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"request":[\#(many)]}"#)) { r in
                    #expect(r.status == .badRequest)
                    #expect((object(r)["message"] as? String) == "The batch contained more than 25 usage events.")
                }
                try await client.execute(uri: uri, method: .post, headers: w.auth, body: ByteBuffer(string: #"{"request":[]}"#)) { #expect($0.status == .badRequest) }
                // Cancel at 12:30; usage for 12:00 (before) is accepted, for later hours refused.
                _ = try await env.subscriptions.cancel(id: w.active, publisherId: nil, source: .azure, context: .system)
                let clock = env.clock as! ManualClock
                clock.advance(by: 3600)
                try await expectStatus(client, w, Self.event(w.active, "2026-06-10T12:00:00"), .ok)
                try await expectStatus(client, w, Self.event(w.active, "2026-06-10T13:00:00"), .badRequest)
                // Retrieval: daily aggregates per resource and dimension.
                try await client.execute(uri: "/api/usageEvents?api-version=2018-08-31&usageStartDate=2026-06-09", method: .get, headers: w.auth) { r in
                    let rows = try #require(try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [[String: Any]])
                    #expect(rows.count == 1)
                    #expect(rows[0]["submittedCount"] as? Int == 3 && rows[0]["submittedQuantity"] as? Double == 15)
                    #expect(rows[0]["reconStatus"] as? String == "Submitted" && rows[0]["usageDate"] as? String == "2026-06-10T00:00:00Z")
                }
                try await client.execute(uri: "/api/usageEvents?api-version=2018-08-31", method: .get, headers: w.auth) { #expect($0.status == .badRequest) }
            }
        }
    }

    @Test("managed applications: deployed instances are metered by resourceUri or resourceId; other publishers and deleted instances refused",
          arguments: TestBackend.available)
    func managedApplications(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend, clock: ManualClock(Self.start)) { env in
            let w = try await world(env)
            // A live Azure Application offer with a metered managed-application plan (stored directly: this test is about metering).
            let plan = Plan(id: "standard", name: "Standard", description: "Standard", pricing: .flatRate,
                            billingTerms: [BillingTerm(termUnit: .P1M, price: Money(100, "USD"))],
                            dimensions: [PlanDimension(dimensionId: "cpu-hours", pricePerUnit: Money(Decimal(string: "0.5")!, "USD"))])
            let offer = Offer(id: "contoso-vault", type: .azureManagedApplication, alias: "Vault", setup: OfferSetup(listingOption: .transact),
                              dimensions: [MeteredDimension(id: "cpu-hours", displayName: "CPU hours", unitOfMeasure: "per hour")], plans: [plan])
            try await env.catalog.repository.create(OfferRecord(publisherId: w.demo.publisherId, offerId: offer.id, type: offer.type,
                                                                state: WorkflowState(status: .live, hasBeenPreviewed: true, hasBeenLive: true), draft: offer,
                                                                preview: offer, live: offer, version: 1, createdAt: Self.start, updatedAt: Self.start),
                                                    history: [], audit: AuditContext.system.entry(ids: env.ids, clock: env.clock, publisherId: w.demo.publisherId,
                                                                                                  action: "offer.create", targetType: "offer", targetId: offer.id))
            let rival = try await AppFixture.make(env, account: try await AccountFixture.make(env, publisherId: "rival")).token(env)
            try await buildApplication(environment: env).test(.router) { client in
                let deploy = #"{"offerId":"contoso-vault","planId":"standard","customerTenantId":"\#(w.demo.customerTenantId)","name":"vault-prod"}"#
                let app = try await client.execute(uri: "/api/admin/managedApplications", method: .post, headers: w.auth, body: ByteBuffer(string: deploy)) { r in
                    #expect(r.status == .created)
                    return object(r)
                }
                let usageId = try #require(app["resourceUsageId"] as? String)
                let uri = try #require(app["resourceUri"] as? String)
                #expect(uri.hasSuffix("/providers/Microsoft.Solutions/applications/vault-prod") && uri.hasPrefix("/subscriptions/"))
                // A SaaS offer is not deployed as a managed application.
                try await client.execute(uri: "/api/admin/managedApplications", method: .post, headers: w.auth,
                                         body: ByteBuffer(string: deploy.replacingOccurrences(of: "contoso-vault", with: w.demo.offerId))) { #expect($0.status == .badRequest) }
                func managed(_ key: String, _ value: String, _ time: String, dimension: String = "cpu-hours") -> String {
                    #"{"\#(key)":"\#(value)","quantity":2.5,"dimension":"\#(dimension)","effectiveStartTime":"\#(time)","planId":"standard"}"#
                }
                // Batch by resourceUri (spec-saas §7.7), in upper case too (Azure resource IDs compare case-insensitively).
                let batch = [managed("resourceUri", uri, "2026-06-10T09:00:00"), managed("resourceUri", uri.uppercased(), "2026-06-10T10:00:00"),
                             managed("resourceUri", uri, "2026-06-10T09:10:00"), managed("resourceUri", uri, "2026-06-10T11:00:00", dimension: "emails"),
                             managed("resourceUri", uri + "-other", "2026-06-10T11:00:00")]
                try await client.execute(uri: "/api/batchUsageEvent?api-version=2018-08-31", method: .post, headers: w.auth,
                                         body: ByteBuffer(string: #"{"request":[\#(batch.joined(separator: ","))]}"#)) { r in
                    let results = try #require(object(r)["result"] as? [[String: Any]])
                    #expect(results.map { $0["status"] as? String } == ["Accepted", "Accepted", "Duplicate", "InvalidDimension", "ResourceNotFound"])
                    #expect(results[0]["resourceId"] as? String == usageId)
                }
                // Single event by resourceId (the instance's resourceUsageId).
                var (status, body, _) = try await post(client, w, managed("resourceId", usageId, "2026-06-10T11:00:00"))
                #expect(status == .ok && body["status"] as? String == "Accepted" && body["resourceUri"] as? String == uri)
                // Another publisher may not meter it.
                var rivalAuth = w.auth
                rivalAuth[.authorization] = "Bearer \(rival)"
                try await client.execute(uri: "/api/usageEvent?api-version=2018-08-31", method: .post, headers: rivalAuth,
                                         body: ByteBuffer(string: managed("resourceId", usageId, "2026-06-10T08:00:00"))) { r in
                    #expect(((object(r)["details"] as? [[String: Any]])?.first)?["code"] as? String == "ResourceNotAuthorized")
                }
                // Deleted at 12:30: the hours before still count (within 24 h), later ones don't.
                try await client.execute(uri: "/api/admin/managedApplications/\(usageId)", method: .delete, headers: w.auth) { #expect($0.status == .ok) }
                (env.clock as! ManualClock).advance(by: 3600)
                (status, body, _) = try await post(client, w, managed("resourceId", usageId, "2026-06-10T12:00:00"))
                #expect(status == .ok)
                (status, body, _) = try await post(client, w, managed("resourceUri", uri, "2026-06-10T13:00:00"))
                #expect(((body["details"] as? [[String: Any]])?.first)?["code"] as? String == "ResourceNotActive")
                try await client.execute(uri: "/api/partner/v1/managedApplications", method: .get, headers: w.auth) { r in
                    let list = try #require(object(r)["managedApplications"] as? [[String: Any]])
                    #expect(list.count == 1 && list[0]["deletedAt"] != nil)
                }
                try await client.execute(uri: "/api/partner/v1/managedApplications", method: .get, headers: rivalAuth) { r in
                    #expect((object(r)["managedApplications"] as? [[String: Any]])?.isEmpty == true)
                }
            }
        }
    }

    @Test("concurrent events share transactions (group commit) and are all stored once", arguments: TestBackend.available)
    func groupCommit(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend, clock: ManualClock(Self.start)) { env in
            let w = try await world(env)
            var subs: [String] = []
            for _ in 0..<20 {
                let p = try await env.subscriptions.purchase(.init(buyerEmail: w.demo.customerEmail, offerId: w.demo.offerId, planId: "silver"), context: .system)
                _ = try await env.subscriptions.activate(id: p.subscription.id, publisherId: w.demo.publisherId, planId: "silver", quantity: nil, context: .system)
                subs.append(p.subscription.id)
            }
            let all = subs
            let outcomes = try await withThrowingTaskGroup(of: [UsageOutcome].self) { group in
                for (i, s) in all.enumerated() {
                    for h in 0..<10 {
                        group.addTask {
                            let e = UsageEventInput(resourceId: s, quantity: Decimal(i + 1), quantityText: "\(i + 1)", dimension: "emails",
                                                    effectiveStartTime: String(format: "2026-06-10T%02d:05:00", h), planId: "silver")
                            // Each event twice: exactly one of each pair is accepted.
                            return try await env.metering.submit([e, e], publisherId: w.demo.publisherId)
                        }
                    }
                }
                return try await group.reduce(into: [UsageOutcome]()) { $0 += $1 }
            }
            #expect(outcomes.filter { $0.status == .accepted }.count == 200)
            #expect(outcomes.filter { $0.status == .duplicate }.count == 200)
            let stored = try await env.metering.usage.records(publisherId: w.demo.publisherId, from: Self.start.addingTimeInterval(-86_400), to: Self.start)
            #expect(stored.count == 200)
            let commits = await env.metering.commits()
            #expect(commits > 0 && commits < 200)
        }
    }

    @Test("while another process holds the SQLite usage writer, usage events answer 503 with Retry-After; afterwards they are stored")
    func writerHeldElsewhere() async throws {
        try await withTestEnvironment(.sqlite, clock: ManualClock(Self.start)) { env in
            let w = try await world(env)
            let other = try await Database.open(env.db.location, logger: .init(label: "other"))
            try other.claimUsageWriter()
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/usageEvent?api-version=2018-08-31", method: .post, headers: w.auth,
                                         body: ByteBuffer(string: Self.event(w.active, "2026-06-10T11:15:00"))) { r in
                    #expect(r.status == .serviceUnavailable && r.headers[.retryAfter] == "1")
                    let error = object(r)
                    #expect(error["code"] as? String == "ServiceUnavailable")
                    #expect((error["message"] as? String)?.contains(".sqlite") == false) // no server paths to the caller
                }
                try await other.close()
                let (status, body, _) = try await post(client, w, Self.event(w.active, "2026-06-10T11:15:00"))
                #expect(status == .ok && body["status"] as? String == "Accepted") // the refused event was not stored
            }
        }
    }
}
