import Foundation

/// Account use cases (spec-portal §1). Each one authorises through `Authorization`, validates, and asks the
/// repository to write the change together with its audit record.
public struct AccountService: Sendable {
    public let repository: any AccountRepository
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator
    public let hasher: any SecretHasher
    public let policy: RolePolicy
    /// Lifetime of a new client secret. Entra's portal offers up to 24 months; we default to 12.
    public let secretLifetime: TimeInterval

    public init(
        repository: any AccountRepository, clock: any MarketplaceClock, ids: any IDGenerator,
        hasher: any SecretHasher, policy: RolePolicy = .default, secretLifetime: TimeInterval = 365 * 86_400
    ) {
        self.repository = repository
        self.clock = clock
        self.ids = ids
        self.hasher = hasher
        self.policy = policy
        self.secretLifetime = secretLifetime
    }

    // MARK: Publishers

    public struct Enrollment: Sendable, Equatable {
        public var publisher: PublisherAccount
        public var tenant: Tenant
        public var owner: PublisherUser
    }

    /// Creates a publisher account with its first tenant and its Owner ("When a publisher account is created, an
    /// ownership role is assigned to the partner", spec-portal §1.9).
    public func enroll(
        publisherId: String, name: String, ownerEmail: String, ownerName: String,
        tenantName: String, tenantId: String? = nil, context: AuditContext = .system
    ) async throws -> Enrollment {
        try AccountRules.validatePublisherId(publisherId)
        try AccountRules.validateDisplayName(name, field: "name")
        try AccountRules.validateEmail(ownerEmail, field: "ownerEmail")
        try AccountRules.validateDisplayName(ownerName, field: "ownerName")
        try AccountRules.validateDisplayName(tenantName, field: "tenantName")
        if let tenantId { try Self.validateGUID(tenantId, field: "tenantId") }
        if try await repository.publisher(id: publisherId) != nil {
            throw DomainError.conflict(reason: "publisher ID '\(publisherId)' is taken; publisher IDs are never reused")
        }
        let now = clock.now()
        let publisher = PublisherAccount(id: publisherId, sellerId: sellerId(), name: name, createdAt: now)
        let tenant = Tenant(id: tenantId ?? ids.uuidString(), publisherId: publisherId, name: tenantName, createdAt: now)
        let owner = PublisherUser(id: ids.uuidString(), publisherId: publisherId, tenantId: tenant.id,
                                  email: ownerEmail.lowercased(), displayName: ownerName, createdAt: now)
        try await repository.createPublisher(publisher, tenant: tenant, owner: owner,
                                             audit: audit(context, publisherId, "publisher.create", "publisher", publisherId,
                                                          after: "{\"name\":\(jsonString(name)),\"owner\":\(jsonString(owner.id))}"))
        return Enrollment(publisher: publisher, tenant: tenant, owner: owner)
    }

    // MARK: Users, groups, roles

    public func addUser(
        by actor: Principal, publisherId: String, email: String, displayName: String,
        roles: Set<Role>, tenantId: String? = nil, context: AuditContext
    ) async throws -> (PublisherUser, [AccountWarning]) {
        try Authorization.require(actor, .manageUsers, publisherId: publisherId, policy: policy)
        try requireOwnerToGrantOwner(actor, roles)
        try AccountRules.validateEmail(email)
        try AccountRules.validateDisplayName(displayName, field: "displayName")
        let tenants = try await repository.tenants(publisherId: publisherId)
        guard let tenant = tenantId.map({ id in tenants.first { $0.id == id } }) ?? tenants.first else {
            throw DomainError.invalid(field: "tenantId", reason: "is not a tenant of publisher '\(publisherId)'")
        }
        if try await repository.user(publisherId: publisherId, email: email.lowercased()) != nil {
            throw DomainError.conflict(reason: "a user with e-mail \(email.lowercased()) already exists in this account")
        }
        let user = PublisherUser(id: ids.uuidString(), publisherId: publisherId, tenantId: tenant.id,
                                 email: email.lowercased(), displayName: displayName, createdAt: clock.now())
        let warnings = try await repository.addUser(user, roles: roles, audit: audit(
            context, publisherId, "user.add", "user", user.id,
            after: "{\"email\":\(jsonString(user.email)),\"roles\":\(jsonArray(roles.sorted().map(\.rawValue)))}"))
        return (user, warnings)
    }

    public func removeUser(by actor: Principal, publisherId: String, userId: String, context: AuditContext) async throws -> [AccountWarning] {
        try Authorization.require(actor, .manageUsers, publisherId: publisherId, policy: policy)
        guard let user = try await repository.user(id: userId), user.publisherId == publisherId else {
            throw DomainError.notFound(kind: "user", id: userId)
        }
        return try await repository.apply(.removeUser(id: userId), publisherId: publisherId,
                                          audit: audit(context, publisherId, "user.remove", "user", userId,
                                                       before: "{\"email\":\(jsonString(user.email))}"))
    }

