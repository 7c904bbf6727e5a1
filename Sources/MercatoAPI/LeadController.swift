import Foundation
import Hummingbird
import MercatoCore

/// `GET /api/partner/v1/leads`: the publisher's leads, newest first (spec-portal §7), with their delivery state.
/// Leads carry customers' personal data: the caller needs the analytics permission of their publisher.
public struct LeadController: Sendable {
    let leads: LeadService
    let policy: RolePolicy

    public init(leads: LeadService, policy: RolePolicy) {
        self.leads = leads
        self.policy = policy
    }

    public func addRoutes(to group: RouterGroup<MercatoRequestContext>) {
        group.get("leads") { _, c in try await list(c) }
    }

    struct Item: Encodable {
        var id, offerId, offerTitle, leadSource, actionCode, description, createdAt, deliveryStatus: String
        var attempts: Int
        var lastError: String?
        var userDetails: Lead.UserDetails
    }

    func list(_ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try c.publisher(requiring: .viewAnalytics, policy: policy)
        let items = try await leads.leads(publisherId: publisherId).map {
            Item(id: $0.id, offerId: $0.offerId, offerTitle: $0.offerTitle, leadSource: $0.leadSource, actionCode: $0.actionCode, description: $0.description,
                 createdAt: WireTime.precise($0.createdAt), deliveryStatus: $0.status.rawValue, attempts: $0.attempts, lastError: $0.lastError,
                 userDetails: $0.userDetails)
        }
        return try JSONBody.response(["value": items])
    }
}
