import Foundation

/// Catalog and publishing use cases (spec-portal §2–§4). Authorisation goes through `Authorization`; every change is
/// validated, versioned (ETag), recorded in the publishing history and audited.
public struct CatalogService: Sendable {
    public let repository: any CatalogRepository
    public let accounts: AccountService
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let probe: any URLProbe
    public let rates: ExchangeRates

    public init(repository: any CatalogRepository, accounts: AccountService, clock: any MarketplaceClock, ids: any IDGenerator,
                probe: any URLProbe, rates: ExchangeRates = .reference) {
        self.repository = repository
        self.accounts = accounts
        self.clock = clock
        self.ids = ids
        self.probe = probe
        self.rates = rates
    }

    public enum Precondition: Sendable, Equatable {
        case none
        case any
        case eTag(String)
    }

    // MARK: Create and edit

    /// PUT semantics of spec-portal §8.4: no If-Match creates (400 if it exists), `*` creates or overwrites,
    /// an ETag overwrites only if it still matches (412 otherwise).
    public func put(by actor: Principal, publisherId: String, offer: Offer, precondition: Precondition, context: AuditContext) async throws -> (OfferRecord, created: Bool) {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        let existing = try await repository.offer(publisherId: publisherId, offerId: offer.id)
        switch (precondition, existing) {
        case (.none, nil), (.any, nil):
            return (try await create(by: actor, publisherId: publisherId, offer: offer, context: context), true)
        case (.none, .some):
            throw DomainError.invalid(field: "If-Match", reason: "offer '\(offer.id)' exists: send If-Match with its ETag (or * to overwrite)")
        case (.eTag, nil):
            throw DomainError.preconditionFailed(reason: "offer '\(offer.id)' does not exist")
        case let (.eTag(tag), .some(record)):
            guard tag == record.eTag else { throw DomainError.preconditionFailed(reason: "the offer changed since it was read (ETag \(record.eTag))") }
            return (try await saveDraft(by: actor, record: record, offer: offer, context: context), false)
        case let (.any, .some(record)):
            return (try await saveDraft(by: actor, record: record, offer: offer, context: context), false)
        }
    }

    public func create(by actor: Principal, publisherId: String, offer: Offer, context: AuditContext) async throws -> OfferRecord {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        try validate(offer)
        try await checkAppRegistration(offer, publisherId: publisherId)
        if try await repository.offer(publisherId: publisherId, offerId: offer.id) != nil {
            throw DomainError.conflict(reason: "offer ID '\(offer.id)' is already used in this account")
        }
        let now = clock.now()
        let record = OfferRecord(publisherId: publisherId, offerId: offer.id, type: offer.type, state: .new, draft: offer,
                                 preview: nil, live: nil, version: 1, createdAt: now, updatedAt: now)
        var history = [OfferHistoryEvent(time: now, event: "Created offer", initiatedBy: actor.id,
                                         details: "\(offer.type.rawValue) \(offer.id) (\(offer.alias))")]
        history += offer.plans.map { OfferHistoryEvent(time: now, event: "Created plan: \($0.name)", initiatedBy: actor.id) }
        try await repository.create(record, history: history, audit: audit(context, publisherId, "offer.create", offer.id))
        return record
    }

    func saveDraft(by actor: Principal, record: OfferRecord, offer: Offer, context: AuditContext) async throws -> OfferRecord {
        guard offer.id == record.offerId else { throw DomainError.invalid(field: "id", reason: "the offer ID can't change") }
        guard offer.type == record.type else { throw DomainError.invalid(field: "type", reason: "the offer type can't change") }
        try validate(offer)
        if let published = record.live ?? record.preview {
            let issues = OfferValidator.changeIssues(published: published, draft: offer)
            guard issues.isEmpty else { throw ValidationFailure(issues) }
        }
        try await checkAppRegistration(offer, publisherId: record.publisherId)
        if pricesChanged(from: record.draft, to: offer) {
            try Authorization.require(actor, .setPricing, publisherId: record.publisherId, policy: accounts.policy)
        }
        let now = clock.now()
        var next = record
        next.draft = offer
        next.updatedAt = now
        var history: [OfferHistoryEvent] = []
        let before = Set(record.draft.plans.map(\.id))
        for plan in offer.plans where !before.contains(plan.id) { history.append(OfferHistoryEvent(time: now, event: "Created plan: \(plan.name)", initiatedBy: actor.id)) }
        for plan in record.draft.plans where !offer.plans.contains(where: { $0.id == plan.id }) {
            history.append(OfferHistoryEvent(time: now, event: "Deleted plan", initiatedBy: actor.id, details: plan.id))
        }
        return try await repository.update(next, expectedVersion: record.version, history: history,
                                           audit: audit(context, record.publisherId, "offer.update", offer.id))
    }