    public func assignRole(by actor: Principal, publisherId: String, to principal: PrincipalRef, role: Role, context: AuditContext) async throws -> [AccountWarning] {
        try Authorization.require(actor, .manageUsers, publisherId: publisherId, policy: policy)
        try requireOwnerToGrantOwner(actor, [role])
        try await requireMember(principal, of: publisherId)
        return try await repository.apply(.assignRole(principal, role), publisherId: publisherId, audit: audit(
            context, publisherId, "role.assign", principal.type, principal.id, after: "{\"role\":\(jsonString(role.rawValue))}"))
    }

    public func unassignRole(by actor: Principal, publisherId: String, from principal: PrincipalRef, role: Role, context: AuditContext) async throws -> [AccountWarning] {
        try Authorization.require(actor, .manageUsers, publisherId: publisherId, policy: policy)
        try requireOwnerToGrantOwner(actor, [role])
        try await requireMember(principal, of: publisherId)
        return try await repository.apply(.unassignRole(principal, role), publisherId: publisherId, audit: audit(
            context, publisherId, "role.unassign", principal.type, principal.id, before: "{\"role\":\(jsonString(role.rawValue))}"))
    }

    public func createGroup(by actor: Principal, publisherId: String, name: String, roles: Set<Role>, memberIds: [String], context: AuditContext) async throws -> UserGroup {
        try Authorization.require(actor, .manageUsers, publisherId: publisherId, policy: policy)
        try requireOwnerToGrantOwner(actor, roles)
        try AccountRules.validateDisplayName(name, field: "name")
        for id in memberIds { try await requireMember(.user(id), of: publisherId) }
        let group = UserGroup(id: ids.uuidString(), publisherId: publisherId, name: name, memberIds: memberIds, createdAt: clock.now())
        try await repository.createGroup(group, roles: roles, audit: audit(
            context, publisherId, "group.create", "group", group.id,
            after: "{\"name\":\(jsonString(name)),\"roles\":\(jsonArray(roles.sorted().map(\.rawValue))),\"members\":\(jsonArray(memberIds))}"))
        return group
    }

    public func changeGroupMembership(by actor: Principal, publisherId: String, groupId: String, userId: String, add: Bool, context: AuditContext) async throws -> [AccountWarning] {
        try Authorization.require(actor, .manageUsers, publisherId: publisherId, policy: policy)
        try await requireMember(.group(groupId), of: publisherId)
        try await requireMember(.user(userId), of: publisherId)
        let change: AccountChange = add ? .addGroupMember(groupId: groupId, userId: userId) : .removeGroupMember(groupId: groupId, userId: userId)
        return try await repository.apply(change, publisherId: publisherId, audit: audit(
            context, publisherId, add ? "group.member.add" : "group.member.remove", "group", groupId, after: "{\"user\":\(jsonString(userId))}"))
    }

    /// The effective principal of a user: own roles ∪ group roles.
    public func principal(forUser userId: String) async throws -> Principal? {
        guard let user = try await repository.user(id: userId) else { return nil }
        let snapshot = try await repository.snapshot(publisherId: user.publisherId)
        return Principal(kind: .user, id: user.id, publisherId: user.publisherId, roles: snapshot.effectiveRoles(ofUser: user.id))
    }

    public func principal(forApplication clientId: String) async throws -> Principal? {
        guard let app = try await repository.application(clientId: clientId) else { return nil }
        let snapshot = try await repository.snapshot(publisherId: app.publisherId)
        return Principal(kind: .app, id: app.clientId, publisherId: app.publisherId, roles: snapshot.roles(of: .app(app.clientId)))
    }

    public func warnings(publisherId: String) async throws -> [AccountWarning] {
        AccountRules.warnings(for: try await repository.snapshot(publisherId: publisherId))
    }

    // MARK: API applications

    /// Registers an API application and returns its first secret — the only time the plaintext exists.
    public func createApplication(
        by actor: Principal, publisherId: String, name: String, roles: Set<Role>,
        tenantId: String? = nil, context: AuditContext
    ) async throws -> IssuedClientSecret {
        try Authorization.require(actor, .manageUsers, publisherId: publisherId, policy: policy)
        try requireOwnerToGrantOwner(actor, roles)
        try AccountRules.validateDisplayName(name, field: "name")
        let tenants = try await repository.tenants(publisherId: publisherId)
        guard let tenant = tenantId.map({ id in tenants.first { $0.id == id } }) ?? tenants.first else {
            throw DomainError.invalid(field: "tenantId", reason: "is not a tenant of publisher '\(publisherId)'")
        }
        let now = clock.now()
        let app = APIApplication(clientId: ids.uuidString(), tenantId: tenant.id, publisherId: publisherId, name: name, createdAt: now)
        let (secret, record) = newSecret(clientId: app.clientId, now: now)
        try await repository.createApplication(app, roles: roles, secret: record, audit: audit(
            context, publisherId, "app.create", "app", app.clientId,
            after: "{\"name\":\(jsonString(name)),\"roles\":\(jsonArray(roles.sorted().map(\.rawValue))),\"secretId\":\(jsonString(record.id))}"))
        return IssuedClientSecret(application: app, record: record, secret: secret)
    }

