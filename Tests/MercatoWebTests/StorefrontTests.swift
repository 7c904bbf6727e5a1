import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MercatoApp
import MercatoCore
import MercatoTestSupport
import MercatoWeb
import Testing

@Suite("Storefront pages")
struct StorefrontTests {
    @Test("descriptions keep only the allowed tags, without attributes; everything else is text")
    func safeHTML() {
        #expect(SafeHTML.render("<p><b>Bold</b> & <i>it</i><br/></p>") == "<p><b>Bold</b> &amp; <i>it</i><br></p>")
        #expect(SafeHTML.render("<p onclick=\"x()\">hi</p>") == "&lt;p onclick=&quot;x()&quot;&gt;hi</p>")
        #expect(SafeHTML.render("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
        #expect(SafeHTML.render("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;")
    }

    @Test("home, search with filters, offer page in the visitor's market; private plans hidden; readable errors")
    func pages() async throws {
        try await withTestEnvironment { env in
            let demo = try await DemoSeeder(environment: env).run()
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/", method: .get) { r in
                    #expect(r.status == .ok)
                    #expect(r.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                    let html = String(buffer: r.body)
                    #expect(html.contains("<a href=\"/offers/\(demo.publisherId)/\(demo.offerId)\">Contoso Analytics</a>"))
                    #expect(html.contains("From 100.00 USD per user per year, paid upfront")) // the lowest price per month among all plans and terms
                    #expect(html.contains("<label for=\"site-q\""))
                }
                try await client.execute(uri: "/search?q=dashboards&pricing=PerUser&trial=true", method: .get) { r in
                    let html = String(buffer: r.body)
                    #expect(html.contains("1 offer"))
                    #expect(html.contains("<option value=\"PerUser\" selected>Per user</option>"))
                }
                try await client.execute(uri: "/search?q=nothing-matches-this", method: .get) { r in
                    #expect(String(buffer: r.body).contains("0 offers"))
                }
                try await client.execute(uri: "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", method: .get) { r in
                    let html = String(buffer: r.body)
                    #expect(!html.contains("<script>alert(1)"))
                    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                }
                try await client.execute(uri: "/search?type=Spaceship", method: .get) { r in
                    #expect(r.status == .badRequest)
                    #expect(String(buffer: r.body).contains("There is no offer type"))
                }
                try await client.execute(uri: "/offers/\(demo.publisherId)/\(demo.offerId)?market=JP", method: .get) { r in
                    #expect(r.status == .ok)
                    let html = String(buffer: r.body)
                    #expect(html.contains("<option value=\"JP\" selected>"))
                    #expect(html.contains("JPY per month")) // prices in the market's currency
                    #expect(!html.contains("Northwind Enterprise")) // a private plan, hidden from anonymous visitors
                    #expect(html.contains("<p><b>Contoso Analytics</b> turns your sales data into dashboards.</p>"))
                }
                try await client.execute(uri: "/offers/\(demo.publisherId)/no-such-offer", method: .get) { r in
                    #expect(r.status == .notFound)
                    #expect(String(buffer: r.body).contains("Offer not found"))
                }
                try await client.execute(uri: "/static/site.css", method: .get) { r in
                    #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/css") == true)
                }
            }
        }
    }
}
