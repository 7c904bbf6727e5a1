import Foundation
import Hummingbird
import MercatoCore

/// ISV → customer private offers (spec-portal §5.2) under /api/partner/v1/privateOffers, and the customer's
/// acceptance simulated in sandbox mode (`POST /api/admin/customers/{tenantId}/privateOffers/{id}/accept`) until the
/// storefront offers it.
public struct PrivateOfferController: Sendable {
    let service: PrivateOfferService
    let sandbox: Bool

    public init(service: PrivateOfferService, sandbox: Bool) {
        self.service = service
        self.sandbox = sandbox
    }

    public func addRoutes(partner: RouterGroup<MercatoRequestContext>, api: RouterGroup<MercatoRequestContext>) {
        partner.post("privateOffers") { r, c in try await create(r, c) }
        partner.get("privateOffers") { _, c in try await list(c) }
        partner.post("privateOffers/{id}/withdraw") { _, c in try await withdraw(c) }
        api.post("admin/customers/{tenantId}/privateOffers/{id}/accept") { _, c in try await accept(c) }
    }

    func caller(_ c: MercatoRequestContext) throws -> (Principal, String) { try c.publisher() }

    struct Body: Decodable {
        var name: String
        var offerId: String
        var customerTenantId: String
        var planIds: [String]?
        var discountPercent: Decimal
        var startMonth: String
        var endMonth: String
        var acceptBy: String
    }

    func create(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId) = try caller(c)
        let b = try await JSONBody.decode(Body.self, from: r)
        guard let acceptBy = ISO8601DateFormatter().date(from: b.acceptBy) else {
            throw APIError(.badRequest, code: "BadArgument", message: "acceptBy '\(b.acceptBy)' is not an ISO 8601 date-time such as 2026-12-31T00:00:00Z.", target: "acceptBy")
        }
        let offer = try await service.create(by: p, publisherId: publisherId, .init(
            name: b.name, offerId: b.offerId, customerTenantId: b.customerTenantId, planIds: b.planIds, discountPercent: b.discountPercent,
            startMonth: b.startMonth, endMonth: b.endMonth, acceptBy: acceptBy), context: c.auditContext)
        return try JSONBody.response(offer, status: .created)
    }

    func list(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId) = try caller(c)
        return try JSONBody.response(["privateOffers": try await service.list(by: p, publisherId: publisherId)])
    }

    func withdraw(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId) = try caller(c)
        return try JSONBody.response(try await service.withdraw(by: p, publisherId: publisherId, id: c.parameters.get("id") ?? "", context: c.auditContext))
    }

    func accept(_ c: MercatoRequestContext) async throws -> Response {
        _ = try caller(c)
        guard sandbox else {
            throw APIError(.forbidden, code: "Forbidden", message: "Customer simulation is available only in sandbox mode (MERCATO_SANDBOX=true).")
        }
        return try JSONBody.response(try await service.accept(customerTenantId: c.parameters.get("tenantId") ?? "", id: c.parameters.get("id") ?? "",
                                                              context: c.auditContext))
    }
}
