import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoApp
import MercatoAuth
import MercatoCore
import MercatoTestSupport
import MercatoWeb
import Testing

/// Issue 9: sign-in with sessions and CSRF, the buy flow to the landing page, My subscriptions, Contact me leads.
@Suite("Customer pages")
struct CustomerPagesTests {
    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.0)=\(FormEncoding.escape($0.1))" }.joined(separator: "&"))
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func cookie(_ r: TestResponse, _ name: String) -> String? {
        r.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }.map { String($0.split(separator: ";")[0]) }
    }

    static func hidden(_ html: String, _ name: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("sign in, buy with field errors then success, see it pending, CSRF enforced, other tenants see nothing", arguments: TestBackend.available)
    func buyFlow(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let demo = try await DemoSeeder(environment: env).run()
            try await buildApplication(environment: env).test(.router) { client in
                // Anonymous: a CSRF cookie and token on the sign-in page; a POST without them is refused.
                let (csrfCookie, csrf) = try await client.execute(uri: "/signin", method: .get) { r in
                    #expect(r.status == .ok)
                    let c = try #require(Self.cookie(r, WebSecurity.csrfCookie))
                    #expect(r.headers[values: .setCookie].first?.contains("HttpOnly") == true)
                    return (c, try #require(Self.hidden(String(buffer: r.body), "csrf")))
                }
                try await client.execute(uri: "/signin", method: .post, headers: Self.formType,
                                         body: Self.form([("email", demo.customerEmail), ("password", demo.customerPassword)])) { r in
                    #expect(r.status == .forbidden)
                    #expect(String(buffer: r.body).contains("This form has expired"))
                }
                var headers = Self.formType
                headers[.cookie] = csrfCookie
                try await client.execute(uri: "/signin", method: .post, headers: headers, body: Self.form([("csrf", csrf), ("email", "not-an-email"), ("password", "")])) { r in
                    #expect(r.status == .badRequest)
                    let html = String(buffer: r.body)
                    #expect(html.contains("id=\"email-error\""))
                    #expect(html.contains("Enter your password."))
                }
                try await client.execute(uri: "/signin", method: .post, headers: headers,
                                         body: Self.form([("csrf", csrf), ("email", demo.customerEmail), ("password", "wrong-password-1")])) { r in
                    #expect(r.status == .unauthorized)
                    #expect(String(buffer: r.body).contains("id=\"signin-error\""))
                }
                let session = try await client.execute(uri: "/signin", method: .post, headers: headers,
                                                       body: Self.form([("csrf", csrf), ("email", demo.customerEmail), ("password", demo.customerPassword),
                                                                        ("next", "//evil.example/")])) { r in
                    #expect(r.status == .seeOther)
                    #expect(r.headers[.location] == "/account/subscriptions") // an off-site next is refused
                    let set = try #require(r.headers[values: .setCookie].first { $0.hasPrefix("mercato_session") })
                    #expect(set.contains("HttpOnly") && set.contains("SameSite=Lax"))
                    return try #require(Self.cookie(r, "mercato_session"))
                }
                var signedIn = Self.formType
                signedIn[.cookie] = session
                let buyURL = "/offers/\(demo.publisherId)/\(demo.offerId)/buy"
                let token = try await client.execute(uri: buyURL + "?plan=silver", method: .get, headers: signedIn) { r in
                    #expect(r.status == .ok)
                    let html = String(buffer: r.body)
                    #expect(html.contains("value=\"silver\" checked"))
                    #expect(html.contains(demo.customerEmail)) // the header shows who is signed in
                    return try #require(Self.hidden(html, "csrf"))
                }
                // Per-seat plan without seats and without accepting the terms: field-level errors, nothing bought.
                try await client.execute(uri: buyURL, method: .post, headers: signedIn, body: Self.form([("csrf", token), ("plan", "per-seat"), ("term", "P1M")])) { r in
                    #expect(r.status == .badRequest)
                    let html = String(buffer: r.body)
                    #expect(html.contains("id=\"seats-error\""))
                    #expect(html.contains("id=\"accept-error\""))
                }
                #expect(try await env.subscriptions.repository.subscriptions(customerTenantId: demo.customerTenantId).isEmpty)
                // The session's CSRF token is required (the anonymous one does not do).
                try await client.execute(uri: buyURL, method: .post, headers: signedIn,
                                         body: Self.form([("csrf", csrf), ("plan", "silver"), ("term", "P1M"), ("accept", "yes")])) { r in
                    #expect(r.status == .forbidden)
                }
                let landing = try await client.execute(uri: buyURL, method: .post, headers: signedIn,
                                                       body: Self.form([("csrf", token), ("plan", "silver"), ("term", "P1M"), ("accept", "yes")])) { r in
                    #expect(r.status == .seeOther)
                    return try #require(r.headers[.location])
                }
                #expect(landing.hasPrefix(DemoCatalog.sampleAppURL + "/landing?token="))
                let bought = try #require(try await env.subscriptions.repository.subscriptions(customerTenantId: demo.customerTenantId).first)
                #expect(bought.status == .pendingFulfillmentStart && bought.planId == "silver")
                // The landing token resolves to the new subscription (what the publisher's app does next).
                let raw = try #require(URLComponents(string: landing)?.queryItems?.first { $0.name == "token" }?.value)
                let resolved = try await env.subscriptions.resolve(token: raw, publisherId: demo.publisherId)
                #expect(resolved.id == bought.id)
                try await client.execute(uri: "/account/subscriptions", method: .get, headers: signedIn) { r in
                    let html = String(buffer: r.body)
                    #expect(html.contains("Pending fulfillment"))
                    #expect(html.contains("Configure account"))
                    #expect(r.headers[.cacheControl] == "no-store")
                }
                // A purchase is an INS lead for the publisher.
                let leads = try await env.leads.leads(publisherId: demo.publisherId)
                #expect(leads.map(\.actionCode) == ["INS"])
                #expect(leads.first?.leadSource == "AzureMarketplace-INS | \(demo.publisherId).\(demo.offerId)")
                // Another customer signed in sees none of it.
                _ = try await env.accounts.registerCustomer(tenantId: nil, name: "Fabrikam", userEmail: "eve@fabrikam.example", userName: "Eve", context: .system)
                try await env.customerSignIn.setPassword(email: "eve@fabrikam.example", password: "correct horse battery", context: .system, clock: env.clock)
                let signedInEve = try await env.customerSignIn.signIn(email: "eve@fabrikam.example", password: "correct horse battery")
                let eveToken = try #require(signedInEve?.token)
                var eve = Self.formType
                eve[.cookie] = "\("mercato_session")=\(eveToken)"
                try await client.execute(uri: "/account/subscriptions/\(bought.id)", method: .get, headers: eve) { r in
                    #expect(r.status == .notFound)
                }
                try await client.execute(uri: "/account/subscriptions", method: .get, headers: eve) { r in
                    #expect(!String(buffer: r.body).contains(bought.id))
                }
                // Signed out: account pages send you to sign in.
                try await client.execute(uri: "/account/subscriptions", method: .get) { r in
                    #expect(r.status == .seeOther)
                    #expect(r.headers[.location] == "/signin?next=%2Faccount%2Fsubscriptions")
                }
            }
        }
    }

    @Test("Contact me: field-level errors, then a PLT lead with the §7.4 body; .edu leads carry no personal data")
    func contactMe() async throws {
        try await withTestEnvironment { env in
            let demo = try await DemoSeeder(environment: env).run()
            try await buildApplication(environment: env).test(.router) { client in
                let offerURL = "/offers/\(demo.publisherId)/\(demo.offerId)"
                let (cookie, csrf) = try await client.execute(uri: offerURL, method: .get) { r in
                    (try #require(Self.cookie(r, WebSecurity.csrfCookie)), try #require(Self.hidden(String(buffer: r.body), "csrf")))
                }
                var headers = Self.formType
                headers[.cookie] = cookie
                try await client.execute(uri: offerURL + "/contact", method: .post, headers: headers,
                                         body: Self.form([("csrf", csrf), ("firstName", "Ada"), ("email", "ada@"), ("country", "USA")])) { r in
                    #expect(r.status == .badRequest)
                    let html = String(buffer: r.body)
                    for field in ["lastName", "email", "company", "country"] { #expect(html.contains("id=\"contact-\(field)-error\"")) }
                    #expect(html.contains("id=\"contact-consent-error\""))
                    #expect(html.contains("value=\"Ada\"")) // what was typed is kept
                }
                #expect(try await env.leads.leads(publisherId: demo.publisherId).isEmpty)
                try await client.execute(uri: offerURL + "/contact", method: .post, headers: headers,
                                         body: Self.form([("csrf", csrf), ("firstName", "Ada"), ("lastName", "Lovelace"), ("email", "Ada@Analytical.example"),
                                                          ("company", "Analytical Engines"), ("country", "gb"), ("consent", "yes")])) { r in
                    #expect(r.status == .ok)
                    #expect(String(buffer: r.body).contains("id=\"contact-sent\""))
                }
                let lead = try #require(try await env.leads.leads(publisherId: demo.publisherId).first)
                #expect(lead.actionCode == "PLT")
                #expect(lead.userDetails == Lead.UserDetails(FirstName: "Ada", LastName: "Lovelace", Email: "ada@analytical.example", Country: "GB",
                                                             Company: "Analytical Engines"))
                #expect(lead.status == .notConfigured) // the demo offer has no lead endpoint unless asked
                let body = try JSONSerialization.jsonObject(with: Data(lead.endpointPayload.utf8)) as? [String: Any]
                #expect(body?["ActionCode"] as? String == "PLT")
                #expect((body?["UserDetails"] as? [String: Any])?["Company"] as? String == "Analytical Engines")
                #expect(body?["OfferTitle"] as? String == "Contoso Analytics")
            }
            let edu = Lead(id: "x", publisherId: "p", offerId: "o", offerTitle: "O", actionCode: "PLT", description: "",
                           userDetails: .init(FirstName: "S", Email: "s@uni.edu", Country: "US"), createdAt: Date(), endpoint: nil)
            #expect(edu.userDetails == Lead.UserDetails(Country: "US"))
        }
    }
}

@Suite("Customer passwords")
struct PasswordHasherTests {
    @Test("a wrong password never verifies, at the test round count and the default; hashes are salted")
    func wrongPasswordFails() {
        for rounds in [1000, 210_000] {
            let hasher = MercatoAuth.PasswordHasher(rounds: rounds)
            let stored = hasher.hash("correct horse battery")
            #expect(stored.hasPrefix("pbkdf2-sha256$\(rounds)$"))
            #expect(hasher.verify("correct horse battery", against: stored))
            #expect(!hasher.verify("correct horse batterx", against: stored))
            #expect(!hasher.verify("", against: stored))
            #expect(hasher.hash("correct horse battery") != stored)
        }
        #expect(!MercatoAuth.PasswordHasher(rounds: 1000).verify("x", against: "pbkdf2-sha256$10$AAAA$AAAA")) // too few rounds: refused
    }
}
