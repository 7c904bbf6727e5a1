import Foundation

/// A signed-in customer's browser session (issue 9). The cookie carries a random token; only its digest is stored.
/// Each session has its own CSRF token, which every form of a signed-in page must echo.
public struct WebSession: Sendable, Equatable {
    public var idHash: String
    public var userId: String
    public var tenantId: String
    public var email: String
    public var displayName: String
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(idHash: String, userId: String, tenantId: String, email: String, displayName: String, csrfToken: String, createdAt: Date, expiresAt: Date) {
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
    func setPasswordHash(userId: String, hash: String, audit: AuditEntry) async throws
    func passwordHash(userId: String) async throws -> String?
    func create(_ session: WebSession) async throws
    func session(idHash: String) async throws -> WebSession?
    func delete(idHash: String) async throws
}

/// Customer sign-in with e-mail and password. Passwords are stored as slow salted hashes (the injected hasher);
/// failures never say whether the e-mail exists. Sessions run on the wall clock, not the marketplace clock: moving
/// the sandbox clock does not sign anybody out.
public struct CustomerSignIn: Sendable {
    public let accounts: any AccountRepository
    public let sessions: any WebSessionRepository
    public let passwords: any SecretHasher
    public let ids: any IDGenerator
    public let digest: AuditChain.Digest
    public let lifetime: TimeInterval
    public static let minimumPasswordLength = 10

    public init(accounts: any AccountRepository, sessions: any WebSessionRepository, passwords: any SecretHasher, ids: any IDGenerator,
                digest: @escaping AuditChain.Digest, lifetime: TimeInterval = 8 * 3600) {
        self.accounts = accounts
        self.sessions = sessions
        self.passwords = passwords
        self.ids = ids
        self.digest = digest
        self.lifetime = lifetime
    }

    public func setPassword(email: String, password: String, context: AuditContext, clock: any MarketplaceClock) async throws {
        guard password.count >= Self.minimumPasswordLength else {
            throw DomainError.invalid(field: "password", reason: "use at least \(Self.minimumPasswordLength) characters")
        }
        guard let user = try await accounts.customerUser(email: email.lowercased()) else { throw DomainError.notFound(kind: "customer user", id: email) }
        try await sessions.setPasswordHash(userId: user.id, hash: passwords.hash(password), audit: context.entry(
            ids: ids, clock: clock, publisherId: nil, action: "customer.password.set", targetType: "customerUser", targetId: user.id))
    }

    /// The cookie value and the session; nil when the e-mail or password is wrong.
    public func signIn(email: String, password: String) async throws -> (token: String, session: WebSession)? {
        let user = try await accounts.customerUser(email: email.trimmingCharacters(in: .whitespaces).lowercased())
        var stored: String?
        if let user { stored = try await sessions.passwordHash(userId: user.id) }
        // Verify even without a user, so the answer takes as long either way.
        let ok = passwords.verify(password, against: stored ?? decoy.hash(passwords))
        guard ok, let user, stored != nil else { return nil }
        let token = ids.urlSafeToken(byteCount: 32)
        let now = Date()
        let session = WebSession(idHash: digest(Array(token.utf8)), userId: user.id, tenantId: user.tenantId, email: user.email,
                                 displayName: user.displayName, csrfToken: ids.urlSafeToken(byteCount: 24), createdAt: now,
                                 expiresAt: now.addingTimeInterval(lifetime))
        try await sessions.create(session)
        return (token, session)
    }

    public func session(token: String?) async throws -> WebSession? {
        guard let token, !token.isEmpty, token.count <= 128 else { return nil }
        guard let s = try await sessions.session(idHash: digest(Array(token.utf8))), s.expiresAt > Date() else { return nil }
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
