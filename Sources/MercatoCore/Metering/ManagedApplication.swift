import Foundation

/// A deployed instance of an Azure Application offer's managed-application plan (spec-saas §7.7): what the metering API
/// meters when a publisher reports usage for a managed app. The documents name it two ways — `resourceId` is the
/// instance's `billingDetails.resourceUsageId` (a GUID), `resourceUri` its fully qualified resource ID
/// (`/subscriptions/{azure}/resourceGroups/{rg}/providers/Microsoft.Solutions/applications/{name}`); both are accepted
/// (spec-saas §7: "Accept either in both").
public struct ManagedApplication: Codable, Sendable, Equatable {
    public var resourceUsageId: String
    public var resourceUri: String
    public var publisherId: String
    public var offerId: String
    public var planId: String
    public var customerTenantId: String
    public var azureSubscriptionId: String
    public var name: String
    public var createdAt: Date
    /// When the customer deleted the instance: usage from before this moment can still be reported (within 24 h).
    public var deletedAt: Date?
    /// The customer's market (ISO 3166-1 alpha-2), which sets the currency of its charges; nil (instances deployed
    /// before markets were recorded) means the United States.
    public var market: String?

    public var billingMarket: String { market ?? "US" }

    public init(resourceUsageId: String, resourceUri: String, publisherId: String, offerId: String, planId: String, customerTenantId: String,
                azureSubscriptionId: String, name: String, createdAt: Date, deletedAt: Date? = nil, market: String? = nil) {
        self.resourceUsageId = resourceUsageId
        self.resourceUri = resourceUri
        self.publisherId = publisherId
        self.offerId = offerId
        self.planId = planId
        self.customerTenantId = customerTenantId
        self.azureSubscriptionId = azureSubscriptionId
        self.name = name
        self.createdAt = createdAt
        self.deletedAt = deletedAt
        self.market = market
    }
}

public protocol ManagedApplicationRepository: Sendable {
    func create(_ app: ManagedApplication, audit: AuditEntry) async throws
    /// By `resourceUsageId` (lower-case GUID).
    func application(usageId: String) async throws -> ManagedApplication?
    /// By fully qualified resource ID (compared case-insensitively, as Azure resource IDs are).
    func application(resourceUri: String) async throws -> ManagedApplication?
    func applications(publisherId: String) async throws -> [ManagedApplication]
    /// Every instance that existed at some moment in [from, to) — what a billing period charges a monthly fee for.
    func applications(existingFrom from: Date, to: Date) async throws -> [ManagedApplication]
    func markDeleted(usageId: String, at: Date, audit: AuditEntry) async throws
}

/// Deploying and deleting managed-application instances (the customer's side of an Azure Application purchase, which
/// Mercato simulates so publishers can test their metering code).
public struct ManagedApplicationService: Sendable {
    public let repository: any ManagedApplicationRepository
    public let catalog: any CatalogRepository
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let digest: AuditChain.Digest

    public init(repository: any ManagedApplicationRepository, catalog: any CatalogRepository, clock: any MarketplaceClock, ids: any IDGenerator,
                digest: @escaping AuditChain.Digest) {
        self.repository = repository
        self.catalog = catalog
        self.clock = clock
        self.ids = ids
        self.digest = digest
    }

    /// Deploys a plan of a live Azure Application (managed application) offer into the customer's Azure subscription.
    public func deploy(publisherId: String, offerId: String, planId: String, customerTenantId: String, name: String, market: String? = nil,
                       context: AuditContext) async throws -> ManagedApplication {
        // spec-saas §7.7: metering exists only for managed-application plans of Azure Application offers.
        guard let record = try await catalog.offer(publisherId: publisherId, offerId: offerId), let live = record.purchasable else {
            throw DomainError.notFound(kind: "live offer", id: offerId)
        }
        guard live.type == .azureManagedApplication else {
            throw DomainError.invalid(field: "offerId", reason: "'\(offerId)' is a \(live.type.rawValue) offer; only Azure managed applications are deployed")
        }
        guard live.plan(planId) != nil else { throw DomainError.notFound(kind: "plan", id: planId) }
        guard GUIDText.isWellFormed(customerTenantId) else { throw DomainError.invalid(field: "customerTenantId", reason: "must be a GUID") }
        // Azure application names: 3–64 letters, digits, '-', '_' or '.'.
        guard (3...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw DomainError.invalid(field: "name", reason: "use 3–64 letters, digits, '-', '_' or '.'")
        }
        if let market, Markets.market(market) == nil {
            throw DomainError.invalid(field: "market", reason: "'\(market)' is not a market code (ISO 3166-1 alpha-2, e.g. US, DE, JP)")
        }
        let azure = MeteringService.azureSubscriptionId(tenantId: customerTenantId, digest: digest)
        let usageId = ids.uuidString()
        let group = "mrg-\(offerId)-\(usageId.prefix(8))"
        let app = ManagedApplication(resourceUsageId: usageId,
                                     resourceUri: "/subscriptions/\(azure)/resourceGroups/\(group)/providers/Microsoft.Solutions/applications/\(name)",
                                     publisherId: publisherId, offerId: offerId, planId: planId, customerTenantId: customerTenantId.lowercased(),
                                     azureSubscriptionId: azure, name: name, createdAt: clock.now(), market: market?.uppercased())
        try await repository.create(app, audit: context.entry(ids: ids, clock: clock, publisherId: publisherId, action: "managedApplication.deploy",
                                                              targetType: "managedApplication", targetId: usageId,
                                                              after: "{\"resourceUri\":\(jsonString(app.resourceUri)),\"planId\":\(jsonString(planId))}"))
        return app
    }

    public func delete(usageId: String, publisherId: String, context: AuditContext) async throws -> ManagedApplication {
        guard var app = try await repository.application(usageId: usageId.lowercased()), app.publisherId == publisherId else {
            throw DomainError.notFound(kind: "managed application", id: usageId)
        }
        guard app.deletedAt == nil else { return app }
        app.deletedAt = clock.now()
        try await repository.markDeleted(usageId: app.resourceUsageId, at: app.deletedAt!, audit: context.entry(
            ids: ids, clock: clock, publisherId: publisherId, action: "managedApplication.delete", targetType: "managedApplication", targetId: app.resourceUsageId))
        return app
    }
}