    /// Adds a secret to an application (rotation with overlap, GOV-SEC-01). When `keepLatest` is set, older
    /// active secrets beyond that many are revoked in the same step.
    public func addSecret(by actor: Principal, clientId: String, keepLatest: Int? = nil, context: AuditContext) async throws -> IssuedClientSecret {
        guard let app = try await repository.application(clientId: clientId) else { throw DomainError.notFound(kind: "application", id: clientId) }
        try Authorization.require(actor, .manageUsers, publisherId: app.publisherId, policy: policy)
        let now = clock.now()
        let (secret, record) = newSecret(clientId: clientId, now: now)
        try await repository.addSecret(record, audit: audit(context, app.publisherId, "app.secret.add", "app", clientId,
                                                            after: "{\"secretId\":\(jsonString(record.id))}"))
        if let keepLatest {
            let active = try await repository.secrets(clientId: clientId)
                .filter { $0.isActive(at: now) && $0.id != record.id }
                .reversed() // newest first
            for old in active.dropFirst(max(0, keepLatest - 1)) {
                try await repository.revokeSecret(clientId: clientId, secretId: old.id, at: now, audit: audit(
                    context, app.publisherId, "app.secret.revoke", "app", clientId, before: "{\"secretId\":\(jsonString(old.id))}"))
            }
        }
        return IssuedClientSecret(application: app, record: record, secret: secret)
    }

    public func revokeSecret(by actor: Principal, clientId: String, secretId: String, context: AuditContext) async throws {
        guard let app = try await repository.application(clientId: clientId) else { throw DomainError.notFound(kind: "application", id: clientId) }
        try Authorization.require(actor, .manageUsers, publisherId: app.publisherId, policy: policy)
        guard try await repository.secrets(clientId: clientId).contains(where: { $0.id == secretId }) else {
            throw DomainError.notFound(kind: "secret", id: secretId)
        }
        try await repository.revokeSecret(clientId: clientId, secretId: secretId, at: clock.now(), audit: audit(
            context, app.publisherId, "app.secret.revoke", "app", clientId, before: "{\"secretId\":\(jsonString(secretId))}"))
    }

    /// Checks a presented client secret against the application's active secrets. Returns the application when
    /// one matches; nil otherwise (unknown app, wrong, expired or revoked secret).
    public func authenticate(clientId: String, secret: String) async throws -> APIApplication? {
        guard let app = try await repository.application(clientId: clientId) else { return nil }
        let now = clock.now()
        let active = try await repository.secrets(clientId: clientId).filter { $0.isActive(at: now) }
        return active.contains(where: { hasher.verify(secret, against: $0.hash) }) ? app : nil
    }

    // MARK: Customers

    public func registerCustomer(tenantId: String?, name: String, userEmail: String, userName: String, context: AuditContext) async throws -> (Customer, CustomerUser) {
        try AccountRules.validateDisplayName(name, field: "name")
        try AccountRules.validateEmail(userEmail)
        try AccountRules.validateDisplayName(userName, field: "displayName")
        if let tenantId { try Self.validateGUID(tenantId, field: "tenantId") }
        let email = userEmail.lowercased()
        if try await repository.customerUser(email: email) != nil {
            throw DomainError.conflict(reason: "a customer user with e-mail \(email) already exists")
        }
        let now = clock.now()
        let customer: Customer
        if let tenantId, let existing = try await repository.customer(tenantId: tenantId) {
            customer = existing
        } else {
            customer = Customer(tenantId: tenantId ?? ids.uuidString(), name: name, createdAt: now)
            try await repository.createCustomer(customer, audit: audit(context, nil, "customer.create", "customer", customer.tenantId,
                                                                     after: "{\"name\":\(jsonString(name))}"))
        }
        let user = CustomerUser(id: ids.uuidString(), tenantId: customer.tenantId, email: email, displayName: userName, createdAt: now)
        try await repository.addCustomerUser(user, audit: audit(context, nil, "customer.user.add", "customerUser", user.id,
                                                               after: "{\"tenantId\":\(jsonString(customer.tenantId))}"))
        return (customer, user)
    }

