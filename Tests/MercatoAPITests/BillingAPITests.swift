import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

@Suite("Billing and payouts API")
struct BillingAPITests {
    static func json(_ r: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])
    }

    @Test("profiles in order, statements, invoices as JSON and HTML, the report as CSV; roles and publishers kept apart", arguments: TestBackend.available)
    func flow(_ backend: TestBackend) async throws {
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2026-03-10T09:00:00Z")!)
        try await withTestEnvironment(backend, clock: clock, configure: { $0.sandbox = true }) { env in
            let demo = try await DemoSeeder(environment: env).run()
            let owner = Principal(kind: .user, id: "owner", publisherId: demo.publisherId, roles: [.owner])
            let ownerApp = try await env.accounts.createApplication(by: owner, publisherId: demo.publisherId, name: "Finance", roles: [.owner], context: .system)
            let ownerToken = try await AppFixture.token(env, tenantId: ownerApp.application.tenantId, clientId: ownerApp.application.clientId, secret: ownerApp.secret)
            let managerToken = try await AppFixture.token(env, tenantId: demo.tenantId, clientId: demo.clientId, secret: demo.clientSecret)
            let other = try await AccountFixture.make(env, publisherId: "fabrikam")
            let otherApp = try await AppFixture.make(env, account: other, roles: [.owner])
            let otherToken = try await otherApp.token(env)
            let auth: @Sendable (String) -> HTTPFields = { t in [.authorization: "Bearer \(t)", .contentType: "application/json"] }
            let p = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "team-pro", quantity: 10), context: .system)
            _ = try await env.subscriptions.activate(id: p.subscription.id, publisherId: demo.publisherId, planId: "team-pro", quantity: 10, context: .system)
            try await buildApplication(environment: env).test(.router) { client in
                // GOV-ACC-06: payout profile before tax profile → 409; bad country → 400 naming the field.
                try await client.execute(uri: "/api/partner/v1/payout/payoutProfile", method: .put, headers: auth(ownerToken),
                                         body: ByteBuffer(string: #"{"method":"Bank","accountHolderName":"Contoso Ltd","country":"US","currency":"USD","accountNumber":"ACCT0001234"}"#)) { r in
                    #expect(r.status == .conflict)
                }
                try await client.execute(uri: "/api/partner/v1/payout/taxProfile", method: .put, headers: auth(ownerToken),
                                         body: ByteBuffer(string: #"{"countryOfResidence":"USA","entityType":"Company","taxForm":"W-9"}"#)) { r in
                    #expect(r.status == .badRequest)
                    let target = try Self.json(r)["target"] as? String
                    #expect(target == "countryOfResidence")
                }
                try await client.execute(uri: "/api/partner/v1/payout/taxProfile", method: .put, headers: auth(ownerToken),
                                         body: ByteBuffer(string: #"{"countryOfResidence":"US","entityType":"Company","taxForm":"W-9"}"#)) { #expect($0.status == .ok) }
                try await client.execute(uri: "/api/partner/v1/payout/payoutProfile", method: .put, headers: auth(ownerToken),
                                         body: ByteBuffer(string: #"{"method":"Bank","accountHolderName":"Contoso Ltd","country":"US","currency":"USD","accountNumber":"ACCT0001234"}"#)) { r in
                    #expect(r.status == .ok)
                    let body = try Self.json(r)
                    #expect((body["payoutProfile"] as? [String: Any])?["accountNumber"] as? String == "••••1234")
                    #expect(body["payoutsBlockedBy"] == nil)
                    #expect(!String(buffer: r.body).contains("ACCT0001234"))
                }
                // A Manager is refused payouts with the role it needs (GOV-RB-02).
                try await client.execute(uri: "/api/partner/v1/payouts", method: .get, headers: auth(managerToken)) { r in
                    #expect(r.status == .forbidden)
                    let message = try Self.json(r)["message"] as? String
                    #expect(message?.contains("Owner") == true)
                }
                // Two months on the clock: March is invoiced on Apr 1, its earnings ordered on May 5.
                try await client.execute(uri: "/api/admin/clock", method: .post, headers: auth(managerToken), body: ByteBuffer(string: #"{"advance":"60d"}"#)) {
                    #expect($0.status == .ok)
                }
                let invoiceId = try await client.execute(uri: "/api/partner/v1/invoices", method: .get, headers: auth(ownerToken)) { r in
                    #expect(r.status == .ok)
                    let list = try #require(try Self.json(r)["invoices"] as? [[String: Any]])
                    #expect(list.first?["total"] as? String == "150.00") // 10 seats × $15.00
                    #expect(list.first?["status"] as? String == "Paid")
                    return try #require(list.first?["id"] as? String)
                }
                try await client.execute(uri: "/api/partner/v1/invoices/\(invoiceId)?format=html", method: .get, headers: auth(ownerToken)) { r in
                    #expect(r.status == .ok)
                    #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                    #expect(String(buffer: r.body).contains("150.00 USD"))
                }
                try await client.execute(uri: "/api/partner/v1/invoices/\(invoiceId)", method: .get, headers: auth(otherToken)) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/api/partner/v1/payouts", method: .get, headers: auth(ownerToken)) { r in
                    let payments = try #require(try Self.json(r)["payments"] as? [[String: Any]])
                    #expect(payments.first?["paymentStatus"] as? String == "Upcoming")
                    #expect(payments.first?["earned"] as? String == "145.50")
                }
                try await client.execute(uri: "/api/partner/v1/payouts", method: .get, headers: auth(otherToken)) { r in
                    let payments = try Self.json(r)["payments"] as? [Any]
                    #expect(payments?.isEmpty == true)
                }
                try await client.execute(uri: "/api/partner/v1/payouts/transactions?format=csv", method: .get, headers: auth(ownerToken)) { r in
                    #expect(r.headers[.contentType]?.hasPrefix("text/csv") == true)
                    let lines = String(buffer: r.body).split(separator: "\r\n")
                    #expect(lines.first?.hasPrefix("earningId,") == true)
                    #expect(lines.count == 3) // header + March + April
                    #expect(lines[1].contains(invoiceId) && lines[1].contains("Upcoming"))
                }
                try await client.execute(uri: "/api/partner/v1/payouts/transactions?format=xml", method: .get, headers: auth(ownerToken)) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }
}
