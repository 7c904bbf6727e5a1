import Foundation

/// An RS256 token-signing key. The newest key that is not retired signs; every key that is not retired verifies
/// and is published in the JWKS, so tokens signed before a rotation keep validating until their key is retired.
public struct SigningKeyRecord: Sendable, Equatable {
    public var kid: String
    public var privateKeyPEM: String
    public var publicKeyPEM: String
    public var createdAt: Date
    public var retiredAt: Date?

    public init(kid: String, privateKeyPEM: String, publicKeyPEM: String, createdAt: Date, retiredAt: Date? = nil) {
        self.kid = kid
        self.privateKeyPEM = privateKeyPEM
        self.publicKeyPEM = publicKeyPEM
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}

public protocol SigningKeyRepository: Sendable {
    /// Keys oldest first, retired ones included.
    func allKeys() async throws -> [SigningKeyRecord]
    func insert(_ key: SigningKeyRecord, audit: AuditEntry) async throws
    func retire(kid: String, at: Date, audit: AuditEntry) async throws
}
