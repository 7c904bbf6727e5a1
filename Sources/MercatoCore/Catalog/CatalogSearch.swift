import Foundation

/// What a storefront visitor asks for (issue 4 "Catalog search for the storefront").
public struct CatalogQuery: Sendable, Equatable {
    public var text: String?
    public var type: OfferType?
    public var category: String?
    public var pricingModel: PricingModel.Kind?
    public var freeTrial: Bool?
    /// The viewer's tenant (private plans are shown only to their audience) and e-mail (preview audience).
    public var viewerTenantId: String?
    public var viewerEmail: String?

    public init(text: String? = nil, type: OfferType? = nil, category: String? = nil, pricingModel: PricingModel.Kind? = nil,
                freeTrial: Bool? = nil, viewerTenantId: String? = nil, viewerEmail: String? = nil) {
        self.text = text
        self.type = type
        self.category = category
        self.pricingModel = pricingModel
        self.freeTrial = freeTrial
        self.viewerTenantId = viewerTenantId
        self.viewerEmail = viewerEmail
    }
}

/// One search hit: the offer as the viewer may see it (plans they can't see removed) and whether it is a preview.
public struct CatalogEntry: Sendable, Equatable {
    public var publisherId: String
    public var offer: Offer
    public var isPreview: Bool
    public var score: Int

    public init(publisherId: String, offer: Offer, isPreview: Bool, score: Int) {
        self.publisherId = publisherId
        self.offer = offer
        self.isPreview = isPreview
        self.score = score
    }
}

public enum CatalogSearch {
    /// The version of an offer a viewer may see: the live slot for everyone; the preview slot instead, for members of
    /// the preview audience while the offer is in preview (spec-portal §2.8). Private plans are kept only for
    /// tenants in their audience (§3.7); the preview audience sees all plans. Offers of which the viewer can see no
    /// plan are hidden (an offer with only private plans "will not be visible in the public Azure Marketplace").
    public static func visibleOffer(_ record: OfferRecord, viewerTenantId: String?, viewerEmail: String?) -> (Offer, isPreview: Bool)? {
        if let email = viewerEmail?.lowercased(), let preview = record.preview,
           [.preview, .publishInProgress].contains(record.state.status) || (record.state.status == .live && record.live != preview),
           preview.previewAudience.contains(where: { $0.id.lowercased() == email }) {
            return (preview, true)
        }
        guard var offer = record.purchasable else { return nil }
        offer.plans = offer.plans.filter { !$0.isStopSell && $0.isVisible(toTenant: viewerTenantId) }
        if offer.type.hasPlans && (offer.setup.listingOption == .transact || offer.type != .saas) && offer.plans.isEmpty { return nil }
        return (offer, false)
    }

    public static func search(_ records: [OfferRecord], _ q: CatalogQuery) -> [CatalogEntry] {
        let terms = (q.text ?? "").lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        var hits: [CatalogEntry] = []
        for record in records {
            guard let (offer, isPreview) = visibleOffer(record, viewerTenantId: q.viewerTenantId, viewerEmail: q.viewerEmail) else { continue }
            if let type = q.type, offer.type != type { continue }
            if let category = q.category?.lowercased(),
               !offer.properties.categories.contains(where: { $0.category.lowercased() == category || $0.subcategories.contains { $0.lowercased() == category } }) { continue }
            if let model = q.pricingModel, !offer.plans.contains(where: { $0.pricing.kind == model }) { continue }
            if let trial = q.freeTrial {
                let hasTrial = offer.plans.contains(where: \.freeTrial) || offer.setup.listingOption == .freeTrial
                if hasTrial != trial { continue }
            }
            var score = 0
            if !terms.isEmpty {
                let name = offer.listing.name.lowercased()
                let keywords = offer.listing.keywords.map { $0.lowercased() }
                let summary = offer.listing.summary.lowercased()
                let body = stripTags(offer.listing.description).lowercased()
                let publisher = record.publisherId.lowercased()
                var all = true
                for term in terms {
                    var s = 0
                    if name.contains(term) { s += 10 }
                    if keywords.contains(where: { $0.contains(term) }) { s += 6 }
                    if summary.contains(term) { s += 4 }
                    if body.contains(term) || offer.id.contains(term) || publisher.contains(term) { s += 1 }
                    if s == 0 { all = false; break }
                    score += s
                }
                if !all { continue }
            }
            hits.append(CatalogEntry(publisherId: record.publisherId, offer: offer, isPreview: isPreview, score: score))
        }
        return hits.sorted { ($0.score, $1.offer.listing.name) > ($1.score, $0.offer.listing.name) }
    }

    static func stripTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        for c in html {
            if c == "<" { inTag = true; out.append(" ") } else if c == ">" { inTag = false } else if !inTag { out.append(c) }
        }
        return out
    }
}
