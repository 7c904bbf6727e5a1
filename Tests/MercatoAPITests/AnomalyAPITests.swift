import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

@Suite("Usage anomalies API")
struct AnomalyAPITests {
    @Test("a spike is flagged by the detector, listed, marked with corrected usage, and final", arguments: TestBackend.available)
    func flow(_ backend: TestBackend) async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-02-01T10:00:00Z")!)
        try await withTestEnvironment(backend, clock: clock) { env in
            let demo = try await DemoSeeder(environment: env).run()
            let token = try await AppFixture.token(env, tenantId: demo.tenantId, clientId: demo.clientId, secret: demo.clientSecret)
            let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let p = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver", autoRenew: true), context: .system)
            _ = try await env.subscriptions.activate(id: p.subscription.id, publisherId: demo.publisherId, planId: "silver", quantity: nil, context: .system)
            // 20 ordinary days of ~10,000 emails, then a day of 100,000.
            for day in 0..<21 {
                let q: Decimal = day == 20 ? 100_000 : 10_000 + Decimal(day % 4) * 100
                let at = FulfillmentWire.dateTime.string(from: clock.now().addingTimeInterval(-3600))
                let out = try await env.metering.submit([UsageEventInput(resourceId: p.subscription.id, quantity: q, quantityText: "\(q)", dimension: "emails",
                                                                         effectiveStartTime: at, planId: "silver")], publisherId: demo.publisherId)
                #expect(out[0].status == .accepted)
                clock.advance(by: 86_400)
                try await env.subscriptions.processDue() // renewals keep the subscription active
            }
            try await buildApplication(environment: env).test(.router) { client in
                let id = try await client.execute(uri: "/api/admin/anomalies/detect", method: .post, headers: auth) { r in
                    #expect(r.status == .ok)
                    let flagged = try #require((try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])?["flagged"] as? [[String: Any]])
                    #expect(flagged.count == 1)
                    return try #require(flagged.first?["id"] as? String)
                }
                // Detection is idempotent.
                try await client.execute(uri: "/api/admin/anomalies/detect", method: .post, headers: auth) { r in
                    let again = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                    #expect((again?["flagged"] as? [Any])?.isEmpty == true)
                }
                try await client.execute(uri: "/api/partner/v1/anomalies", method: .get, headers: auth) { r in
                    let list = try #require((try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])?["anomalies"] as? [[String: Any]])
                    #expect(list.count == 1 && list[0]["state"] as? String == "Flagged" && list[0]["dimension"] as? String == "emails")
                    #expect((list[0]["estimatedFinancialImpact"] as? [String: Any])?["amount"] as? String == "898.50") // (100,000 − 10,150) × $0.01
                }
                try await client.execute(uri: "/api/partner/v1/anomalies/\(id)/markAnomaly", method: .post, headers: auth,
                                         body: ByteBuffer(string: #"{"newReportedUsage":150000}"#)) { #expect($0.status == .badRequest) }
                try await client.execute(uri: "/api/partner/v1/anomalies/\(id)/markAnomaly", method: .post, headers: auth,
                                         body: ByteBuffer(string: #"{"newReportedUsage":10000}"#)) { r in
                    #expect(r.status == .ok)
                    let a = try #require(try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])
                    #expect(a["state"] as? String == "MarkedAnomaly")
                    #expect((a["creditRequested"] as? [String: Any])?["amount"] as? String == "900.00")
                }
                try await client.execute(uri: "/api/partner/v1/anomalies/\(id)/markNotAnomaly", method: .post, headers: auth,
                                         body: ByteBuffer(string: #"{"reason":"it was real"}"#)) { #expect($0.status == .conflict) }
            }
            #expect(try await env.audit.records(publisherId: demo.publisherId, afterSequence: 0, limit: 1000).contains { $0.entry.action == "anomaly.markAnomaly" })
        }
    }
}
