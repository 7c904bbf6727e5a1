import Foundation
import MercatoCore
import MercatoWeb
import Testing

@Suite("Invoice page")
struct InvoicePageTests {
    static func invoice(description: String) -> Invoice {
        let c = BillingCharge(key: "rec:s:20260301:1", kind: .recurring, publisherId: "p", offerId: "contoso-analytics", planId: "silver", subscriptionId: "s",
                              customerTenantId: "t", market: "JP", currency: "JPY", amountMinor: 7_497, quantity: "1", description: description,
                              occurredAt: Date(timeIntervalSince1970: 1_772_323_200))
        return Invoice(id: "INV-202603-ABC", customerTenantId: "t", period: "2026-03", currency: "JPY", issuedAt: Date(timeIntervalSince1970: 1_775_001_600),
                       totalMinor: 7_497, status: .due, paidAt: nil, lines: [InvoiceLine(lineItemId: "line-1", charge: c)])
    }

    @Test("renders every line, the total in the currency's minor unit, and the status")
    func renders() throws {
        let html = try PageRenderer().invoice(InvoicePage(Self.invoice(description: "Silver, P1M term")))
        #expect(html.contains("<title>Invoice INV-202603-ABC – Mercato</title>"))
        #expect(html.contains("<td class=\"num\">7497</td>")) // JPY has no minor unit
        #expect(html.contains("7497 JPY"))
        #expect(html.contains("class=\"status due\">Due<"))
        #expect(html.contains("line line-1"))
        #expect(html.contains("2026-03-01"))
    }

    @Test("escapes what came from publishers and customers")
    func escapes() throws {
        let html = try PageRenderer().invoice(InvoicePage(Self.invoice(description: "<script>alert('x')</script> & \"co\"")))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"))
    }
}
