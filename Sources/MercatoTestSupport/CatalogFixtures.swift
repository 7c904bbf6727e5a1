import Foundation
import MercatoApp
import MercatoCore

/// A probe that answers "reachable" for every URL, or fails the URLs it is told to.
public struct FakeProbe: URLProbe {
    public var failing: [String: String]

    public init(failing: [String: String] = [:]) {
        self.failing = failing
    }

    public func problem(reaching url: String, method: String) async -> String? { failing[url] }
}

public enum CatalogFixtures {
    /// A complete, valid transactable SaaS offer (the demo's), under another ID.
    public static func saas(id: String = "fixture-offer", tenantId: String = "11111111-2222-4333-8444-555555555555",
                            appId: String = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee") -> Offer {
        var offer = DemoCatalog.offer(tenantId: tenantId, appId: appId)
        offer.id = id
        offer.alias = "Fixture \(id)"
        return offer
    }

    /// Creates, publishes and takes `offer` live through the real workflow, running the worker in between.
    @discardableResult
    public static func makeLive(_ env: MercatoEnvironment, owner: Principal, offer: Offer) async throws -> OfferRecord {
        let publisherId = owner.publisherId!
        _ = try await env.catalog.create(by: owner, publisherId: publisherId, offer: offer, context: .system)
        _ = try await env.catalog.publish(by: owner, publisherId: publisherId, offerId: offer.id, context: .system)
        try await env.publishingWorker.runOnce()
        _ = try await env.catalog.goLive(by: owner, publisherId: publisherId, offerId: offer.id, context: .system)
        try await env.publishingWorker.runOnce()
        return try await env.catalog.offer(by: owner, publisherId: publisherId, offerId: offer.id)
    }
}
