import Foundation

/// Metering use cases (spec-saas §7): validate events against the resource and its plan, de-duplicate per
/// (resource, dimension, UTC hour), store through group commit, and report per-event outcomes.
public struct MeteringService: Sendable {
    public let usage: any UsageRepository
    public let subscriptions: any SubscriptionRepository
    public let catalog: any CatalogRepository
    public let ingestor: UsageIngestor
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let digest: AuditChain.Digest
    /// Managed-application instances (spec-saas §7.7), looked up when an event names no SaaS subscription.
    public let managedApplications: (any ManagedApplicationRepository)?
    let cache: ResourceCache

    public init(usage: any UsageRepository, subscriptions: any SubscriptionRepository, catalog: any CatalogRepository, clock: any MarketplaceClock,
                ids: any IDGenerator, digest: @escaping AuditChain.Digest, managedApplications: (any ManagedApplicationRepository)? = nil) {
        self.managedApplications = managedApplications
        self.usage = usage
        self.subscriptions = subscriptions
        self.catalog = catalog
        self.ingestor = UsageIngestor(repository: usage)
        self.clock = clock
        self.ids = ids
        self.digest = digest
        self.cache = ResourceCache()
    }

    /// Plan dimensions per offer (re-read every 5 s) and the derived names of each subscription's resource (stable).
    /// The subscriptions themselves come from the repository's read cache, which follows the change feed.
    final class ResourceCache: @unchecked Sendable {
        struct Names { let azureSubscriptionId: String; let resourceUri: String }
        struct OfferKey: Hashable, Sendable { let publisherId: String; let offerId: String }

        let lock = NSLock()
        /// Per subscription: its Azure subscription ID (from the beneficiary's tenant, which a subscription never
        /// changes) and its resource URI, built once instead of per event.
        var names: [String: Names] = [:]
        /// Per offer: the enabled dimensions of each plan, for 5 s; when stale, one request reloads and the others
        /// keep the stale value meanwhile, so concurrent requests do not all decode the offer at once.
        let plans = RefreshingCache<OfferKey, [String: Set<String>]>(maxAge: 5)

        func names(subscriptionId: String, derive: () -> Names) -> Names {
            if let known = lock.withLock({ names[subscriptionId] }) { return known }
            let derived = derive()
            lock.withLock {
                if names.count > 100_000 { names.removeAll() }
                names[subscriptionId] = derived
            }
            return derived
        }
    }

    /// The customer's Azure subscription that is billed (not in the Subscription object; spec-saas §7.5): a stable
    /// ID per customer tenant.
    public static func azureSubscriptionId(tenantId: String, digest: AuditChain.Digest) -> String {
        EntraStyle.nameBasedUUID("azure-subscription:\(tenantId.lowercased())", digest: digest)
    }

    /// The SaaS resource URI, as the live service reports it for SaaS resources.
    public static func resourceUri(_ s: Subscription, digest: AuditChain.Digest) -> String {
        resourceUri(subscriptionId: s.id, azureSubscriptionId: azureSubscriptionId(tenantId: s.beneficiary.tenantId, digest: digest))
    }

    static func resourceUri(subscriptionId: String, azureSubscriptionId: String) -> String {
        "/subscriptions/\(azureSubscriptionId)/resourceGroups/mercato/providers/Microsoft.SaaS/resources/\(subscriptionId)"
    }

    /// The enabled dimensions of each plan of an offer (preview and live), cached for a few seconds.
    func planDimensions(publisherId: String, offerId: String, now: Date) async throws -> [String: Set<String>] {
        try await cache.plans.value(for: ResourceCache.OfferKey(publisherId: publisherId, offerId: offerId), now: now) {
            let offer = try await catalog.offer(publisherId: publisherId, offerId: offerId)
            var map: [String: Set<String>] = [:]
            for slot in [offer?.preview, offer?.live].compactMap({ $0 }) {
                for plan in slot.plans { map[plan.id, default: []].formUnion(plan.dimensions.filter(\.enabled).map(\.dimensionId)) }
            }
            return map
        }
    }

    /// A managed application named by `resourceId` (its resourceUsageId) or `resourceUri` (its resource ID).
    func managedResource(_ e: UsageEventInput, now: Date) async throws -> MeteredResource? {
        guard let repository = managedApplications else { return nil }
        let found: ManagedApplication?
        if let id = e.resourceId { found = try await repository.application(usageId: id.lowercased()) }
        else if let uri = e.resourceUri { found = try await repository.application(resourceUri: uri) }
        else { found = nil }
        guard let app = found else { return nil }
        let plans = try await planDimensions(publisherId: app.publisherId, offerId: app.offerId, now: now)
        return MeteredResource(subscriptionId: app.resourceUsageId, resourceUri: app.resourceUri, publisherId: app.publisherId, offerId: app.offerId,
                               planId: app.planId, status: app.deletedAt == nil ? .subscribed : .unsubscribed, canceledAt: app.deletedAt,
                               azureSubscriptionId: app.azureSubscriptionId, dimensions: plans[app.planId] ?? [])
    }

