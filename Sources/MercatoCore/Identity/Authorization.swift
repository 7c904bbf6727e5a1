/// Who is acting: a publisher user (with the roles of their groups), an API application, or the system.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case user, app, system }

    public var kind: Kind
    public var id: String
    public var publisherId: String?
    /// Effective roles: the principal's own roles ∪ the roles of all its groups (spec-portal §1.7, derived).
    public var roles: Set<Role>

    public init(kind: Kind, id: String, publisherId: String?, roles: Set<Role>) {
        self.kind = kind
        self.id = id
        self.publisherId = publisherId
        self.roles = roles
    }

    public static let system = Principal(kind: .system, id: "mercato", publisherId: nil, roles: [])
}

/// The outcome of one authorisation check, with the reason the audit log and error pages show.
public struct AuthorizationDecision: Sendable, Equatable {
    public var allowed: Bool
    public var reason: String
    /// Roles that would grant the permission under the current policy (for "you need role X" pages).
    public var grantingRoles: [Role]
}

/// The one authorisation function (issue 2; GOV-RB-01). Handlers and pages call this and nothing else.
public enum Authorization {
    public static func decide(
        _ principal: Principal,
        _ permission: Permission,
        publisherId: String,
        policy: RolePolicy = .default
    ) -> AuthorizationDecision {
        let granting = Role.allCases.filter { isGranted($0, permission, policy) }
        if principal.kind == .system {
            return AuthorizationDecision(allowed: true, reason: "system principal", grantingRoles: granting)
        }
        // GOV-ID-02: a principal of one publisher never acts on another's account.
        guard principal.publisherId == publisherId else {
            return AuthorizationDecision(allowed: false, reason: "principal belongs to another publisher account", grantingRoles: granting)
        }
        if let role = principal.roles.sorted().first(where: { isGranted($0, permission, policy) }) {
            return AuthorizationDecision(allowed: true, reason: "granted by role \(role.rawValue)", grantingRoles: granting)
        }
        let names = granting.map(\.rawValue).joined(separator: " or ")
        return AuthorizationDecision(allowed: false, reason: "requires role \(names)", grantingRoles: granting)
    }

    /// Throws `DomainError.forbidden` unless allowed.
    public static func require(
        _ principal: Principal,
        _ permission: Permission,
        publisherId: String,
        policy: RolePolicy = .default
    ) throws {
        let decision = decide(principal, permission, publisherId: publisherId, policy: policy)
        guard decision.allowed else {
            throw DomainError.forbidden(permission: permission.rawValue, reason: decision.reason)
        }
    }

    public static func isGranted(_ role: Role, _ permission: Permission, _ policy: RolePolicy) -> Bool {
        switch PermissionMatrix.grant(role, permission) {
        case .allowed: true
        case .ifEnabled: policy.contributorRolesEnabled
        case .denied: false
        }
    }
}
