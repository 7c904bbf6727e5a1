import Foundation
import Hummingbird
import MercatoCore

/// Managed-application instances for metering (spec-saas §7.7): the publisher lists its instances
/// (`GET /api/partner/v1/managedApplications`); in sandbox mode it simulates a customer deploying or deleting one
/// (`POST /api/admin/managedApplications`, `DELETE /api/admin/managedApplications/{resourceUsageId}`), so metering code
/// that reports by `resourceUri` or `resourceId` can be tested end to end.
public struct ManagedApplicationController: Sendable {
    let service: ManagedApplicationService
    let policy: RolePolicy
    let sandbox: Bool

    public init(service: ManagedApplicationService, policy: RolePolicy, sandbox: Bool) {
        self.service = service
        self.policy = policy
        self.sandbox = sandbox
    }

    public func addRoutes(partner: RouterGroup<MercatoRequestContext>, api: RouterGroup<MercatoRequestContext>) {
        partner.get("managedApplications") { _, c in
            let publisherId = try caller(c, .viewAnalytics)
            return try JSONBody.response(["managedApplications": try await service.repository.applications(publisherId: publisherId)])
        }
        api.post("admin/managedApplications") { r, c in
            let publisherId = try sandboxCaller(c)
            struct Body: Decodable { var offerId: String; var planId: String; var customerTenantId: String; var name: String; var market: String? }
            let b = try await JSONBody.decode(Body.self, from: r)
            return try JSONBody.response(try await service.deploy(publisherId: publisherId, offerId: b.offerId, planId: b.planId,
                                                                  customerTenantId: b.customerTenantId, name: b.name, market: b.market,
                                                                  context: c.auditContext), status: .created)
        }
        api.delete("admin/managedApplications/{id}") { _, c in
            let publisherId = try sandboxCaller(c)
            return try JSONBody.response(try await service.delete(usageId: c.parameters.get("id") ?? "", publisherId: publisherId, context: c.auditContext))
        }
    }

    func caller(_ c: MercatoRequestContext, _ permission: Permission) throws -> String {
        try c.publisher(requiring: permission, policy: policy).1
    }

    func sandboxCaller(_ c: MercatoRequestContext) throws -> String {
        let publisherId = try caller(c, .manageOffers)
        guard sandbox else {
            throw APIError(.forbidden, code: "Forbidden", message: "Customer simulation is available only in sandbox mode (MERCATO_SANDBOX=true).")
        }
        return publisherId
    }
}
