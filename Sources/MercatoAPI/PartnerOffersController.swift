import Foundation
import Hummingbird
import MercatoCore

/// The catalog over JSON (`/api/partner/v1/offers…`): offers as whole documents with ETag/If-Match concurrency
/// (spec-portal §8.4), publishing as long-running operations the caller polls (202 + Location), history,
/// compare, private audiences.
public struct PartnerOffersController: Sendable {
    let catalog: CatalogService
    let baseURL: String

    public init(catalog: CatalogService, baseURL: String) {
        self.catalog = catalog
        self.baseURL = baseURL
    }

    public func addRoutes(to group: RouterGroup<MercatoRequestContext>) {
        group.get("offers") { _, c in try await list(c) }
        group.get("offers/{offerId}") { r, c in try await get(r, c) }
        group.put("offers/{offerId}") { r, c in try await put(r, c) }
        group.delete("offers/{offerId}") { _, c in try await delete(c) }
        group.get("offers/{offerId}/status") { _, c in try await status(c) }
        group.get("offers/{offerId}/history") { _, c in try await history(c) }
        group.get("offers/{offerId}/compare") { r, c in try await compare(r, c) }
        group.post("offers/{offerId}/publish") { _, c in try await operation(c) { try await catalog.publish(by: $0, publisherId: $1, offerId: $2, context: $3) } }
        group.post("offers/{offerId}/golive") { _, c in try await operation(c) { try await catalog.goLive(by: $0, publisherId: $1, offerId: $2, context: $3) } }
        group.post("offers/{offerId}/stopdistribution") { _, c in try await operation(c) { try await catalog.stopDistribution(by: $0, publisherId: $1, offerId: $2, context: $3) } }
        group.post("offers/{offerId}/cancel") { _, c in try await cancel(c) }
        group.get("offers/{offerId}/operations") { _, c in try await operations(c) }
        group.get("operations/{operationId}") { _, c in try await operationStatus(c) }
        group.put("offers/{offerId}/plans/{planId}/privateaudience") { r, c in try await importAudience(r, c) }
        group.get("offers/{offerId}/plans/{planId}/privateaudience") { _, c in try await exportAudience(c) }
        group.post("offers/{offerId}/plans/{planId}/syncprivateaudience") { _, c in try await syncAudience(c) }
    }

    func caller(_ c: MercatoRequestContext) throws -> (Principal, String, String) {
        let (p, publisherId) = try c.publisher()
        return (p, publisherId, c.parameters.get("offerId") ?? "")
    }

    struct OfferDocument: Encodable {
        var eTag: String
        var status: OfferStatus
        var slot: String
        var offer: Offer
    }

    func document(_ record: OfferRecord, slot: String = "draft", status: HTTPResponse.Status = .ok) throws -> Response {
        let offer: Offer?
        switch slot {
        case "draft": offer = record.draft
        case "preview": offer = record.preview
        case "live", "production": offer = record.live
        default: throw DomainError.invalid(field: "slot", reason: "must be draft, preview or live")
        }
        guard let offer else { throw DomainError.notFound(kind: "\(slot) version of offer", id: record.offerId) }
        return try JSONBody.response(OfferDocument(eTag: record.eTag, status: record.state.status, slot: slot, offer: offer),
                                     status: status, headers: [.eTag: record.eTag])
    }

