/// The role-bearing state of one publisher account, as the account rules need it: which users exist, which groups
/// they are in, and which roles are assigned to whom. Pure value; repositories load it inside the write transaction.
public struct AccountSnapshot: Sendable, Equatable {
    public var userIds: Set<String>
    public var groupMembers: [String: Set<String>]
    public var assignments: Set<RoleAssignment>

    public init(userIds: Set<String>, groupMembers: [String: Set<String>], assignments: Set<RoleAssignment>) {
        self.userIds = userIds
        self.groupMembers = groupMembers
        self.assignments = assignments
    }

    /// Effective roles of a user: own roles ∪ roles of each group they belong to (spec-portal §1.7, derived).
    public func effectiveRoles(ofUser userId: String) -> Set<Role> {
        guard userIds.contains(userId) else { return [] }
        var roles = Set(assignments.filter { $0.principal == .user(userId) }.map(\.role))
        for (groupId, members) in groupMembers where members.contains(userId) {
            roles.formUnion(assignments.filter { $0.principal == .group(groupId) }.map(\.role))
        }
        return roles
    }

    public func roles(of principal: PrincipalRef) -> Set<Role> {
        switch principal {
        case let .user(id): effectiveRoles(ofUser: id)
        case .group, .app: Set(assignments.filter { $0.principal == principal }.map(\.role))
        }
    }

    /// Users whose effective roles make them administrators (Owner).
    public var administrators: Set<String> {
        Set(userIds.filter { effectiveRoles(ofUser: $0).contains(where: \.isAdministrator) })
    }

    public func applying(_ change: AccountChange) -> AccountSnapshot {
        var next = self
        switch change {
        case let .addUser(id, roles):
            next.userIds.insert(id)
            for role in roles { next.assignments.insert(RoleAssignment(principal: .user(id), role: role)) }
        case let .removeUser(id):
            next.userIds.remove(id)
            next.assignments = next.assignments.filter { $0.principal != .user(id) }
            for key in next.groupMembers.keys { next.groupMembers[key]?.remove(id) }
        case let .assignRole(principal, role):
            next.assignments.insert(RoleAssignment(principal: principal, role: role))
        case let .unassignRole(principal, role):
            next.assignments.remove(RoleAssignment(principal: principal, role: role))
        case let .addGroupMember(groupId, userId):
            next.groupMembers[groupId, default: []].insert(userId)
        case let .removeGroupMember(groupId, userId):
            next.groupMembers[groupId]?.remove(userId)
        case let .removeGroup(groupId):
            next.groupMembers[groupId] = nil
            next.assignments = next.assignments.filter { $0.principal != .group(groupId) }
        }
        return next
    }
}

/// A change to who holds which role.
public enum AccountChange: Sendable, Equatable {
    case addUser(id: String, roles: Set<Role>)
    case removeUser(id: String)
    case assignRole(PrincipalRef, Role)
    case unassignRole(PrincipalRef, Role)
    case addGroupMember(groupId: String, userId: String)
    case removeGroupMember(groupId: String, userId: String)
    case removeGroup(id: String)
}

/// A non-blocking finding shown to the account's administrators.
public struct AccountWarning: Sendable, Equatable, Codable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