    func validate(_ offer: Offer) throws {
        let issues = OfferValidator.formatIssues(offer)
        guard issues.isEmpty else { throw ValidationFailure(issues) }
    }

    /// spec-portal §2.9 (derived rules): a (tenant ID, app ID) pair belongs to one publisher account, and an account
    /// uses one app ID for all its offers.
    func checkAppRegistration(_ offer: Offer, publisherId: String) async throws {
        guard let t = offer.technicalConfiguration else { return }
        let others = try await repository.offersUsingApp(tenantId: t.aadTenantId.lowercased(), appId: t.aadAppId.lowercased())
        if others.contains(where: { $0.publisherId != publisherId }) {
            throw ValidationFailure([ValidationIssue(.technicalConfiguration, "technicalConfiguration.aadAppId",
                                                     "this tenant ID and app ID pair is used by another publisher account")])
        }
        let ours = try await repository.offersUsingAnyApp(publisherId: publisherId)
        if let other = ours.first(where: { $0.offerId != offer.id && $0.appId != t.aadAppId.lowercased() }) {
            throw ValidationFailure([ValidationIssue(.technicalConfiguration, "technicalConfiguration.aadAppId",
                                                     "use the same application ID for all offers of the account (offer '\(other.offerId)' uses \(other.appId))")])
        }
    }

    func pricesChanged(from a: Offer, to b: Offer) -> Bool {
        for plan in b.plans {
            guard let old = a.plan(plan.id) else { continue }
            if old.billingTerms != plan.billingTerms || old.dimensions.map(\.pricePerUnit) != plan.dimensions.map(\.pricePerUnit) { return true }
        }
        return false
    }

    // MARK: Read

    public func offer(by actor: Principal, publisherId: String, offerId: String) async throws -> OfferRecord {
        try requireMember(actor, publisherId)
        guard let record = try await repository.offer(publisherId: publisherId, offerId: offerId) else {
            throw DomainError.notFound(kind: "offer", id: offerId)
        }
        return record
    }

    public func offers(by actor: Principal, publisherId: String) async throws -> [OfferRecord] {
        try requireMember(actor, publisherId)
        return try await repository.offers(publisherId: publisherId)
    }

    public func history(by actor: Principal, publisherId: String, offerId: String) async throws -> [OfferHistoryEvent] {
        _ = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        return try await repository.history(publisherId: publisherId, offerId: offerId)
    }

    func requireMember(_ actor: Principal, _ publisherId: String) throws {
        // Any role of the account may read its offers (analytics-level access); other publishers may not.
        try Authorization.require(actor, .viewAnalytics, publisherId: publisherId, policy: accounts.policy)
    }

    // MARK: Publishing

    public static let publishSteps = ["Automated validation", "Offer purchase flow setup", "Certification", "Preview creation"]
    public static let goLiveSteps = ["Offer purchase flow setup", "Final publish"]

    /// Submits the draft to preview: checks completeness (422 with every issue), then starts a publish operation.
    public func publish(by actor: Principal, publisherId: String, offerId: String, context: AuditContext) async throws -> PublishOperation {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        var issues = OfferValidator.formatIssues(record.draft) + OfferValidator.completenessIssues(record.draft)
        if let published = record.live ?? record.preview { issues += OfferValidator.changeIssues(published: published, draft: record.draft) }
        guard issues.isEmpty else { throw PublishValidationFailure(issues: issues) }
        let state = try PublishingWorkflow.apply(.publish, to: record.state)
        let now = clock.now()
        var submitted = record.draft
        if let live = record.live { submitted = try PriceChangeRules.schedule(live: live, draft: submitted, now: now) }
        let op = PublishOperation(id: ids.uuidString(), publisherId: publisherId, offerId: offerId, kind: .publish,
                                  steps: Self.publishSteps.map { .init(name: $0) }, submitted: submitted,
                                  createdAt: now, updatedAt: now, initiatedBy: actor.id)
        var next = record
        next.state = state
        next.updatedAt = now
        _ = try await repository.update(next, expectedVersion: record.version,
                                        history: [OfferHistoryEvent(time: now, event: "Submitted offer to preview", initiatedBy: actor.id)],
                                        audit: audit(context, publisherId, "offer.publish", offerId))
        try await repository.createOperation(op)
        return op
    }

    public func goLive(by actor: Principal, publisherId: String, offerId: String, context: AuditContext) async throws -> PublishOperation {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        let state = try PublishingWorkflow.apply(.goLive, to: record.state)
        let now = clock.now()
        let op = PublishOperation(id: ids.uuidString(), publisherId: publisherId, offerId: offerId, kind: .goLive,
                                  steps: Self.goLiveSteps.map { .init(name: $0) }, submitted: record.preview,
                                  createdAt: now, updatedAt: now, initiatedBy: actor.id)
        var next = record
        next.state = state
        next.updatedAt = now
        _ = try await repository.update(next, expectedVersion: record.version,
                                        history: [OfferHistoryEvent(time: now, event: "Sign-off to go live", initiatedBy: actor.id)],
                                        audit: audit(context, publisherId, "offer.goLive", offerId))
        try await repository.createOperation(op)
        return op
    }

