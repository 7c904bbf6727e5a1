import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// The public storefront pages (issue 9, first slice): home with featured offers and categories, search with filters,
/// and the offer page with plans and prices in the visitor's chosen market. Anonymous visitors see public plans only.
public struct StorefrontController: Sendable {
    let catalog: any CatalogRepository
    let clock: any MarketplaceClock
    let pages: PageRenderer
    let security: WebSecurity

    public init(catalog: any CatalogRepository, clock: any MarketplaceClock, pages: PageRenderer, security: WebSecurity) {
        self.catalog = catalog
        self.clock = clock
        self.pages = pages
        self.security = security
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { r, _ in try await home(r) }
        router.get("/search") { r, _ in try await search(r) }
        router.get("/offers/{publisherId}/{offerId}") { r, c in try await offer(r, publisherId: c.parameters.get("publisherId") ?? "", offerId: c.parameters.get("offerId") ?? "") }
        router.get("/static/site.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: PageRenderer.stylesheet)))
        }
    }

    /// HTML with the headers every page carries: no framing, no sniffing, scripts and styles only from this origin.
    /// `formTargets`: other origins a form on the page may lead to (the buy form redirects to the publisher's landing
    /// page, and browsers apply form-action to the redirect too).
    public static func html(_ body: String, status: HTTPResponse.Status = .ok, formTargets: [String] = []) -> Response {
        let extra = Set(formTargets.compactMap(origin)).sorted().map { " " + $0 }.joined()
        return Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'\(extra)",
            .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin", HTTPField.Name("X-Frame-Options")!: "DENY",
        ], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// scheme://host[:port] of a URL, for CSP source lists (nil for anything that is not plain http(s)).
    static func origin(_ url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = c.host, !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) else { return nil }
        return "\(scheme)://\(host)\(c.port.map { ":\($0)" } ?? "")"
    }

    func errorPage(_ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        Self.html(pages.error(ErrorPage(heading: heading, message: message)), status: status)
    }

    func home(_ r: Request) async throws -> Response {
        let visit = try await security.visit(r)
        let now = clock.now()
        let entries = CatalogSearch.search(try await catalog.publishedOffers(), CatalogQuery())
        let categories = Taxonomy.azureMarketplaceSaaS.keys.sorted().map { HomePage.CategoryLink(key: $0, label: Self.label($0)) }
        return Self.html(pages.home(HomePage(viewer: visit.viewer, featured: entries.prefix(12).map { StorefrontModels.card($0, now: now) }, categories: categories)))
            .with(cookies: visit.setCookies, private: visit.session != nil)
    }

    static func label(_ key: String) -> String {
        key.replacingOccurrences(of: "-", with: " ").prefix(1).uppercased() + key.replacingOccurrences(of: "-", with: " ").dropFirst()
    }

    func search(_ r: Request) async throws -> Response {
        let visit = try await security.visit(r)
        let q = r.uri.queryParameters
        func param(_ name: String) -> String? { q.get(name).map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 } }
        let text = param("q")
        guard (text?.count ?? 0) <= 200 else { return errorPage(.badRequest, "Search too long", "Search for at most 200 characters.") }
        var type: OfferType?
        if let t = param("type") {
            guard let parsed = OfferType(rawValue: t) else { return errorPage(.badRequest, "Unknown offer type", "There is no offer type '\(t)'. Choose one from the list.") }
            type = parsed
        }
        var pricing: PricingModel.Kind?
        if let p = param("pricing") {
            guard let parsed = PricingModel.Kind(rawValue: p) else { return errorPage(.badRequest, "Unknown pricing model", "There is no pricing model '\(p)'. Choose one from the list.") }
            pricing = parsed
        }
        let category = param("category")
        let trialOnly = param("trial") == "true"
        let now = clock.now()
        let hits = CatalogSearch.search(try await catalog.publishedOffers(),
                                        CatalogQuery(text: text, type: type, category: category, pricingModel: pricing, freeTrial: trialOnly ? true : nil))
        let page = SearchPage(
            viewer: visit.viewer, title: text.map { "Search: \($0)" } ?? "Search", query: text ?? "",
            heading: text.map { "Results for “\($0)”" } ?? "All offers",
            countText: hits.count == 1 ? "1 offer" : "\(hits.count) offers",
            results: hits.map { StorefrontModels.card($0, now: now) },
            types: OfferType.allCases.map { SelectOption(value: $0.rawValue, label: StorefrontModels.typeLabel($0), selected: $0 == type) },
            categories: Taxonomy.azureMarketplaceSaaS.keys.sorted().map { SelectOption(value: $0, label: Self.label($0), selected: $0 == category) },
            pricings: PricingModel.Kind.allCases.map { SelectOption(value: $0.rawValue, label: StorefrontModels.pricingLabel($0), selected: $0 == pricing) },
            trialOnly: trialOnly)
        return Self.html(pages.search(page)).with(cookies: visit.setCookies, private: visit.session != nil)
    }

    func offer(_ r: Request, publisherId: String, offerId: String) async throws -> Response {
        let visit = try await security.visit(r)
        guard let record = try await catalog.offer(publisherId: publisherId, offerId: offerId),
              let (offer, isPreview) = CatalogSearch.visibleOffer(record, viewerTenantId: visit.session?.tenantId, viewerEmail: visit.session?.email) else {
            return errorPage(.notFound, "Offer not found", "There is no offer '\(offerId)' by '\(publisherId)' on the marketplace, or it is no longer available.")
        }
        let entry = CatalogEntry(publisherId: publisherId, offer: offer, isPreview: isPreview, score: 0)
        var page = StorefrontModels.offerPage(entry, market: r.uri.queryParameters.get("market").map { String($0) }, now: clock.now())
        page.viewer = visit.viewer
        page.csrf = visit.csrf
        // Private plans are shown to their audience only (signed in); everyone else sees public plans.
        return Self.html(pages.offer(page)).with(cookies: visit.setCookies, private: visit.session != nil)
    }
}
