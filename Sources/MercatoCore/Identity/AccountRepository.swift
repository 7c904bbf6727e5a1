import Foundation

/// Persistence of accounts. One SQL implementation serves SQLite and PostgreSQL (`SQLAccountRepository`).
/// Every mutating call takes the audit entry that describes it and writes both in one transaction
/// (ARCHITECTURE rule 9), and checks `AccountRules` inside that transaction so concurrent changes can't race
/// past the last-Owner rule.
public protocol AccountRepository: Sendable {
    func createPublisher(_ publisher: PublisherAccount, tenant: Tenant, owner: PublisherUser, audit: AuditEntry) async throws
    func publisher(id: String) async throws -> PublisherAccount?
    func publishers() async throws -> [PublisherAccount]

    func addTenant(_ tenant: Tenant, audit: AuditEntry) async throws
    func tenants(publisherId: String) async throws -> [Tenant]
    /// A tenant by GUID or by name (Entra accepts either in token URLs).
    func findTenant(_ idOrName: String) async throws -> Tenant?

    /// Adds a user with roles; returns the account warnings after the change.
    func addUser(_ user: PublisherUser, roles: Set<Role>, audit: AuditEntry) async throws -> [AccountWarning]
    func user(id: String) async throws -> PublisherUser?
    func user(publisherId: String, email: String) async throws -> PublisherUser?
    func users(publisherId: String) async throws -> [PublisherUser]
    /// Users with this e-mail in any publisher account (portal sign-in).
    func users(email: String) async throws -> [PublisherUser]

    func createGroup(_ group: UserGroup, roles: Set<Role>, audit: AuditEntry) async throws
    func groups(publisherId: String) async throws -> [UserGroup]

    /// Applies a role/membership/removal change after `AccountRules.check` passes; returns the warnings after it.
    func apply(_ change: AccountChange, publisherId: String, audit: AuditEntry) async throws -> [AccountWarning]
    func snapshot(publisherId: String) async throws -> AccountSnapshot

    func createApplication(_ app: APIApplication, roles: Set<Role>, secret: ClientSecretRecord, audit: AuditEntry) async throws
    func application(clientId: String) async throws -> APIApplication?
    func applications(publisherId: String) async throws -> [APIApplication]
    func addSecret(_ secret: ClientSecretRecord, audit: AuditEntry) async throws
    func revokeSecret(clientId: String, secretId: String, at: Date, audit: AuditEntry) async throws
    /// Secrets of an application, oldest first (in the order they were added).
    func secrets(clientId: String) async throws -> [ClientSecretRecord]

    func createCustomer(_ customer: Customer, audit: AuditEntry) async throws
    func customer(tenantId: String) async throws -> Customer?
    func addCustomerUser(_ user: CustomerUser, audit: AuditEntry) async throws
    func customerUser(email: String) async throws -> CustomerUser?
}

/// The append-only, hash-chained audit log (GOV-AUD-01/03). There is no update or delete.
public protocol AuditLog: Sendable {
    @discardableResult
    func append(_ entry: AuditEntry) async throws -> AuditRecord
    /// Records in sequence order, optionally only one publisher's slice (GOV-AUD-04 export).
    func records(publisherId: String?, afterSequence: Int64, limit: Int) async throws -> [AuditRecord]
    func verify() async throws -> AuditVerification
}

/// Hashes client secrets for storage and checks presented ones (constant time).
public protocol SecretHasher: Sendable {
    func hash(_ secret: String) -> String
    func verify(_ secret: String, against stored: String) -> Bool
}