    // MARK: Helpers

    /// Derived rule: only an Owner grants or takes away the Owner role. A Manager "manages users, roles and
    /// permissions" but must not be able to lift themselves to payout access (GOV-RB-02) by making themselves Owner.
    private func requireOwnerToGrantOwner(_ actor: Principal, _ roles: Set<Role>) throws {
        guard roles.contains(.owner), actor.kind != .system, !actor.roles.contains(.owner) else { return }
        throw DomainError.forbidden(permission: Permission.manageUsers.rawValue, reason: "only an Owner can grant or remove the Owner role")
    }

    private func requireMember(_ principal: PrincipalRef, of publisherId: String) async throws {
        switch principal {
        case let .user(id):
            guard let user = try await repository.user(id: id), user.publisherId == publisherId else { throw DomainError.notFound(kind: "user", id: id) }
        case let .group(id):
            guard try await repository.groups(publisherId: publisherId).contains(where: { $0.id == id }) else { throw DomainError.notFound(kind: "group", id: id) }
        case let .app(id):
            guard let app = try await repository.application(clientId: id), app.publisherId == publisherId else { throw DomainError.notFound(kind: "application", id: id) }
        }
    }

    private func newSecret(clientId: String, now: Date) -> (String, ClientSecretRecord) {
        let secret = "mct_" + ids.urlSafeToken(byteCount: 32)
        let record = ClientSecretRecord(id: ids.uuidString(), clientId: clientId, hash: hasher.hash(secret),
                                        hint: String(secret.dropFirst(4).prefix(3)) + "…", createdAt: now,
                                        expiresAt: now.addingTimeInterval(secretLifetime))
        return (secret, record)
    }

    private func sellerId() -> String {
        // Marketplace-assigned, numeric like Partner Center's Seller IDs.
        let digits = ids.randomBytes(8).map { String($0 % 10) }.joined()
        return "9" + digits
    }

    private func audit(_ context: AuditContext, _ publisherId: String?, _ action: String, _ targetType: String, _ targetId: String,
                       before: String? = nil, after: String? = nil) -> AuditEntry {
        context.entry(ids: ids, clock: clock, publisherId: publisherId, action: action, targetType: targetType,
                      targetId: targetId, before: before, after: after)
    }

    static func validateGUID(_ value: String, field: String) throws {
        guard GUIDText.isWellFormed(value) else { throw DomainError.invalid(field: field, reason: "must be a GUID") }
    }
}

/// Who and where a request came from, for the audit record.
public struct AuditContext: Sendable, Equatable {
    public var actorType: AuditEntry.ActorType
    public var actorId: String
    public var onBehalfOf: String?
    public var requestId: String?
    public var correlationId: String?
    public var sourceIP: String?

    public init(actorType: AuditEntry.ActorType, actorId: String, onBehalfOf: String? = nil, requestId: String? = nil, correlationId: String? = nil, sourceIP: String? = nil) {
        self.actorType = actorType
        self.actorId = actorId
        self.onBehalfOf = onBehalfOf
        self.requestId = requestId
        self.correlationId = correlationId
        self.sourceIP = sourceIP
    }

    public static let system = AuditContext(actorType: .system, actorId: "mercato")

    /// The audit entry for an action taken in this context.
    public func entry(ids: any IDGenerator, clock: any MarketplaceClock, publisherId: String?, action: String,
                      targetType: String, targetId: String, before: String? = nil, after: String? = nil,
                      decision: AuditEntry.Decision = .allowed, reason: String? = nil) -> AuditEntry {
        AuditEntry(eventId: ids.uuidString(), time: clock.now(), actorType: actorType, actorId: actorId,
                   onBehalfOf: onBehalfOf, publisherId: publisherId, action: action, targetType: targetType,
                   targetId: targetId, before: before, after: after, decision: decision, reason: reason,
                   correlationId: correlationId, requestId: requestId, sourceIP: sourceIP)
    }

    public static func cli(_ command: String) -> AuditContext { AuditContext(actorType: .system, actorId: "cli:\(command)") }

    public init(principal: Principal, requestId: String? = nil, correlationId: String? = nil, sourceIP: String? = nil) {
        let type: AuditEntry.ActorType = switch principal.kind { case .user: .user; case .app: .app; case .system: .system }
        self.init(actorType: type, actorId: principal.id, requestId: requestId, correlationId: correlationId, sourceIP: sourceIP)
    }
}

/// JSON string literal for hand-built audit snapshots.
func jsonString(_ s: String) -> String {
    let data = try! JSONEncoder().encode(s)
    return String(decoding: data, as: UTF8.self)
}

func jsonArray(_ items: [String]) -> String {
    "[" + items.map(jsonString).joined(separator: ",") + "]"
}
