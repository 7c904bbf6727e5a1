import Foundation
import Hummingbird
import MercatoCore

/// Sandbox controls for publishers' tests (issue 6), under /api/admin: the marketplace clock (time travel), fault
/// injection, the webhook delivery log with replay, and the customer's payment instrument. Clock and payment are
/// marketplace-wide and exist only in sandbox mode; faults and deliveries are always the caller's own.
public struct AdminController: Sendable {
    let clock: ClockService?
    let faults: any FaultRepository
    let webhooks: any WebhookRepository
    let subscriptions: SubscriptionService
    let policy: RolePolicy
    let sandbox: Bool
    let onFaultsChanged: @Sendable () -> Void

    public init(clock: ClockService?, faults: any FaultRepository, webhooks: any WebhookRepository, subscriptions: SubscriptionService,
                policy: RolePolicy, sandbox: Bool, onFaultsChanged: @escaping @Sendable () -> Void = {}) {
        self.clock = clock
        self.faults = faults
        self.webhooks = webhooks
        self.subscriptions = subscriptions
        self.policy = policy
        self.sandbox = sandbox
        self.onFaultsChanged = onFaultsChanged
    }

    public func addRoutes(to group: RouterGroup<MercatoRequestContext>) {
        let admin = group.group("admin")
        admin.get("clock") { _, c in try await showClock(c) }
        admin.post("clock") { r, c in try await advanceClock(r, c) }
        admin.get("faults") { _, c in try await listFaults(c) }
        admin.post("faults") { r, c in try await addFault(r, c) }
        admin.delete("faults/{faultId}") { _, c in try await removeFault(c) }
        admin.delete("faults") { _, c in try await clearFaults(c) }
        admin.get("webhooks") { r, c in try await listDeliveries(r, c) }
        admin.get("webhooks/{deliveryId}") { _, c in try await delivery(c) }
        admin.post("webhooks/{deliveryId}/replay") { _, c in try await replay(c) }
        admin.post("customers/{tenantId}/payment") { r, c in try await payment(r, c) }
    }

    func caller(_ c: MercatoRequestContext, _ permission: Permission) throws -> (Principal, String) {
        try c.publisher(requiring: permission, policy: policy)
    }

    func requireSandbox(_ what: String) throws -> ClockService {
        guard sandbox, let clock else {
            throw APIError(.forbidden, code: "Forbidden", message: "\(what) is available only in sandbox mode (MERCATO_SANDBOX=true).")
        }
        return clock
    }

    struct ClockView: Encodable { var now: Date; var offsetSeconds: Double; var fired: [FulfillmentWire.OperationDTO]? }

    func showClock(_ c: MercatoRequestContext) async throws -> Response {
        _ = try caller(c, .viewAnalytics)
        let service = try requireSandbox("The marketplace clock")
        try await service.sync()
        return try JSONBody.response(ClockView(now: service.clock.now(), offsetSeconds: (service.clock as? AdjustableClock)?.currentOffset ?? 0, fired: nil))
    }

    func advanceClock(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        _ = try caller(c, .manageOffers)
        let service = try requireSandbox("Time travel")
        struct Body: Decodable { var advance: String }
        let body = try await JSONBody.decode(Body.self, from: r)
        let seconds = try service.duration(body.advance)
        let result = try await service.advance(by: seconds, context: c.auditContext)
        return try JSONBody.response(ClockView(now: result.now, offsetSeconds: (service.clock as? AdjustableClock)?.currentOffset ?? 0,
                                               fired: result.fired.map { FulfillmentWire.OperationDTO($0) }))
    }

