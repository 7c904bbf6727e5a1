import Foundation
import Hummingbird
import MercatoCore

/// The publisher's account over JSON (`/api/partner/v1/...`), for API applications holding a role: account
/// summary, users and their roles, and the publisher's slice of the audit log. Every action goes through
/// `AccountService`, which authorises with the one permission function.
public struct PartnerAccountController: Sendable {
    let accounts: AccountService
    let audit: any AuditLog

    public init(accounts: AccountService, audit: any AuditLog) {
        self.accounts = accounts
        self.audit = audit
    }

    struct AccountResponse: Codable {
        struct TenantDTO: Codable { var id: String; var name: String }
        struct Caller: Codable { var type: String; var id: String; var roles: [String] }
        var publisherId: String
        var sellerId: String
        var name: String
        var tenants: [TenantDTO]
        var warnings: [AccountWarning]
        var caller: Caller
    }

    struct UserDTO: Codable {
        var id: String
        var email: String
        var displayName: String
        var tenantId: String
        var roles: [String]
    }

    struct NewUserRequest: Codable {
        var email: String
        var displayName: String
        var roles: [String]
        var tenantId: String?
    }

    struct ChangeResponse: Codable {
        var warnings: [AccountWarning]
    }

    public func addRoutes(to group: RouterGroup<MercatoRequestContext>) {
        group.get("account") { _, context in try await account(context) }
        group.get("users") { _, context in try await users(context) }
        group.post("users") { request, context in try await addUser(request, context) }
        group.delete("users/{userId}") { _, context in try await removeUser(context) }
        group.put("users/{userId}/roles/{role}") { _, context in try await changeRole(context, assign: true) }
        group.delete("users/{userId}/roles/{role}") { _, context in try await changeRole(context, assign: false) }
        group.get("audit") { request, context in try await auditSlice(request, context) }
    }

    func caller(_ context: MercatoRequestContext) throws -> (Principal, String) { try context.publisher() }

    func account(_ context: MercatoRequestContext) async throws -> Response {
        let (principal, publisherId) = try caller(context)
        guard let publisher = try await accounts.repository.publisher(id: publisherId) else {
            throw DomainError.notFound(kind: "publisher", id: publisherId)
        }
        let tenants = try await accounts.repository.tenants(publisherId: publisherId)
        return try JSONBody.response(AccountResponse(
            publisherId: publisher.id, sellerId: publisher.sellerId, name: publisher.name,
            tenants: tenants.map { .init(id: $0.id, name: $0.name) },
            warnings: try await accounts.warnings(publisherId: publisherId),
            caller: .init(type: principal.kind.rawValue, id: principal.id, roles: principal.roles.sorted().map(\.rawValue))))
    }

    func users(_ context: MercatoRequestContext) async throws -> Response {
        let (principal, publisherId) = try caller(context)
        try Authorization.require(principal, .manageUsers, publisherId: publisherId, policy: accounts.policy)
        let snapshot = try await accounts.repository.snapshot(publisherId: publisherId)
        let users = try await accounts.repository.users(publisherId: publisherId).map {
            UserDTO(id: $0.id, email: $0.email, displayName: $0.displayName, tenantId: $0.tenantId,
                    roles: snapshot.effectiveRoles(ofUser: $0.id).sorted().map(\.rawValue))
        }
        return try JSONBody.response(["users": users])
    }

    func addUser(_ request: Request, _ context: MercatoRequestContext) async throws -> Response {
        let (principal, publisherId) = try caller(context)
        let body = try await JSONBody.decode(NewUserRequest.self, from: request)
        let roles = try Set(body.roles.enumerated().map { index, name in
            guard let role = Role(name: name) else { throw DomainError.invalid(field: "roles[\(index)]", reason: "'\(name)' is not a role") }
            return role
        })
        let (user, warnings) = try await accounts.addUser(by: principal, publisherId: publisherId, email: body.email,
                                                          displayName: body.displayName, roles: roles, tenantId: body.tenantId,
                                                          context: context.auditContext)
        struct Created: Codable { var user: UserDTO; var warnings: [AccountWarning] }
        return try JSONBody.response(Created(user: UserDTO(id: user.id, email: user.email, displayName: user.displayName,
                                                           tenantId: user.tenantId, roles: roles.sorted().map(\.rawValue)),
                                             warnings: warnings), status: .created)
    }

    func removeUser(_ context: MercatoRequestContext) async throws -> Response {
        let (principal, publisherId) = try caller(context)
        let userId = context.parameters.get("userId") ?? ""
        let warnings = try await accounts.removeUser(by: principal, publisherId: publisherId, userId: userId, context: context.auditContext)
        return try JSONBody.response(ChangeResponse(warnings: warnings))
    }

    func changeRole(_ context: MercatoRequestContext, assign: Bool) async throws -> Response {
        let (principal, publisherId) = try caller(context)
        let userId = context.parameters.get("userId") ?? ""
        let roleName = (context.parameters.get("role") ?? "").removingPercentEncoding ?? ""
        guard let role = Role(name: roleName) else { throw DomainError.invalid(field: "role", reason: "'\(roleName)' is not a role") }
        let warnings = assign
            ? try await accounts.assignRole(by: principal, publisherId: publisherId, to: .user(userId), role: role, context: context.auditContext)
            : try await accounts.unassignRole(by: principal, publisherId: publisherId, from: .user(userId), role: role, context: context.auditContext)
        return try JSONBody.response(ChangeResponse(warnings: warnings))
    }

    /// GOV-AUD-04: publishers can export their own audit slice.
    func auditSlice(_ request: Request, _ context: MercatoRequestContext) async throws -> Response {
        let (principal, publisherId) = try caller(context)
        try Authorization.require(principal, .manageUsers, publisherId: publisherId, policy: accounts.policy)
        let after = try request.uri.queryParameters.get("after").map { value -> Int64 in
            guard let n = Int64(value), n >= 0 else { throw DomainError.invalid(field: "after", reason: "must be a non-negative integer") }
            return n
        } ?? 0
        let limit = try request.uri.queryParameters.get("limit").map { value -> Int in
            guard let n = Int(value), (1...1000).contains(n) else { throw DomainError.invalid(field: "limit", reason: "must be between 1 and 1000") }
            return n
        } ?? 100
        let records = try await audit.records(publisherId: publisherId, afterSequence: after, limit: limit)
        return try JSONBody.response(["records": records])
    }
}
