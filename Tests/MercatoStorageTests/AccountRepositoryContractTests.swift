import Foundation
import MercatoApp
import MercatoCore
import MercatoStorage
import MercatoTestSupport
import Testing

/// The repository contract, run on every available backend (SQLite always; PostgreSQL when
/// MERCATO_TEST_POSTGRES_URL is set).
@Suite("Account repository contract")
struct AccountRepositoryContractTests {
    @Test("enrollment creates publisher, tenant, Owner; the publisher ID can't be taken again", arguments: TestBackend.available)
    func enrollment(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let e = try await env.accounts.enroll(publisherId: "contoso", name: "Contoso", ownerEmail: "Owner@Contoso.example",
                                                  ownerName: "Olivia", tenantName: "contoso.example")
            let repo = env.accounts.repository
            #expect(try await repo.publisher(id: "contoso") == e.publisher)
            #expect(try await repo.tenants(publisherId: "contoso") == [e.tenant])
            #expect(try await repo.user(id: e.owner.id)?.email == "owner@contoso.example")
            #expect(try await repo.user(publisherId: "contoso", email: "OWNER@contoso.example")?.id == e.owner.id)
            #expect(try await repo.snapshot(publisherId: "contoso").administrators == [e.owner.id])
            #expect(try await env.accounts.warnings(publisherId: "contoso").map(\.code) == ["GOV-ACC-01"])
            await #expect(throws: DomainError.self) {
                try await env.accounts.enroll(publisherId: "contoso", name: "Other", ownerEmail: "x@y.example",
                                              ownerName: "X", tenantName: "y.example")
            }
            #expect(try await repo.publishers().map(\.id) == ["contoso"])
        }
    }

    @Test("users, groups and roles round-trip; effective roles include group roles", arguments: TestBackend.available)
    func usersGroupsRoles(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let f = try await AccountFixture.make(env)
            let repo = env.accounts.repository
            let users = try await repo.users(publisherId: f.publisherId)
            #expect(users.count == Role.allCases.count)
            let dev = f.usersByRole[.developer]!
            let group = try await env.accounts.createGroup(by: f.ownerPrincipal, publisherId: f.publisherId, name: "Release managers",
                                                           roles: [.manager], memberIds: [dev.id], context: .system)
            #expect(try await repo.groups(publisherId: f.publisherId) == [group])
            let principal = try #require(try await env.accounts.principal(forUser: dev.id))
            #expect(principal.roles == [.developer, .manager])
            #expect(Authorization.decide(principal, .manageUsers, publisherId: f.publisherId).allowed)
            _ = try await env.accounts.changeGroupMembership(by: f.ownerPrincipal, publisherId: f.publisherId, groupId: group.id,
                                                             userId: dev.id, add: false, context: .system)
            #expect(try await env.accounts.principal(forUser: dev.id)?.roles == [.developer])
            await #expect(throws: DomainError.conflict(reason: "a user with e-mail developer@fabrikam.example already exists in this account")) {
                _ = try await env.accounts.addUser(by: f.ownerPrincipal, publisherId: f.publisherId, email: "Developer@fabrikam.example",
                                                   displayName: "Dup", roles: [], context: .system)
            }
        }
    }

    @Test("the last Owner can't be removed or demoted; with two Owners one can go", arguments: TestBackend.available)
    func lastOwner(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let f = try await AccountFixture.make(env)
            let owner = f.enrollment.owner
            let lastOwnerError = DomainError.conflict(reason: "at least one administrator required: the last Owner of the account can't be removed or demoted")
            await #expect(throws: lastOwnerError) {
                _ = try await env.accounts.removeUser(by: f.ownerPrincipal, publisherId: f.publisherId, userId: owner.id, context: .system)
            }
            await #expect(throws: lastOwnerError) {
                _ = try await env.accounts.unassignRole(by: f.ownerPrincipal, publisherId: f.publisherId, from: .user(owner.id), role: .owner, context: .system)
            }
            #expect(try await env.accounts.repository.user(id: owner.id) != nil)
            let (second, warnings) = try await env.accounts.addUser(by: f.ownerPrincipal, publisherId: f.publisherId, email: "second@fabrikam.example",
                                                                    displayName: "Second", roles: [.owner], context: .system)
            #expect(warnings.isEmpty)
            let after = try await env.accounts.removeUser(by: f.ownerPrincipal, publisherId: f.publisherId, userId: owner.id, context: .system)
            #expect(after.map(\.code) == ["GOV-ACC-01"])
            #expect(try await env.accounts.repository.snapshot(publisherId: f.publisherId).administrators == [second.id])
        }
    }

    @Test("concurrent removals of two Owners never leave the account without one", arguments: TestBackend.available)
    func concurrentRemovals(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let f = try await AccountFixture.make(env)
            let (second, _) = try await env.accounts.addUser(by: f.ownerPrincipal, publisherId: f.publisherId, email: "second@fabrikam.example",
                                                             displayName: "Second", roles: [.owner], context: .system)
            let system = Principal.system
            let ids = [f.enrollment.owner.id, second.id]
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for id in ids {
                    group.addTask {
                        (try? await env.accounts.removeUser(by: system, publisherId: f.publisherId, userId: id, context: .system)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await env.accounts.repository.snapshot(publisherId: f.publisherId).administrators.count == 1)
        }
    }

    @Test("authorisation is enforced by the use cases", arguments: TestBackend.available)
    func authorisation(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let f = try await AccountFixture.make(env)
            let other = try await AccountFixture.make(env, publisherId: "contoso")
            // A Developer can't add users.
            await #expect(throws: DomainError.self) {
                _ = try await env.accounts.addUser(by: f.principal(.developer), publisherId: f.publisherId, email: "x@fabrikam.example",
                                                   displayName: "X", roles: [.developer], context: .system)
            }
            // A Manager can add users but can't hand out (or take away) Owner.
            _ = try await env.accounts.addUser(by: f.principal(.manager), publisherId: f.publisherId, email: "y@fabrikam.example",
                                               displayName: "Y", roles: [.developer], context: .system)
            await #expect(throws: DomainError.forbidden(permission: "users.manage", reason: "only an Owner can grant or remove the Owner role")) {
                _ = try await env.accounts.assignRole(by: f.principal(.manager), publisherId: f.publisherId,
                                                      to: .user(f.usersByRole[.manager]!.id), role: .owner, context: .system)
            }
            // Another publisher's Owner can't touch this account, and this account's users are not found from there.
            await #expect(throws: DomainError.self) {
                _ = try await env.accounts.removeUser(by: other.ownerPrincipal, publisherId: f.publisherId,
                                                      userId: f.usersByRole[.developer]!.id, context: .system)
            }
            await #expect(throws: DomainError.notFound(kind: "user", id: f.usersByRole[.developer]!.id)) {
                _ = try await env.accounts.assignRole(by: other.ownerPrincipal, publisherId: other.publisherId,
                                                      to: .user(f.usersByRole[.developer]!.id), role: .manager, context: .system)
            }
        }
    }

    @Test("API applications: the secret is shown once, stored hashed, rotates with overlap, and expires", arguments: TestBackend.available)
    func applications(_ backend: TestBackend) async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        try await withTestEnvironment(backend, clock: clock) { env in
            let f = try await AccountFixture.make(env)
            let issued = try await env.accounts.createApplication(by: f.ownerPrincipal, publisherId: f.publisherId, name: "Backend",
                                                                  roles: [.manager], context: .system)
            let app = issued.application
            #expect(app.tenantId == f.enrollment.tenant.id)
            let stored = try await env.accounts.repository.secrets(clientId: app.clientId)
            #expect(stored.count == 1)
            #expect(stored[0].hash != issued.secret && !stored[0].hash.contains(issued.secret))
            // The plaintext appears nowhere in the database file / tables we can read back.
            let rows = try await env.db.sql.raw("SELECT secret_hash, hint FROM api_application_secrets").all()
            for row in rows {
                #expect(!(try row.decode(column: "secret_hash", as: String.self)).contains(issued.secret))
                #expect((try row.decode(column: "hint", as: String.self)).count <= 4)
            }
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: issued.secret) == app)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: issued.secret + "x") == nil)
            #expect(try await env.accounts.authenticate(clientId: UUID().uuidString.lowercased(), secret: issued.secret) == nil)
            #expect(try await env.accounts.principal(forApplication: app.clientId)?.roles == [.manager])

            // Rotation keeping the latest two: both work; a third rotation retires the first.
            let second = try await env.accounts.addSecret(by: f.ownerPrincipal, clientId: app.clientId, keepLatest: 2, context: .system)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: issued.secret) != nil)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: second.secret) != nil)
            clock.advance(by: 1)
            let third = try await env.accounts.addSecret(by: f.ownerPrincipal, clientId: app.clientId, keepLatest: 2, context: .system)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: issued.secret) == nil)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: second.secret) != nil)

            // Explicit revocation, then expiry.
            try await env.accounts.revokeSecret(by: f.ownerPrincipal, clientId: app.clientId, secretId: second.record.id, context: .system)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: second.secret) == nil)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: third.secret) != nil)
            clock.advance(by: 366 * 86_400)
            #expect(try await env.accounts.authenticate(clientId: app.clientId, secret: third.secret) == nil)

            // A Developer can't create applications.
            await #expect(throws: DomainError.self) {
                _ = try await env.accounts.createApplication(by: f.principal(.developer), publisherId: f.publisherId, name: "Nope",
                                                             roles: [], context: .system)
            }
        }
    }

    @Test("customers and their users", arguments: TestBackend.available)
    func customers(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let tenant = UUID().uuidString.lowercased()
            let (customer, user) = try await env.accounts.registerCustomer(tenantId: tenant, name: "Northwind", userEmail: "Buyer@Northwind.example",
                                                                          userName: "Bea Buyer", context: .system)
            #expect(customer.tenantId == tenant)
            #expect(try await env.accounts.repository.customer(tenantId: tenant) == customer)
            #expect(try await env.accounts.repository.customerUser(email: "buyer@northwind.example") == user)
            let (same, second) = try await env.accounts.registerCustomer(tenantId: tenant, name: "Northwind", userEmail: "it@northwind.example",
                                                                        userName: "Ian IT", context: .system)
            #expect(same == customer && second.tenantId == tenant)
            await #expect(throws: DomainError.self) {
                _ = try await env.accounts.registerCustomer(tenantId: nil, name: "Dup", userEmail: "buyer@northwind.example",
                                                            userName: "Dup", context: .system)
            }
            await #expect(throws: DomainError.invalid(field: "tenantId", reason: "must be a GUID")) {
                _ = try await env.accounts.registerCustomer(tenantId: "not-a-guid", name: "X", userEmail: "x@x.example", userName: "X", context: .system)
            }
        }
    }

    @Test("migrations are recorded and re-running them changes nothing", arguments: TestBackend.available)
    func migrations(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let applied = try await Migrator.appliedVersions(env.db)
            #expect(applied == Migrations.all.map(\.version))
            let again = try await Migrator.migrate(env.db, logger: env.logger)
            #expect(again.isEmpty)
        }
    }
}