    func listFaults(_ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .viewAnalytics)
        return try JSONBody.response(["faults": try await faults.rules(publisherId: publisherId)])
    }

    func addFault(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .manageOffers)
        guard sandbox else { throw APIError(.forbidden, code: "Forbidden", message: "Fault injection is available only in sandbox mode.") }
        struct Body: Decodable {
            var scope: FaultRule.Scope
            var routePrefix: String?
            var offerId: String?
            var statusCode: Int?
            var latencyMilliseconds: Int?
            var timeout: Bool?
            var percent: Int?
        }
        let b = try await JSONBody.decode(Body.self, from: r)
        let rule = FaultRule(id: subscriptions.ids.uuidString(), publisherId: publisherId, scope: b.scope, routePrefix: b.routePrefix, offerId: b.offerId,
                             statusCode: b.statusCode, latencyMilliseconds: b.latencyMilliseconds, timeout: b.timeout ?? false, percent: b.percent ?? 100,
                             createdAt: subscriptions.clock.now())
        try rule.validate()
        try await faults.add(rule, audit: c.auditContext.entry(ids: subscriptions.ids, clock: subscriptions.clock, publisherId: publisherId,
                                                               action: "fault.add", targetType: "fault", targetId: rule.id))
        onFaultsChanged()
        return try JSONBody.response(rule, status: .created)
    }

    func removeFault(_ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .manageOffers)
        let id = c.parameters.get("faultId") ?? ""
        try await faults.remove(id: id, publisherId: publisherId, audit: c.auditContext.entry(ids: subscriptions.ids, clock: subscriptions.clock,
                                                                                           publisherId: publisherId, action: "fault.remove", targetType: "fault", targetId: id))
        onFaultsChanged()
        return Response(status: .noContent)
    }

    func clearFaults(_ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .manageOffers)
        let n = try await faults.clear(publisherId: publisherId, audit: c.auditContext.entry(ids: subscriptions.ids, clock: subscriptions.clock,
                                                                                          publisherId: publisherId, action: "fault.clear", targetType: "fault", targetId: "*"))
        onFaultsChanged()
        return try JSONBody.response(["removed": n])
    }

    struct DeliveryView: Encodable {
        var delivery: WebhookDelivery
        var attempts: [WebhookAttempt]
    }

    func listDeliveries(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .viewAnalytics)
        let sub = r.uri.queryParameters.get("subscriptionId").map { String($0) }
        var out: [DeliveryView] = []
        for d in try await webhooks.deliveries(publisherId: publisherId, subscriptionId: sub, limit: 500) {
            out.append(DeliveryView(delivery: d, attempts: try await webhooks.attempts(deliveryId: d.id)))
        }
        return try JSONBody.response(["deliveries": out])
    }

    func owned(_ c: MercatoRequestContext, _ publisherId: String) async throws -> WebhookDelivery {
        let id = c.parameters.get("deliveryId") ?? ""
        guard let d = try await webhooks.delivery(id: id), d.publisherId == publisherId else { throw DomainError.notFound(kind: "webhook delivery", id: id) }
        return d
    }

    func delivery(_ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .viewAnalytics)
        let d = try await owned(c, publisherId)
        return try JSONBody.response(DeliveryView(delivery: d, attempts: try await webhooks.attempts(deliveryId: d.id)))
    }

    func replay(_ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .manageOffers)
        let d = try await owned(c, publisherId)
        let replayed = try await webhooks.replay(id: d.id, now: subscriptions.clock.now(), audit: c.auditContext.entry(
            ids: subscriptions.ids, clock: subscriptions.clock, publisherId: publisherId, action: "webhook.replay", targetType: "webhookDelivery", targetId: d.id))
        return try JSONBody.response(replayed, status: .accepted)
    }

    func payment(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (_, publisherId) = try caller(c, .manageOffers)
        _ = try requireSandbox("Payment simulation")
        let tenant = (c.parameters.get("tenantId") ?? "").lowercased()
        // Only customers of this publisher.
        guard try await subscriptions.repository.subscriptions(customerTenantId: tenant).contains(where: { $0.publisherId == publisherId }) else {
            throw DomainError.notFound(kind: "customer", id: tenant)
        }
        struct Body: Decodable { var failing: Bool }
        let b = try await JSONBody.decode(Body.self, from: r)
        let ops = try await subscriptions.setPaymentFailing(customerTenantId: tenant, failing: b.failing, context: c.auditContext)
        return try JSONBody.response(["reinstatements": ops.filter { $0.publisherId == publisherId }.map { FulfillmentWire.OperationDTO($0) }])
    }
}
