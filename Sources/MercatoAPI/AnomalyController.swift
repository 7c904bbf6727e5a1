import Foundation
import Hummingbird
import MercatoCore

/// Metered usage anomalies for publishers (`/api/partner/v1/anomalies`), and an on-demand detection run in sandbox
/// mode (`POST /api/admin/anomalies/detect`; the worker runs it weekly).
public struct AnomalyController: Sendable {
    let service: AnomalyService
    let sandbox: Bool

    public init(service: AnomalyService, sandbox: Bool) {
        self.service = service
        self.sandbox = sandbox
    }

    public func addRoutes(partner: RouterGroup<MercatoRequestContext>, api: RouterGroup<MercatoRequestContext>) {
        partner.get("anomalies") { r, c in try await list(r, c) }
        partner.post("anomalies/{id}/markAnomaly") { r, c in try await mark(r, c) }
        partner.post("anomalies/{id}/markNotAnomaly") { r, c in try await markNot(r, c) }
        api.post("admin/anomalies/detect") { _, c in try await detect(c) }
    }

    func caller(_ c: MercatoRequestContext) throws -> (Principal, String) { try c.publisher() }

    func list(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId) = try caller(c)
        let period = try r.uri.queryParameters.get("period").map { v -> Int in
            guard let n = Int(v) else { throw DomainError.invalid(field: "period", reason: "must be 30, 60 or 90") }
            return n
        } ?? 30
        // C.2: by default only impacts above 100 USD; impact=all shows every anomaly.
        let all = r.uri.queryParameters.get("impact") == "all"
        let items = try await service.list(by: p, publisherId: publisherId, periodDays: period, minimumImpact: all ? nil : 100)
        return try JSONBody.response(["anomalies": items])
    }

    func mark(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId) = try caller(c)
        struct Body: Decodable { var newReportedUsage: Decimal }
        let b = try await JSONBody.decode(Body.self, from: r)
        return try JSONBody.response(try await service.mark(by: p, publisherId: publisherId, id: c.parameters.get("id") ?? "",
                                                            newReportedUsage: b.newReportedUsage, context: c.auditContext))
    }

    func markNot(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId) = try caller(c)
        struct Body: Decodable { var reason: String }
        let b = try await JSONBody.decode(Body.self, from: r)
        return try JSONBody.response(try await service.markNot(by: p, publisherId: publisherId, id: c.parameters.get("id") ?? "", reason: b.reason,
                                                               context: c.auditContext))
    }

    func detect(_ c: MercatoRequestContext) async throws -> Response {
        let (p, publisherId) = try caller(c)
        try Authorization.require(p, .manageOffers, publisherId: publisherId)
        guard sandbox else { throw APIError(.forbidden, code: "Forbidden", message: "On-demand detection is available only in sandbox mode; it runs weekly.") }
        let found = try await service.detect().filter { $0.publisherId == publisherId }
        return try JSONBody.response(["flagged": found])
    }
}