    func resource(id: String, now: Date) async throws -> MeteredResource? {
        guard let s = try await subscriptions.facts(id: id) else { return nil }
        let plans = try await planDimensions(publisherId: s.publisherId, offerId: s.offerId, now: now)
        let names = cache.names(subscriptionId: s.id) {
            let azure = Self.azureSubscriptionId(tenantId: s.beneficiaryTenantId, digest: digest)
            return ResourceCache.Names(azureSubscriptionId: azure, resourceUri: Self.resourceUri(subscriptionId: s.id, azureSubscriptionId: azure))
        }
        return MeteredResource(subscriptionId: s.id, resourceUri: names.resourceUri,
                               publisherId: s.publisherId, offerId: s.offerId, planId: s.planId, status: s.status, canceledAt: s.canceledAt,
                               azureSubscriptionId: names.azureSubscriptionId, dimensions: plans[s.planId] ?? [])
    }

    /// The subscription ID a resourceUri names (the SaaS form ends in the subscription ID).
    static func subscriptionId(fromUri uri: String) -> String? {
        guard let last = uri.split(separator: "/").last, GUIDText.isWellFormed(last) else { return nil }
        return String(last).lowercased()
    }

    /// Commits that stored usage events (fewer than the requests when group commit works).
    public func commits() async -> Int {
        if let n = usage.groupCommits { return n }
        return await ingestor.transactions
    }

    public func submit(_ events: [UsageEventInput], publisherId: String) async throws -> [UsageOutcome] {
        let now = clock.now()
        var outcomes: [UsageOutcome?] = Array(repeating: nil, count: events.count)
        var records: [UsageRecord] = []
        var positions: [Int] = []
        for (i, e) in events.enumerated() {
            let id = e.resourceId?.lowercased() ?? e.resourceUri.flatMap(Self.subscriptionId(fromUri:))
            var r: MeteredResource?
            if let id { r = try await resource(id: id, now: now) }
            if r == nil { r = try await managedResource(e, now: now) }
            if let failure = MeteringRules.check(e, resource: r, callerPublisherId: publisherId, now: now) {
                outcomes[i] = UsageOutcome(input: e, status: failure.status, message: failure.message, target: failure.target, resourceIdResolved: r?.subscriptionId)
                continue
            }
            let r0 = r!
            let at = MeteringRules.parseTime(e.effectiveStartTime!)!
            records.append(UsageRecord(
                usageEventId: ids.uuidString(), hour: MeteringRules.hour(at), resourceId: r0.subscriptionId, resourceUri: r0.resourceUri, dimension: e.dimension!,
                quantity: e.quantity!, quantityText: e.quantityText ?? "\(e.quantity!)", effectiveStartTime: e.effectiveStartTime!, effectiveAt: at,
                planId: r0.planId, publisherId: r0.publisherId, offerId: r0.offerId, messageTime: now, azureSubscriptionId: r0.azureSubscriptionId))
            positions.append(i)
        }
        let stored = usage.groupCommits != nil ? try await usage.insert(records) : try await ingestor.submit(records)
        for (k, i) in positions.enumerated() {
            if let existing = stored[k] {
                outcomes[i] = UsageOutcome(input: events[i], status: .duplicate, record: existing, message: "This usage event already exist.",
                                           resourceIdResolved: existing.resourceId)
            } else {
                outcomes[i] = UsageOutcome(input: events[i], status: .accepted, record: records[k], resourceIdResolved: records[k].resourceId)
            }
        }
        return outcomes.map { $0! }
    }
}

/// Name-based UUIDs (version 5 layout over the injected digest), for stable derived identifiers.
public enum EntraStyle {
    public static func nameBasedUUID(_ name: String, digest: AuditChain.Digest) -> String {
        var chars = Array(digest(Array(name.utf8)).prefix(32))
        chars[12] = "5"
        let variant = Int(String(chars[16]), radix: 16)! & 0x3 | 0x8
        chars[16] = Character(String(variant, radix: 16))
        let s = String(chars)
        let i = s.startIndex
        func part(_ a: Int, _ b: Int) -> Substring { s[s.index(i, offsetBy: a)..<s.index(i, offsetBy: b)] }
        return "\(part(0, 8))-\(part(8, 12))-\(part(12, 16))-\(part(16, 20))-\(part(20, 32))"
    }
}
