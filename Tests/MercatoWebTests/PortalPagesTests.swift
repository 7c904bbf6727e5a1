import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoApp
import MercatoCore
import MercatoTestSupport
@testable import MercatoWeb
import Testing

/// Issue 10: the publisher portal's sign-in, role checks, CSRF, account isolation, the last-Owner rule, API secrets
/// shown once, CSV downloads; and the pure pieces (multipart, PNG sizes, form mapping, SVG escaping).
@Suite("Publisher portal")
struct PortalPagesTests {
    typealias C = CustomerPagesTests

    /// Signs a publisher user in; returns the session cookie.
    static func signIn(_ client: some TestClientProtocol, _ email: String, _ password: String) async throws -> String {
        let (csrfCookie, csrf) = try await client.execute(uri: "/portal/signin", method: .get) { r in
            (try #require(C.cookie(r, WebSecurity.csrfCookie)), try #require(C.hidden(String(buffer: r.body), "csrf")))
        }
        var headers = C.formType
        headers[.cookie] = csrfCookie
        return try await client.execute(uri: "/portal/signin", method: .post, headers: headers,
                                        body: C.form([("csrf", csrf), ("email", email), ("password", password), ("next", "/portal/offers")])) { r in
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/portal/offers")
            return try #require(C.cookie(r, "mercato_portal"))
        }
    }

    static func get(_ client: some TestClientProtocol, _ uri: String, _ cookie: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: cookie]) { r in (r.status, String(buffer: r.body)) }
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ cookie: String, _ fields: [(String, String)]) async throws -> TestResponse {
        var headers = C.formType
        headers[.cookie] = cookie
        return try await client.execute(uri: uri, method: .post, headers: headers, body: C.form(fields)) { $0 }
    }

    /// The session's CSRF token, read from any signed-in page.
    static func csrf(_ client: some TestClientProtocol, _ cookie: String) async throws -> String {
        try #require(C.hidden(try await get(client, "/portal", cookie).1, "csrf"))
    }

    @Test("realms are separate, roles gate pages with a 'you need role' page, a removed role stops at once", arguments: TestBackend.available)
    func rolesAndRealms(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let demo = try await DemoSeeder(environment: env).run()
            try await buildApplication(environment: env).test(.router) { client in
                // Not signed in: to the sign-in page, remembering where to come back to.
                try await client.execute(uri: "/portal/payouts", method: .get) { r in
                    #expect(r.status == .seeOther)
                    #expect(r.headers[.location] == "/portal/signin?next=%2Fportal%2Fpayouts")
                }
                // A customer's session opens nothing in the portal, even under the portal's cookie name.
                let (customerToken, _) = try #require(try await env.customerSignIn.signIn(email: demo.customerEmail, password: demo.customerPassword))
                #expect(try await Self.get(client, "/portal", "mercato_portal=\(customerToken)").0 == .seeOther)
                // The customer password does not sign a publisher user in; the right one does.
                #expect(try await env.publisherSignIn.signIn(email: "owner@contoso.example", password: demo.customerPassword) == nil)
                let dev = try await Self.signIn(client, "dev@contoso.example", demo.publisherPassword)
                // …and a publisher session is not a storefront session.
                let devToken = String(dev.dropFirst("mercato_portal=".count))
                #expect(try await Self.get(client, "/account/subscriptions", "mercato_session=\(devToken)").0 == .seeOther)

                let (offersStatus, offers) = try await Self.get(client, "/portal/offers", dev)
                #expect(offersStatus == .ok && offers.contains("Contoso Analytics"))
                #expect(offers.contains("id=\"new-offer\"")) // Developers manage offers
                #expect(!offers.contains("id=\"nav-payouts\""))
                let (payoutStatus, payout) = try await Self.get(client, "/portal/payouts", dev)
                #expect(payoutStatus == .forbidden)
                #expect(payout.contains("You need role Owner"))
                let (usersStatus, users) = try await Self.get(client, "/portal/account/users", dev)
                #expect(usersStatus == .forbidden && users.contains("You need role Owner or Manager"))
                // A Manager: users yes, payout profile no (GOV-RB-02).
                let manager = try await Self.signIn(client, "manager@contoso.example", demo.publisherPassword)
                #expect(try await Self.get(client, "/portal/account/users", manager).0 == .ok)
                #expect(try await Self.get(client, "/portal/account/payout", manager).0 == .forbidden)

                // The Owner takes the Developer role away: the developer's very next request is refused.
                let owner = try await Self.signIn(client, "owner@contoso.example", demo.publisherPassword)
                let token = try await Self.csrf(client, owner)
                let devUser = try #require(try await env.accounts.repository.user(publisherId: demo.publisherId, email: "dev@contoso.example"))
                // Without the CSRF token nothing changes.
                #expect(try await Self.post(client, "/portal/account/users/roles", owner, [("userId", devUser.id), ("role", "Developer"), ("change", "unassign")]).status
                    == .forbidden)
                #expect(try await Self.get(client, "/portal/offers", dev).0 == .ok)
                let r = try await Self.post(client, "/portal/account/users/roles", owner,
                                            [("csrf", token), ("userId", devUser.id), ("role", "Developer"), ("change", "unassign")])
                #expect(r.status == .seeOther)
                let (afterStatus, after) = try await Self.get(client, "/portal/offers", dev)
                #expect(afterStatus == .forbidden && after.contains("Your roles in Contoso Ltd.: none"))
            }
        }
    }

    @Test("one publisher never sees another's offers or subscriptions; the last Owner stays; secrets show once; CSV", arguments: TestBackend.available)
    func isolationAndAccount(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let demo = try await DemoSeeder(environment: env).run()
            let other = try await env.accounts.enroll(publisherId: "fabrikam", name: "Fabrikam", ownerEmail: "owner@fabrikam.example", ownerName: "Fay",
                                                      tenantName: "fabrikam.example")
            try await env.publisherSignIn.setPassword(email: "owner@fabrikam.example", scope: "fabrikam", password: "fabrikam-password", context: .system,
                                                      clock: env.clock)
            try await buildApplication(environment: env).test(.router) { client in
                let fay = try await Self.signIn(client, "owner@fabrikam.example", "fabrikam-password")
                let (status, html) = try await Self.get(client, "/portal/offers/\(demo.offerId)", fay)
                #expect(status == .notFound && html.contains("There is no offer"))
                #expect(!(try await Self.get(client, "/portal/offers", fay).1.contains("Contoso Analytics")))
                let bought = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, publisherId: demo.publisherId, offerId: demo.offerId,
                                                                        planId: "silver"), context: .system)
                #expect(try await Self.get(client, "/portal/subscriptions/\(bought.subscription.id)", fay).0 == .notFound)
                #expect(!(try await Self.get(client, "/portal/subscriptions", fay).1.contains(bought.subscription.id)))

                let owner = try await Self.signIn(client, "owner@contoso.example", demo.publisherPassword)
                #expect(try await Self.get(client, "/portal/subscriptions", owner).1.contains(bought.subscription.id))
                let token = try await Self.csrf(client, owner)
                // Remove the other Owner, then try to take the Owner role from the last one: refused, nothing changed.
                let admin = try #require(try await env.accounts.repository.user(publisherId: demo.publisherId, email: "admin@contoso.example"))
                #expect(try await Self.post(client, "/portal/account/users/remove", owner, [("csrf", token), ("userId", admin.id)]).status == .seeOther)
                let me = try #require(try await env.accounts.repository.user(publisherId: demo.publisherId, email: "owner@contoso.example"))
                let refused = try await Self.post(client, "/portal/account/users/roles", owner, [("csrf", token), ("userId", me.id), ("role", "Owner"), ("change", "unassign")])
                #expect(refused.status == .badRequest)
                #expect(String(buffer: refused.body).contains("Owner"))
                #expect(try await env.accounts.principal(forUser: me.id)?.roles.contains(.owner) == true)
                // A field error names the field.
                let bad = try await Self.post(client, "/portal/account/users/add", owner,
                                              [("csrf", token), ("email", "new@contoso.example"), ("displayName", "New"), ("role", "Developer"), ("password", "short")])
                #expect(bad.status == .badRequest && String(buffer: bad.body).contains("id=\"f-password-error\""))
                _ = other

                // An API application: the secret appears once, then only its hint.
                let created = try await Self.post(client, "/portal/account/apps", owner, [("csrf", token), ("name", "Billing bot"), ("role", "Manager")])
                #expect(created.status == .created)
                let secret = try #require(String(buffer: created.body).components(separatedBy: "id=\"new-secret\">").dropFirst().first?.prefix { $0 != "<" })
                #expect(secret.hasPrefix("mct_") && secret.count > 20)
                let app = try #require(try await env.accounts.repository.applications(publisherId: demo.publisherId).first { $0.name == "Billing bot" })
                #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: String(secret)) != nil)
                #expect(!(try await Self.get(client, "/portal/account/apps", owner).1.contains(String(secret))))

                // CSV downloads behind the same permission as their pages.
                try await client.execute(uri: "/portal/payouts.csv", method: .get, headers: [.cookie: owner]) { r in
                    #expect(r.status == .ok)
                    #expect(r.headers[.contentType] == "text/csv; charset=utf-8")
                    #expect(String(buffer: r.body).hasPrefix("\"PaymentId\",\"Month\""))
                }
                let dev = try await Self.signIn(client, "dev@contoso.example", demo.publisherPassword)
                #expect(try await Self.get(client, "/portal/invoices.csv", dev).0 == .forbidden)
            }
        }
    }

    @Test("multipart bodies, PNG sizes, CSV cells, SVG text are read and written safely")
    func pureParts() throws {
        let body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"C:\\\\temp\\\\aud.csv\"\r\nContent-Type: text/csv\r\n\r\nID,Description,Type\r\n\r\n--XyZ--\r\n".utf8)
        let form = try #require(MultipartForm.parse(body, boundary: "XyZ"))
        #expect(form.fields["csrf"] == "abc")
        #expect(form.files["csv"]?.fileName == "aud.csv") // only the base name
        #expect(String(decoding: form.files["csv"]?.bytes ?? [], as: UTF8.self) == "ID,Description,Type\r\n")
        #expect(MultipartForm.parse(Array("no boundary here".utf8), boundary: "XyZ") == nil)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        png += [0, 0, 5, 0, 0, 0, 2, 208] // 1280 × 720
        #expect(PNGInfo.size(png)! == (1280, 720))
        #expect(PNGInfo.size(Array("%PDF-1.4 not a png at all".utf8)) == nil)

        #expect(PortalController.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        let svg = SVGChart.bars(title: "t<script>", points: [.init("<b>", 3), .init("b", 1)]) { "\($0)" }
        #expect(!svg.contains("<script>") && !svg.contains("<b>") && svg.contains("&lt;b&gt;"))
        #expect(svg.components(separatedBy: "<rect").count == 3)
        let empty = SVGChart.bars(title: "none", points: [.init("a", 0), .init("b", 0)]) { "\($0)" }
        #expect(empty.contains("No data yet") && !empty.contains("<rect"))
    }

    @Test("plan form: values map to the plan; bad numbers and validator issues land on their fields")
    func planForm() throws {
        let offer = Offer(id: "o", type: .saas, alias: "O", setup: OfferSetup(listingOption: .transact),
                          dimensions: [MeteredDimension(id: "emails", displayName: "Emails", unitOfMeasure: "per email")],
                          plans: [Plan(id: "basic", name: "Basic", pricing: .flatRate, billingTerms: [])])
        var plan = offer.plans[0]
        var errors: [String: String] = [:]
        PlanForm.apply(["name": "Basic", "markets": "us, gb", "pricing.kind": "FlatRate", "price.P1M": "10.50", "dim.emails.enabled": "yes",
                        "dim.emails.price": "0.01", "dim.emails.includedMonthly": "unlimited"], to: &plan, offer: offer, errors: &errors)
        #expect(errors.isEmpty)
        #expect(plan.markets == ["US", "GB"])
        #expect(plan.billingTerms.map(\.price) == [Money(Decimal(string: "10.50")!, "USD")])
        #expect(plan.dimensions.first?.includedMonthly == .unlimited)
        PlanForm.apply(["price.P1M": "ten", "dim.emails.enabled": "yes", "dim.emails.price": "1", "dim.emails.includedAnnual": "-3"], to: &plan, offer: offer, errors: &errors)
        #expect(errors["price.P1M"] != nil && errors["dim.emails.includedAnnual"] != nil)
        var priced = plan
        priced.billingTerms = [BillingTerm(termUnit: .P1Y, price: Money(1, "USD"))]
        let mapped = PlanForm.errors([ValidationIssue(.planOverview, "plans[0].billingTerms[0].price.amount", "must not be negative"),
                                      ValidationIssue(.planOverview, "plans[0].markets[1]", "'XX' is not a market")], planIndex: 0, plan: priced)
        #expect(mapped["price.P1Y"] == "Must not be negative.")
        #expect(mapped["markets"] != nil)
        var fields = PlanForm.fields(priced, offer: offer)
        let (_, left) = OfferForms.place(mapped.merging(["somewhere.else": "x"]) { a, _ in a }, in: &fields)
        #expect(fields.first { $0.name == "price.P1Y" }?.fieldError == "Must not be negative.")
        #expect(left == ["somewhere.else": "x"])
    }
}