    public func cancelPublish(by actor: Principal, publisherId: String, offerId: String, context: AuditContext) async throws -> OfferRecord {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        let state = try PublishingWorkflow.apply(.cancelPublish, to: record.state)
        let now = clock.now()
        for var op in try await repository.operations(publisherId: publisherId, offerId: offerId) where op.status == .notStarted || op.status == .running {
            op.status = .canceled
            op.updatedAt = now
            try await repository.saveOperation(op)
        }
        var next = record
        next.state = state
        next.updatedAt = now
        return try await repository.update(next, expectedVersion: record.version, history: [
            OfferHistoryEvent(time: now, event: "Initiated submit to preview cancellation", initiatedBy: actor.id),
            OfferHistoryEvent(time: now, event: "Canceled submission to preview", initiatedBy: nil),
        ], audit: audit(context, publisherId, "offer.cancelPublish", offerId))
    }

    /// Stop distribution of a live offer: no new customers; existing ones keep their subscriptions (spec-portal §4.9).
    public func stopDistribution(by actor: Principal, publisherId: String, offerId: String, context: AuditContext) async throws -> PublishOperation {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        let state = try PublishingWorkflow.apply(.stopDistribution, to: record.state)
        let now = clock.now()
        let op = PublishOperation(id: ids.uuidString(), publisherId: publisherId, offerId: offerId, kind: .stopDistribution,
                                  steps: [.init(name: "Stop distribution")], submitted: nil, createdAt: now, updatedAt: now, initiatedBy: actor.id)
        var next = record
        next.state = state
        next.updatedAt = now
        _ = try await repository.update(next, expectedVersion: record.version,
                                        history: [OfferHistoryEvent(time: now, event: "Stop distribution offer", initiatedBy: actor.id)],
                                        audit: audit(context, publisherId, "offer.stopDistribution", offerId))
        try await repository.createOperation(op)
        return op
    }

    /// Deletes an offer that was never published (spec-portal §4.10, derived).
    public func delete(by actor: Principal, publisherId: String, offerId: String, context: AuditContext) async throws {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        _ = try PublishingWorkflow.apply(.delete, to: record.state)
        try await repository.delete(publisherId: publisherId, offerId: offerId, expectedVersion: record.version,
                                    audit: audit(context, publisherId, "offer.delete", offerId))
    }

    /// Runs one step of a pending operation at a time until it finishes. Returns the operation as saved.
    public func process(_ operation: PublishOperation) async throws -> PublishOperation {
        var op = operation
        guard op.status == .notStarted || op.status == .running else { return op }
        guard let record = try await repository.offer(publisherId: op.publisherId, offerId: op.offerId) else {
            op.status = .failed
            op.updatedAt = clock.now()
            try await repository.saveOperation(op)
            return op
        }
        op.status = .running
        var failures: [String] = []
        for index in op.steps.indices where op.steps[index].status != .succeeded {
            let messages = await runStep(op.steps[index].name, op: op, record: record)
            op.steps[index].messages = messages
            op.steps[index].completedAt = clock.now()
            op.steps[index].status = messages.isEmpty ? .succeeded : .failed
            if !messages.isEmpty { failures = messages; break }
        }
        let now = clock.now()
        op.updatedAt = now
        var next = record
        next.updatedAt = now
        var history: [OfferHistoryEvent] = op.steps.filter { $0.completedAt != nil }.map {
            OfferHistoryEvent(time: now, event: "\($0.name): \($0.status.rawValue)", initiatedBy: nil)
        }
        if failures.isEmpty {
            op.status = .succeeded
            switch op.kind {
            case .publish:
                next.state = try PublishingWorkflow.apply(.previewReady, to: record.state)
                next.preview = op.submitted
            case .goLive:
                next.state = try PublishingWorkflow.apply(.liveReady, to: record.state)
                next.live = op.submitted ?? record.preview
            case .stopDistribution:
                next.state = try PublishingWorkflow.apply(.stopCompleted, to: record.state)
                history.append(OfferHistoryEvent(time: now, event: "Offer not available in the marketplace", initiatedBy: nil))
            }
        } else {
            op.status = .failed
            if op.kind == .stopDistribution {
                try await repository.saveOperation(op)
                return op
            }
            next.state = try PublishingWorkflow.apply(.certificationFailed, to: record.state)
        }
        _ = try await repository.update(next, expectedVersion: record.version, history: history, audit: nil)
        try await repository.saveOperation(op)
        return op
    }

