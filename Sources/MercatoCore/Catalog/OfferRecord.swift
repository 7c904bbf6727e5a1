import Foundation

/// An offer as stored: its workflow state and its three slots (draft, preview, live), as in the CPP API.
public struct OfferRecord: Sendable, Equatable {
    public var publisherId: String
    public var offerId: String
    public var type: OfferType
    public var state: WorkflowState
    public var draft: Offer
    public var preview: Offer?
    public var live: Offer?
    /// Incremented by every change; the source of the ETag (spec-portal §8.4).
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(publisherId: String, offerId: String, type: OfferType, state: WorkflowState, draft: Offer, preview: Offer?,
                live: Offer?, version: Int64, createdAt: Date, updatedAt: Date) {
        self.publisherId = publisherId
        self.offerId = offerId
        self.type = type
        self.state = state
        self.draft = draft
        self.preview = preview
        self.live = live
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The CPP-style weak ETag: `W/"datetime'<url-encoded ISO timestamp>'"`, plus the version so two changes in the
    /// same millisecond still differ.
    public var eTag: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let stamp = formatter.string(from: updatedAt).addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? ""
        return "W/\"datetime'\(stamp)'-\(version)\""
    }

    /// The slot a buyer sees: live, or nil.
    public var purchasable: Offer? { state.status == .live || (state.status == .publishInProgress && live != nil) ? live : nil }
}

/// One line of the offer's publishing history (spec-portal §4.7).
public struct OfferHistoryEvent: Codable, Sendable, Equatable {
    public var time: Date
    public var event: String
    public var initiatedBy: String?
    public var details: String?

    public init(time: Date, event: String, initiatedBy: String?, details: String? = nil) {
        self.time = time
        self.event = event
        self.initiatedBy = initiatedBy
        self.details = details
    }
}

/// A long-running publishing operation the caller polls (spec-portal §8.5 "Retrieve operations").
public struct PublishOperation: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case publish = "Publish", goLive = "GoLive", stopDistribution = "StopDistribution" }
    public enum Status: String, Codable, Sendable { case notStarted = "NotStarted", running = "Running", succeeded = "Succeeded", failed = "Failed", canceled = "Canceled" }

    public struct Step: Codable, Sendable, Equatable {
        public var name: String
        public var status: Status
        public var messages: [String]
        public var completedAt: Date?

        public init(name: String, status: Status = .notStarted, messages: [String] = [], completedAt: Date? = nil) {
            self.name = name
            self.status = status
            self.messages = messages
            self.completedAt = completedAt
        }
    }

    public var id: String
    public var publisherId: String
    public var offerId: String
    public var kind: Kind
    public var status: Status
    public var steps: [Step]
    /// The draft submitted (publish) — what preview will show if certification passes.
    public var submitted: Offer?
    public var createdAt: Date
    public var updatedAt: Date
    public var initiatedBy: String?

    public init(id: String, publisherId: String, offerId: String, kind: Kind, status: Status = .notStarted, steps: [Step],
                submitted: Offer?, createdAt: Date, updatedAt: Date, initiatedBy: String?) {
        self.id = id
        self.publisherId = publisherId
        self.offerId = offerId
        self.kind = kind
        self.status = status
        self.steps = steps
        self.submitted = submitted
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.initiatedBy = initiatedBy
    }
}

/// Persistence of offers; `SQLCatalogRepository` is the one implementation.
public protocol CatalogRepository: Sendable {
    func create(_ record: OfferRecord, history: [OfferHistoryEvent], audit: AuditEntry) async throws
    func offer(publisherId: String, offerId: String) async throws -> OfferRecord?
    func offers(publisherId: String) async throws -> [OfferRecord]
    /// Offers with a live or preview slot (for catalog search and purchases).
    func publishedOffers() async throws -> [OfferRecord]
    /// Saves `record` if the stored version is still `expectedVersion`; throws `preconditionFailed` otherwise.
    /// The stored version becomes `expectedVersion + 1`.
    func update(_ record: OfferRecord, expectedVersion: Int64, history: [OfferHistoryEvent], audit: AuditEntry?) async throws -> OfferRecord
    func delete(publisherId: String, offerId: String, expectedVersion: Int64, audit: AuditEntry) async throws
    func history(publisherId: String, offerId: String) async throws -> [OfferHistoryEvent]
    /// Offers of any publisher whose technical configuration names this Entra app (spec-portal §2.9).
    func offersUsingApp(tenantId: String, appId: String) async throws -> [(publisherId: String, offerId: String)]
    func offersUsingAnyApp(publisherId: String) async throws -> [(offerId: String, appId: String)]

    func createOperation(_ op: PublishOperation) async throws
    func operation(id: String) async throws -> PublishOperation?
    func operations(publisherId: String, offerId: String) async throws -> [PublishOperation]
    func saveOperation(_ op: PublishOperation) async throws
    /// Claims up to `limit` operations that are not finished (FOR UPDATE SKIP LOCKED on PostgreSQL).
    func claimPendingOperations(limit: Int, now: Date, lease: TimeInterval) async throws -> [PublishOperation]
}