    func list(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, _) = try caller(c)
        struct Summary: Encodable { var id: String; var type: OfferType; var alias: String; var name: String; var status: OfferStatus; var lastModified: Date; var eTag: String }
        let offers = try await catalog.offers(by: p, publisherId: publisherId).map {
            Summary(id: $0.offerId, type: $0.type, alias: $0.draft.alias, name: $0.draft.listing.name, status: $0.state.status, lastModified: $0.updatedAt, eTag: $0.eTag)
        }
        return try JSONBody.response(["offers": offers])
    }

    func get(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let record = try await catalog.offer(by: p, publisherId: publisherId, offerId: offerId)
        return try document(record, slot: (r.uri.queryParameters.get("slot") ?? "draft").lowercased())
    }

    func put(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        var offer = try await JSONBody.decode(Offer.self, from: r)
        if offer.id.isEmpty { offer.id = offerId }
        guard offer.id == offerId else { throw DomainError.invalid(field: "id", reason: "'\(offer.id)' does not match the URL's offer ID '\(offerId)'") }
        let precondition: CatalogService.Precondition = switch r.headers[.ifMatch] {
        case nil: .none
        case "*": .any
        case let tag?: .eTag(tag)
        }
        let (record, created) = try await catalog.put(by: p, publisherId: publisherId, offer: offer, precondition: precondition, context: c.auditContext)
        return try document(record, status: created ? .created : .ok)
    }

    func delete(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        try await catalog.delete(by: p, publisherId: publisherId, offerId: offerId, context: c.auditContext)
        return Response(status: .noContent)
    }

    func status(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let record = try await catalog.offer(by: p, publisherId: publisherId, offerId: offerId)
        struct Status: Encodable {
            var status: OfferStatus
            var phase: PublishPhase?
            var pages: [String: String]
            var issues: [ValidationIssue]
            var allowedActions: [WorkflowEvent]
            var lastOperation: PublishOperation?
        }
        let issues = OfferValidator.formatIssues(record.draft) + OfferValidator.completenessIssues(record.draft)
        let pages = Dictionary(uniqueKeysWithValues: OfferValidator.pageStatuses(record.draft).map { ($0.key.rawValue, $0.value) })
        let ops = try await catalog.repository.operations(publisherId: publisherId, offerId: offerId)
        let userActions: Set<WorkflowEvent> = [.publish, .cancelPublish, .goLive, .stopDistribution, .delete]
        return try JSONBody.response(Status(status: record.state.status, phase: record.state.phase, pages: pages, issues: issues,
                                            allowedActions: PublishingWorkflow.allowedEvents(from: record.state).filter(userActions.contains),
                                            lastOperation: ops.last.map { var o = $0; o.submitted = nil; return o }))
    }

    func history(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        return try JSONBody.response(["history": try await catalog.history(by: p, publisherId: publisherId, offerId: offerId)])
    }

    func compare(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let with = r.uri.queryParameters.get("with") ?? "live"
        return try JSONBody.response(["differences": try await catalog.compare(by: p, publisherId: publisherId, offerId: offerId, with: with)])
    }

    func operation(_ c: MercatoRequestContext, _ start: (Principal, String, String, AuditContext) async throws -> PublishOperation) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let op = try await start(p, publisherId, offerId, c.auditContext)
        let location = "\(baseURL)/api/partner/v1/operations/\(op.id)"
        var view = op
        view.submitted = nil
        return try JSONBody.response(view, status: .accepted, headers: [.location: location])
    }

    func cancel(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let record = try await catalog.cancelPublish(by: p, publisherId: publisherId, offerId: offerId, context: c.auditContext)
        return try document(record)
    }

    func operations(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        _ = try await catalog.offer(by: p, publisherId: publisherId, offerId: offerId)
        let ops = try await catalog.repository.operations(publisherId: publisherId, offerId: offerId).map { op -> PublishOperation in
            var o = op; o.submitted = nil; return o
        }
        return try JSONBody.response(["operations": ops])
    }

    func operationStatus(_ c: MercatoRequestContext) async throws -> Response {
        guard let p = c.principal, let publisherId = p.publisherId else { throw APIError(.unauthorized, code: "Unauthorized", message: "no caller") }
        let id = c.parameters.get("operationId") ?? ""
        // Another publisher's operation is "not found", not "forbidden" (GOV-ID-02: don't leak existence).
        guard var op = try await catalog.repository.operation(id: id), op.publisherId == publisherId else {
            throw DomainError.notFound(kind: "operation", id: id)
        }
        try Authorization.require(p, .viewAnalytics, publisherId: publisherId, policy: catalog.accounts.policy)
        op.submitted = nil
        return try JSONBody.response(op)
    }

    func importAudience(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let planId = c.parameters.get("planId") ?? ""
        let body = try await r.body.collect(upTo: 4 << 20)
        let record = try await catalog.importPrivateAudience(by: p, publisherId: publisherId, offerId: offerId, planId: planId,
                                                             csv: String(buffer: body), context: c.auditContext)
        return try document(record)
    }

    func exportAudience(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let planId = c.parameters.get("planId") ?? ""
        let record = try await catalog.offer(by: p, publisherId: publisherId, offerId: offerId)
        guard let plan = record.draft.plan(planId) else { throw DomainError.notFound(kind: "plan", id: planId) }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: AudienceCSV.export(plan.privateAudience, type: record.type.privateAudienceKind))))
    }

    func syncAudience(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId, offerId) = try caller(c)
        let planId = c.parameters.get("planId") ?? ""
        let record = try await catalog.syncPrivateAudience(by: p, publisherId: publisherId, offerId: offerId, planId: planId, context: c.auditContext)
        return try document(record)
    }
}