    func runStep(_ name: String, op: PublishOperation, record: OfferRecord) async -> [String] {
        guard let offer = op.submitted ?? record.preview else { return op.kind == .stopDistribution ? [] : ["nothing to publish"] }
        switch name {
        case "Automated validation", "Certification":
            return (OfferValidator.formatIssues(offer) + OfferValidator.completenessIssues(offer)).map(\.description)
        case "Offer purchase flow setup":
            guard offer.setup.listingOption == .transact, let t = offer.technicalConfiguration else { return [] }
            var problems: [String] = []
            for (label, url, method) in [("landing page", t.landingPageURL, "GET"), ("connection webhook", t.connectionWebhookURL, "POST")] {
                if let rule = OutboundURLPolicy.check(url, sandbox: offer.isSandbox) {
                    problems.append("\(label) \(url): \(rule)")
                } else if let problem = await probe.problem(reaching: url, method: method) {
                    problems.append("\(label) \(url) is not reachable: \(problem)")
                }
            }
            return problems
        default:
            return []
        }
    }

    // MARK: Plans and audiences

    /// Replaces a private plan's audience from CSV (`ID,Description,Type` with Type `TenantID`; spec-portal §3.7).
    public func importPrivateAudience(by actor: Principal, publisherId: String, offerId: String, planId: String, csv: String,
                                      context: AuditContext) async throws -> OfferRecord {
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        guard let index = record.draft.plans.firstIndex(where: { $0.id == planId }) else { throw DomainError.notFound(kind: "plan", id: planId) }
        let members = try AudienceCSV.parse(csv, expectedType: record.type.privateAudienceKind)
        var offer = record.draft
        offer.plans[index].visibility = .private
        offer.plans[index].privateAudience = members
        if let live = record.live?.plan(planId), live.visibility == .public {
            throw DomainError.conflict(reason: "plan '\(planId)' is public; a public plan can never become private")
        }
        return try await saveDraft(by: actor, record: record, offer: offer, context: context)
    }

    /// Publishes only the private-audience changes of a plan to preview and live, without certification.
    public func syncPrivateAudience(by actor: Principal, publisherId: String, offerId: String, planId: String, context: AuditContext) async throws -> OfferRecord {
        try Authorization.require(actor, .manageOffers, publisherId: publisherId, policy: accounts.policy)
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        guard let draftPlan = record.draft.plan(planId) else { throw DomainError.notFound(kind: "plan", id: planId) }
        guard record.live?.plan(planId) != nil || record.preview?.plan(planId) != nil else {
            throw DomainError.conflict(reason: "plan '\(planId)' is not published; publish the offer first")
        }
        var next = record
        for slot in [\OfferRecord.live, \OfferRecord.preview] {
            guard var o = next[keyPath: slot], let i = o.plans.firstIndex(where: { $0.id == planId }) else { continue }
            if o.plans[i].visibility == .public && draftPlan.visibility == .private {
                throw DomainError.conflict(reason: "plan '\(planId)' is public; a public plan can never become private")
            }
            o.plans[i].visibility = draftPlan.visibility
            o.plans[i].privateAudience = draftPlan.privateAudience
            next[keyPath: slot] = o
        }
        let now = clock.now()
        next.updatedAt = now
        return try await repository.update(next, expectedVersion: record.version,
                                           history: [OfferHistoryEvent(time: now, event: "Sync private audience", initiatedBy: actor.id, details: planId)],
                                           audit: audit(context, publisherId, "offer.syncPrivateAudience", offerId))
    }

    // MARK: Compare

    /// Field-by-field differences between the draft and the live or preview slot (spec-portal §4.8).
    public func compare(by actor: Principal, publisherId: String, offerId: String, with slot: String) async throws -> [FieldDifference] {
        let record = try await offer(by: actor, publisherId: publisherId, offerId: offerId)
        let other: Offer?
        switch slot.lowercased() {
        case "live": other = record.live
        case "preview": other = record.preview
        default: throw DomainError.invalid(field: "with", reason: "must be live or preview")
        }
        guard let other else { throw DomainError.notFound(kind: "\(slot) version of offer", id: offerId) }
        return try OfferDiff.differences(from: other, to: record.draft)
    }

    func audit(_ context: AuditContext, _ publisherId: String, _ action: String, _ offerId: String) -> AuditEntry {
        context.entry(ids: ids, clock: clock, publisherId: publisherId, action: action, targetType: "offer", targetId: offerId)
    }
}

/// Publish refused: the offer is incomplete or invalid (422, spec-portal §8.5 "Un-processable entity").
public struct PublishValidationFailure: Error, Sendable, Equatable {
    public var issues: [ValidationIssue]
}
