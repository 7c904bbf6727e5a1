import Foundation
import MercatoCore
import SQLKit

/// `AccountRepository` on SQL: the one implementation for SQLite and PostgreSQL.
public struct SQLAccountRepository: AccountRepository {
    let db: Database
    let audit: SQLAuditLog

    public init(db: Database, audit: SQLAuditLog) {
        self.db = db
        self.audit = audit
    }

    // MARK: Publishers and tenants

    public func createPublisher(_ p: PublisherAccount, tenant: Tenant, owner: PublisherUser, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            let reserved = try await tx.raw("SELECT id FROM publisher_ids_used WHERE id = \(bind: p.id)").first()
            guard reserved == nil else {
                throw DomainError.conflict(reason: "publisher ID '\(p.id)' is taken; publisher IDs are never reused")
            }
            try await tx.raw("INSERT INTO publisher_ids_used (id, reserved_at) VALUES (\(bind: p.id), \(bind: p.createdAt.millis))").run()
            try await tx.raw("""
                INSERT INTO publishers (id, seller_id, name, mpn_id, created_at)
                VALUES (\(bind: p.id), \(bind: p.sellerId), \(bind: p.name), \(bind: p.mpnId), \(bind: p.createdAt.millis))
                """).run()
            try await Self.insertTenant(tenant, tx)
            try await Self.insertUser(owner, tx)
            try await Self.insertAssignment(p.id, .user(owner.id), .owner, tx)
            try await self.audit.append(entry, in: tx)
        }
    }

    public func publisher(id: String) async throws -> PublisherAccount? {
        try await db.sql.raw("SELECT * FROM publishers WHERE id = \(bind: id)").first().map(Self.publisher)
    }

    public func publishers() async throws -> [PublisherAccount] {
        try await db.sql.raw("SELECT * FROM publishers ORDER BY id").all().map(Self.publisher)
    }

    public func addTenant(_ tenant: Tenant, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await Self.requireNoRow(tx, "SELECT id FROM tenants WHERE id = \(bind: tenant.id)",
                                        "tenant \(tenant.id) is already associated with an account")
            try await Self.insertTenant(tenant, tx)
            try await self.audit.append(entry, in: tx)
        }
    }

    public func tenants(publisherId: String) async throws -> [Tenant] {
        try await db.sql.raw("SELECT * FROM tenants WHERE publisher_id = \(bind: publisherId) ORDER BY created_at, id").all().map(Self.tenant)
    }

    public func findTenant(_ idOrName: String) async throws -> Tenant? {
        let key = idOrName.lowercased()
        return try await db.sql.raw("SELECT * FROM tenants WHERE id = \(bind: key) OR LOWER(name) = \(bind: key) ORDER BY created_at LIMIT 1").first().map(Self.tenant)
    }

    // MARK: Users and groups

    public func addUser(_ user: PublisherUser, roles: Set<Role>, audit entry: AuditEntry) async throws -> [AccountWarning] {
        try await db.write { tx in
            let snapshot = try await self.lockedSnapshot(user.publisherId, tx)
            let warnings = try AccountRules.check(.addUser(id: user.id, roles: roles), on: snapshot)
            try await Self.requireNoRow(tx, "SELECT id FROM users WHERE publisher_id = \(bind: user.publisherId) AND email = \(bind: user.email)",
                                        "a user with e-mail \(user.email) already exists in this account")
            try await Self.insertUser(user, tx)
            for role in roles { try await Self.insertAssignment(user.publisherId, .user(user.id), role, tx) }
            try await self.audit.append(entry, in: tx)
            return warnings
        }
    }

    public func user(id: String) async throws -> PublisherUser? {
        try await db.sql.raw("SELECT * FROM users WHERE id = \(bind: id)").first().map(Self.user)
    }

    public func user(publisherId: String, email: String) async throws -> PublisherUser? {
        try await db.sql.raw("SELECT * FROM users WHERE publisher_id = \(bind: publisherId) AND email = \(bind: email.lowercased())").first().map(Self.user)
    }

    public func users(publisherId: String) async throws -> [PublisherUser] {
        try await db.sql.raw("SELECT * FROM users WHERE publisher_id = \(bind: publisherId) ORDER BY created_at, id").all().map(Self.user)
    }

    public func users(email: String) async throws -> [PublisherUser] {
        try await db.sql.raw("SELECT * FROM users WHERE email = \(bind: email.lowercased()) ORDER BY created_at, id").all().map(Self.user)
    }

    public func createGroup(_ group: UserGroup, roles: Set<Role>, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            _ = try await self.lockedSnapshot(group.publisherId, tx)
            try await tx.raw("""
                INSERT INTO user_groups (id, publisher_id, name, created_at)
                VALUES (\(bind: group.id), \(bind: group.publisherId), \(bind: group.name), \(bind: group.createdAt.millis))
                """).run()
            for member in Set(group.memberIds) {
                try await tx.raw("INSERT INTO group_members (group_id, user_id) VALUES (\(bind: group.id), \(bind: member))").run()
            }
            for role in roles { try await Self.insertAssignment(group.publisherId, .group(group.id), role, tx) }
            try await self.audit.append(entry, in: tx)
        }
    }

    public func groups(publisherId: String) async throws -> [UserGroup] {
        let groups = try await db.sql.raw("SELECT * FROM user_groups WHERE publisher_id = \(bind: publisherId) ORDER BY created_at, id").all()
        let members = try await db.sql.raw("""
            SELECT m.group_id, m.user_id FROM group_members m JOIN user_groups g ON g.id = m.group_id
            WHERE g.publisher_id = \(bind: publisherId) ORDER BY m.user_id
            """).all()
        var byGroup: [String: [String]] = [:]
        for row in members { byGroup[try row.decode(column: "group_id", as: String.self), default: []].append(try row.decode(column: "user_id", as: String.self)) }
        return try groups.map {
            let id = try $0.decode(column: "id", as: String.self)
            return UserGroup(id: id, publisherId: publisherId, name: try $0.decode(column: "name", as: String.self),
                             memberIds: byGroup[id] ?? [], createdAt: Date(millis: try $0.decode(column: "created_at", as: Int64.self)))
        }
    }

    // MARK: Roles

    public func apply(_ change: AccountChange, publisherId: String, audit entry: AuditEntry) async throws -> [AccountWarning] {
        try await db.write { tx in
            let snapshot = try await self.lockedSnapshot(publisherId, tx)
            let warnings = try AccountRules.check(change, on: snapshot)
            switch change {
            case .addUser:
                throw DomainError.invalid(field: "change", reason: "use addUser to create users")
            case let .removeUser(id):
                try await tx.raw("DELETE FROM group_members WHERE user_id = \(bind: id)").run()
                try await tx.raw("DELETE FROM role_assignments WHERE publisher_id = \(bind: publisherId) AND principal_type = 'user' AND principal_id = \(bind: id)").run()
                try await tx.raw("DELETE FROM users WHERE id = \(bind: id) AND publisher_id = \(bind: publisherId)").run()
            case let .assignRole(principal, role):
                if !snapshot.assignments.contains(RoleAssignment(principal: principal, role: role)) {
                    try await Self.insertAssignment(publisherId, principal, role, tx)
                }
            case let .unassignRole(principal, role):
                try await tx.raw("""
                    DELETE FROM role_assignments WHERE publisher_id = \(bind: publisherId) AND principal_type = \(bind: principal.type)
                    AND principal_id = \(bind: principal.id) AND role = \(bind: role.rawValue)
                    """).run()
            case let .addGroupMember(groupId, userId):
                if snapshot.groupMembers[groupId]?.contains(userId) != true {
                    try await tx.raw("INSERT INTO group_members (group_id, user_id) VALUES (\(bind: groupId), \(bind: userId))").run()
                }
            case let .removeGroupMember(groupId, userId):
                try await tx.raw("DELETE FROM group_members WHERE group_id = \(bind: groupId) AND user_id = \(bind: userId)").run()
            case let .removeGroup(groupId):
                try await tx.raw("DELETE FROM group_members WHERE group_id = \(bind: groupId)").run()
                try await tx.raw("DELETE FROM role_assignments WHERE publisher_id = \(bind: publisherId) AND principal_type = 'group' AND principal_id = \(bind: groupId)").run()
                try await tx.raw("DELETE FROM user_groups WHERE id = \(bind: groupId) AND publisher_id = \(bind: publisherId)").run()
            }
            try await self.audit.append(entry, in: tx)
            return warnings
        }
    }

    public func snapshot(publisherId: String) async throws -> AccountSnapshot {
        try await Self.loadSnapshot(publisherId, db.sql)
    }

    /// Loads the snapshot inside a write transaction, first locking the publisher row on PostgreSQL so concurrent
    /// role changes of one account apply one after the other (the last-Owner rule can't be raced).
    private func lockedSnapshot(_ publisherId: String, _ tx: any SQLDatabase) async throws -> AccountSnapshot {
        guard try await tx.raw(SQLQueryString("SELECT id FROM publishers WHERE id = ") + "\(bind: publisherId)" + SQLQueryString(db.forUpdate)).first() != nil else {
            throw DomainError.notFound(kind: "publisher", id: publisherId)
        }
        return try await Self.loadSnapshot(publisherId, tx)
    }

    static func loadSnapshot(_ publisherId: String, _ sql: any SQLDatabase) async throws -> AccountSnapshot {
        let users = try await sql.raw("SELECT id FROM users WHERE publisher_id = \(bind: publisherId)").all()
            .map { try $0.decode(column: "id", as: String.self) }
        let members = try await sql.raw("""
            SELECT m.group_id, m.user_id FROM group_members m JOIN user_groups g ON g.id = m.group_id
            WHERE g.publisher_id = \(bind: publisherId)
            """).all()
        let groups = try await sql.raw("SELECT id FROM user_groups WHERE publisher_id = \(bind: publisherId)").all()
        var groupMembers: [String: Set<String>] = [:]
        for row in groups { groupMembers[try row.decode(column: "id", as: String.self)] = [] }
        for row in members {
            groupMembers[try row.decode(column: "group_id", as: String.self), default: []].insert(try row.decode(column: "user_id", as: String.self))
        }
        let assignments = try await sql.raw("SELECT principal_type, principal_id, role FROM role_assignments WHERE publisher_id = \(bind: publisherId)").all()
            .compactMap { row -> RoleAssignment? in
                guard let principal = PrincipalRef(type: try row.decode(column: "principal_type", as: String.self),
                                                   id: try row.decode(column: "principal_id", as: String.self)),
                      let role = Role(rawValue: try row.decode(column: "role", as: String.self)) else { return nil }
                return RoleAssignment(principal: principal, role: role)
            }
        return AccountSnapshot(userIds: Set(users), groupMembers: groupMembers, assignments: Set(assignments))
    }

    // MARK: API applications

    public func createApplication(_ app: APIApplication, roles: Set<Role>, secret: ClientSecretRecord, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            _ = try await self.lockedSnapshot(app.publisherId, tx)
            try await tx.raw("""
                INSERT INTO api_applications (client_id, tenant_id, publisher_id, name, created_at)
                VALUES (\(bind: app.clientId), \(bind: app.tenantId), \(bind: app.publisherId), \(bind: app.name), \(bind: app.createdAt.millis))
                """).run()
            for role in roles { try await Self.insertAssignment(app.publisherId, .app(app.clientId), role, tx) }
            try await Self.insertSecret(secret, tx)
            try await self.audit.append(entry, in: tx)
        }
    }

    public func application(clientId: String) async throws -> APIApplication? {
        try await db.sql.raw("SELECT * FROM api_applications WHERE client_id = \(bind: clientId)").first().map(Self.application)
    }

    public func applications(publisherId: String) async throws -> [APIApplication] {
        try await db.sql.raw("SELECT * FROM api_applications WHERE publisher_id = \(bind: publisherId) ORDER BY created_at, client_id").all().map(Self.application)
    }

    public func addSecret(_ secret: ClientSecretRecord, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await Self.insertSecret(secret, tx)
            try await self.audit.append(entry, in: tx)
        }
    }

    public func revokeSecret(clientId: String, secretId: String, at: Date, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await tx.raw("""
                UPDATE api_application_secrets SET revoked_at = \(bind: at.millis)
                WHERE id = \(bind: secretId) AND client_id = \(bind: clientId) AND revoked_at IS NULL
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func secrets(clientId: String) async throws -> [ClientSecretRecord] {
        try await db.sql.raw("SELECT * FROM api_application_secrets WHERE client_id = \(bind: clientId) ORDER BY serial").all().map {
            ClientSecretRecord(
                id: try $0.decode(column: "id", as: String.self), clientId: try $0.decode(column: "client_id", as: String.self),
                hash: try $0.decode(column: "secret_hash", as: String.self), hint: try $0.decode(column: "hint", as: String.self),
                createdAt: Date(millis: try $0.decode(column: "created_at", as: Int64.self)),
                expiresAt: Date(millis: try $0.decode(column: "expires_at", as: Int64.self)),
                revokedAt: try $0.decode(column: "revoked_at", as: Int64?.self).map(Date.init(millis:)))
        }
    }

    // MARK: Customers

    public func createCustomer(_ customer: Customer, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await Self.requireNoRow(tx, "SELECT tenant_id FROM customers WHERE tenant_id = \(bind: customer.tenantId)",
                                        "customer tenant \(customer.tenantId) already exists")
            try await tx.raw("""
                INSERT INTO customers (tenant_id, name, created_at)
                VALUES (\(bind: customer.tenantId), \(bind: customer.name), \(bind: customer.createdAt.millis))
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func customer(tenantId: String) async throws -> Customer? {
        try await db.sql.raw("SELECT * FROM customers WHERE tenant_id = \(bind: tenantId)").first().map {
            Customer(tenantId: try $0.decode(column: "tenant_id", as: String.self), name: try $0.decode(column: "name", as: String.self),
                     createdAt: Date(millis: try $0.decode(column: "created_at", as: Int64.self)))
        }
    }

    public func addCustomerUser(_ user: CustomerUser, audit entry: AuditEntry) async throws {
        try await db.write { tx in
            try await Self.requireNoRow(tx, "SELECT id FROM customer_users WHERE email = \(bind: user.email)",
                                        "a customer user with e-mail \(user.email) already exists")
            try await tx.raw("""
                INSERT INTO customer_users (id, tenant_id, email, display_name, created_at)
                VALUES (\(bind: user.id), \(bind: user.tenantId), \(bind: user.email), \(bind: user.displayName), \(bind: user.createdAt.millis))
                """).run()
            try await self.audit.append(entry, in: tx)
        }
    }

    public func customerUser(email: String) async throws -> CustomerUser? {
        try await db.sql.raw("SELECT * FROM customer_users WHERE email = \(bind: email.lowercased())").first().map {
            CustomerUser(id: try $0.decode(column: "id", as: String.self), tenantId: try $0.decode(column: "tenant_id", as: String.self),
                         email: try $0.decode(column: "email", as: String.self), displayName: try $0.decode(column: "display_name", as: String.self),
                         createdAt: Date(millis: try $0.decode(column: "created_at", as: Int64.self)))
        }
    }

    // MARK: Row mapping and shared statements

    static func publisher(_ row: any SQLRow) throws -> PublisherAccount {
        PublisherAccount(id: try row.decode(column: "id", as: String.self), sellerId: try row.decode(column: "seller_id", as: String.self),
                         name: try row.decode(column: "name", as: String.self), mpnId: try row.decode(column: "mpn_id", as: String?.self),
                         createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }

    static func tenant(_ row: any SQLRow) throws -> Tenant {
        Tenant(id: try row.decode(column: "id", as: String.self), publisherId: try row.decode(column: "publisher_id", as: String.self),
               name: try row.decode(column: "name", as: String.self), createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }

    static func user(_ row: any SQLRow) throws -> PublisherUser {
        PublisherUser(id: try row.decode(column: "id", as: String.self), publisherId: try row.decode(column: "publisher_id", as: String.self),
                      tenantId: try row.decode(column: "tenant_id", as: String.self), email: try row.decode(column: "email", as: String.self),
                      displayName: try row.decode(column: "display_name", as: String.self),
                      createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }

    static func application(_ row: any SQLRow) throws -> APIApplication {
        APIApplication(clientId: try row.decode(column: "client_id", as: String.self), tenantId: try row.decode(column: "tenant_id", as: String.self),
                       publisherId: try row.decode(column: "publisher_id", as: String.self), name: try row.decode(column: "name", as: String.self),
                       createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)))
    }

    static func insertTenant(_ t: Tenant, _ tx: any SQLDatabase) async throws {
        try await tx.raw("""
            INSERT INTO tenants (id, publisher_id, name, created_at)
            VALUES (\(bind: t.id), \(bind: t.publisherId), \(bind: t.name), \(bind: t.createdAt.millis))
            """).run()
    }

    static func insertUser(_ u: PublisherUser, _ tx: any SQLDatabase) async throws {
        try await tx.raw("""
            INSERT INTO users (id, publisher_id, tenant_id, email, display_name, created_at)
            VALUES (\(bind: u.id), \(bind: u.publisherId), \(bind: u.tenantId), \(bind: u.email), \(bind: u.displayName), \(bind: u.createdAt.millis))
            """).run()
    }

    static func insertAssignment(_ publisherId: String, _ principal: PrincipalRef, _ role: Role, _ tx: any SQLDatabase) async throws {
        try await tx.raw("""
            INSERT INTO role_assignments (publisher_id, principal_type, principal_id, role)
            VALUES (\(bind: publisherId), \(bind: principal.type), \(bind: principal.id), \(bind: role.rawValue))
            """).run()
    }

    static func insertSecret(_ s: ClientSecretRecord, _ tx: any SQLDatabase) async throws {
        try await tx.raw("""
            INSERT INTO api_application_secrets (id, client_id, secret_hash, hint, created_at, expires_at, revoked_at, serial)
            VALUES (\(bind: s.id), \(bind: s.clientId), \(bind: s.hash), \(bind: s.hint), \(bind: s.createdAt.millis),
                    \(bind: s.expiresAt.millis), \(bind: s.revokedAt?.millis),
                    (SELECT COALESCE(MAX(serial), 0) + 1 FROM api_application_secrets WHERE client_id = \(bind: s.clientId)))
            """).run()
    }

    static func requireNoRow(_ tx: any SQLDatabase, _ query: SQLQueryString, _ message: String) async throws {
        if try await tx.raw(query).first() != nil { throw DomainError.conflict(reason: message) }
    }
}
