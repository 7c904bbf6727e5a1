import Foundation

/// A signed-in browser session (issue 9: customers; issue 10: publisher users). The cookie carries a random token; only
/// its digest is stored. Each session has its own CSRF token, which every form of a signed-in page must echo.
public struct WebSession: Sendable, Equatable {
    /// Which kind of user signed in. A session of one realm is never accepted by the other (separate cookies too).
    public enum Realm: String, Sendable, Codable { case customer, publisher }

    public var realm: Realm
    public var idHash: String
    public var userId: String
    /// The customer's tenant ID, or the publisher ID for a publisher user.
    public var tenantId: String
    public var email: String
    public var displayName: String
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(realm: Realm = .customer, idHash: String, userId: String, tenantId: String, email: String, displayName: String, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.realm = realm
        self.idHash = idHash
        self.userId = userId
        self.tenantId = tenantId
        self.email = email
        self.displayName = displayName
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

public protocol WebSessionRepository: Sendable {
    func setPasswordHash(userId: String, realm: WebSession.Realm, hash: String, audit: AuditEntry) async throws
    func passwordHash(userId: String, realm: WebSession.Realm) async throws -> String?
    func create(_ session: WebSession) async throws
    func session(idHash: String) async throws -> WebSession?
    func delete(idHash: String) async throws
}

/// Who may sign in to a realm, found by e-mail.
public struct SignInUser: Sendable, Equatable {
    public var id: String
    /// The customer's tenant, or the publisher user's publisher ID.
    public var scope: String
    public var email: String
    public var displayName: String

    public init(id: String, scope: String, email: String, displayName: String) {
        self.id = id
        self.scope = scope
        self.email = email
        self.displayName = displayName
    }
}

/// Sign-in with e-mail and password, for customers (storefront) and publisher users (portal). Passwords are stored as
/// slow salted hashes (the injected hasher); failures never say whether the e-mail exists. Sessions run on the wall
/// clock, not the marketplace clock: moving the sandbox clock does not sign anybody out.
public struct PasswordSignIn: Sendable {
    public let realm: WebSession.Realm
    public let sessions: any WebSessionRepository
    public let passwords: any SecretHasher
    public let ids: any IDGenerator
    public let digest: AuditChain.Digest
    public let lifetime: TimeInterval
    /// Users with this (lower-cased) e-mail; a publisher user may belong to several publisher accounts.
    let findUsers: @Sendable (String) async throws -> [SignInUser]
    public static let minimumPasswordLength = 10

    public init(realm: WebSession.Realm, sessions: any WebSessionRepository, passwords: any SecretHasher, ids: any IDGenerator,
                digest: @escaping AuditChain.Digest, lifetime: TimeInterval = 8 * 3600,
                findUsers: @escaping @Sendable (String) async throws -> [SignInUser]) {
        self.realm = realm
        self.sessions = sessions
        self.passwords = passwords
        self.ids = ids
        self.digest = digest
        self.lifetime = lifetime
        self.findUsers = findUsers
    }

    /// Customers: the users of `customer_users`, scoped by their tenant.
    public static func customers(accounts: any AccountRepository, sessions: any WebSessionRepository, passwords: any SecretHasher,
                                 ids: any IDGenerator, digest: @escaping AuditChain.Digest) -> PasswordSignIn {
        PasswordSignIn(realm: .customer, sessions: sessions, passwords: passwords, ids: ids, digest: digest) { email in
            try await accounts.customerUser(email: email).map { [SignInUser(id: $0.id, scope: $0.tenantId, email: $0.email, displayName: $0.displayName)] } ?? []
        }
    }

    /// Publisher users (spec-portal §1.6), scoped by their publisher account.
    public static func publishers(accounts: any AccountRepository, sessions: any WebSessionRepository, passwords: any SecretHasher,
                                  ids: any IDGenerator, digest: @escaping AuditChain.Digest) -> PasswordSignIn {
        PasswordSignIn(realm: .publisher, sessions: sessions, passwords: passwords, ids: ids, digest: digest) { email in
            try await accounts.users(email: email).map { SignInUser(id: $0.id, scope: $0.publisherId, email: $0.email, displayName: $0.displayName) }
        }
    }

    /// Sets the password of the user with this e-mail (of `scope` when given: a publisher ID for publisher users).
    public func setPassword(email: String, scope: String? = nil, password: String, context: AuditContext, clock: any MarketplaceClock) async throws {
        guard password.count >= Self.minimumPasswordLength else {
            throw DomainError.invalid(field: "password", reason: "use at least \(Self.minimumPasswordLength) characters")
        }
        guard let user = try await findUsers(email.lowercased()).first(where: { scope == nil || $0.scope == scope }) else {
            throw DomainError.notFound(kind: "\(realm.rawValue) user", id: email)
        }
        try await sessions.setPasswordHash(userId: user.id, realm: realm, hash: passwords.hash(password), audit: context.entry(
            ids: ids, clock: clock, publisherId: realm == .publisher ? user.scope : nil, action: "\(realm.rawValue).password.set",
            targetType: realm == .publisher ? "user" : "customerUser", targetId: user.id))
    }

    /// The cookie value and the session; nil when the e-mail or password is wrong.
    public func signIn(email: String, password: String) async throws -> (token: String, session: WebSession)? {
        let users = try await findUsers(email.trimmingCharacters(in: .whitespaces).lowercased())
        var match: SignInUser?
        for user in users {
            guard let stored = try await sessions.passwordHash(userId: user.id, realm: realm) else { continue }
            if passwords.verify(password, against: stored) { match = user; break }
        }
        // Verify even without a user, so the answer takes as long either way.
        if users.isEmpty { _ = passwords.verify(password, against: decoy.hash(passwords)) }
        guard let user = match else { return nil }
        let token = ids.urlSafeToken(byteCount: 32)
        let now = Date()
        let session = WebSession(realm: realm, idHash: digest(Array(token.utf8)), userId: user.id, tenantId: user.scope, email: user.email,
                                 displayName: user.displayName, csrfToken: ids.urlSafeToken(byteCount: 24), createdAt: now,
                                 expiresAt: now.addingTimeInterval(lifetime))
        try await sessions.create(session)
        return (token, session)
    }

    public func session(token: String?) async throws -> WebSession? {
        guard let token, !token.isEmpty, token.count <= 128 else { return nil }
        guard let s = try await sessions.session(idHash: digest(Array(token.utf8))), s.realm == realm, s.expiresAt > Date() else { return nil }
        return s
    }

    public func signOut(token: String?) async throws {
        guard let token, !token.isEmpty, token.count <= 128 else { return }
        try await sessions.delete(idHash: digest(Array(token.utf8)))
    }

    let decoy = Decoy()

    /// A real hash of nothing, verified against when the e-mail is unknown (computed once, on first need).
    final class Decoy: @unchecked Sendable {
        private let lock = NSLock()
        private var value: String?
        func hash(_ hasher: any SecretHasher) -> String {
            lock.withLock {
                if let value { return value }
                let h = hasher.hash("no such user \(UUID().uuidString)")
                value = h
                return h
            }
        }
    }
}
