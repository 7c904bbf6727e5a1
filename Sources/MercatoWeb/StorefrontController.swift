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

    public init(catalog: any CatalogRepository, clock: any MarketplaceClock, pages: PageRenderer) {
        self.catalog = catalog
        self.clock = clock
        self.pages = pages
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/") { _, _ in try await home() }
        router.get("/search") { r, _ in try await search(r) }
        router.get("/offers/{publisherId}/{offerId}") { r, c in try await offer(r, publisherId: c.parameters.get("publisherId") ?? "", offerId: c.parameters.get("offerId") ?? "") }
        router.get("/static/site.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: PageRenderer.stylesheet)))
        }
    }

    /// HTML with the headers every page carries: no framing, no sniffing, scripts and styles only from this origin.
    public static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
            .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin", HTTPField.Name("X-Frame-Options")!: "DENY",
        ], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func errorPage(_ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        Self.html(pages.error(ErrorPage(heading: heading, message: message)), status: status)
    }

    func home() async throws -> Response {
        let now = clock.now()
        let entries = CatalogSearch.search(try await catalog.publishedOffers(), CatalogQuery())
        let categories = Taxonomy.azureMarketplaceSaaS.keys.sorted().map { HomePage.CategoryLink(key: $0, label: Self.label($0)) }
        return Self.html(pages.home(HomePage(featured: entries.prefix(12).map { StorefrontModels.card($0, now: now) }, categories: categories)))
    }

    static func label(_ key: String) -> String {
        key.replacingOccurrences(of: "-", with: " ").prefix(1).uppercased() + key.replacingOccurrences(of: "-", with: " ").dropFirst()
    }

    func search(_ r: Request) async throws -> Response {
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
            title: text.map { "Search: \($0)" } ?? "Search", query: text ?? "",
            heading: text.map { "Results for “\($0)”" } ?? "All offers",
            countText: hits.count == 1 ? "1 offer" : "\(hits.count) offers",
            results: hits.map { StorefrontModels.card($0, now: now) },
            types: OfferType.allCases.map { SelectOption(value: $0.rawValue, label: StorefrontModels.typeLabel($0), selected: $0 == type) },
            categories: Taxonomy.azureMarketplaceSaaS.keys.sorted().map { SelectOption(value: $0, label: Self.label($0), selected: $0 == category) },
            pricings: PricingModel.Kind.allCases.map { SelectOption(value: $0.rawValue, label: StorefrontModels.pricingLabel($0), selected: $0 == pricing) },
            trialOnly: trialOnly)
        return Self.html(pages.search(page))
    }

    func offer(_ r: Request, publisherId: String, offerId: String) async throws -> Response {
        guard let record = try await catalog.offer(publisherId: publisherId, offerId: offerId),
              let (offer, isPreview) = CatalogSearch.visibleOffer(record, viewerTenantId: nil, viewerEmail: nil) else {
            return errorPage(.notFound, "Offer not found", "There is no offer '\(offerId)' by '\(publisherId)' on the marketplace, or it is no longer available.")
        }
        let entry = CatalogEntry(publisherId: publisherId, offer: offer, isPreview: isPreview, score: 0)
        return Self.html(pages.offer(StorefrontModels.offerPage(entry, market: r.uri.queryParameters.get("market").map { String($0) }, now: clock.now())))
    }
}
