import _CryptoExtras
import Crypto
import Foundation
import JWTKit
import MercatoCore

/// Owns the RS256 keys: creates the first one on demand, rotates and retires them, publishes the JWKS and keeps a
/// `JWTKeyCollection` cache. Another process (`mercato keys rotate`) may change the keys; the cache reloads after
/// `cacheLifetime` and whenever a token names an unknown `kid`.
public actor SigningKeyService {
    public struct PublicJWK: Codable, Sendable, Equatable {
        public var kty = "RSA"
        public var use = "sig"
        public var kid: String
        public var x5t: String
        public var n: String
        public var e: String
        public var alg = "RS256"
    }

    struct Loaded {
        var collection: JWTKeyCollection
        var signingKid: String?
        var jwks: [PublicJWK]
        var loadedAt: Date
    }

    private let repository: any SigningKeyRepository
    private let clock: any MarketplaceClock
    private let ids: any IDGenerator
    private let cacheLifetime: TimeInterval
    private var loaded: Loaded? {
        didSet { activeKids.set(loaded.map { (Set($0.jwks.map(\.kid)), $0.loadedAt) }) }
    }
    /// The published kids of `loaded`, readable without entering the actor: every authenticated request asks
    /// `isActive`, and a hop onto the actor and back cost two task switches per request.
    private nonisolated let activeKids = ActiveKids()

    final class ActiveKids: @unchecked Sendable {
        private let lock = NSLock()
        private var value: (kids: Set<String>, loadedAt: Date)?
        func set(_ v: (Set<String>, Date)?) { lock.withLock { value = v } }
        func get() -> (kids: Set<String>, loadedAt: Date)? { lock.withLock { value } }
    }

    public init(repository: any SigningKeyRepository, clock: any MarketplaceClock = SystemClock(),
                ids: any IDGenerator = SystemIDGenerator(), cacheLifetime: TimeInterval = 60) {
        self.repository = repository
        self.clock = clock
        self.ids = ids
        self.cacheLifetime = cacheLifetime
    }

    /// The key collection for signing and verifying, creating the first key when there is none.
    func current(forceReload: Bool = false) async throws -> Loaded {
        if !forceReload, let loaded, clock.now().timeIntervalSince(loaded.loadedAt) < cacheLifetime, loaded.signingKid != nil {
            return loaded
        }
        var keys = try await repository.allKeys()
        if !keys.contains(where: { $0.retiredAt == nil }) {
            do {
                _ = try await rotate(context: .system)
            } catch {
                // Another replica created the first key at the same moment: use theirs.
            }
            keys = try await repository.allKeys()
        }
        let fresh = try await Self.load(keys, now: clock.now())
        loaded = fresh
        return fresh
    }

    /// Publishes a new signing key; older keys keep verifying until retired. Returns the new kid.
    @discardableResult
    public func rotate(context: AuditContext) async throws -> String {
        let privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let jwk = try Self.jwk(publicKeyPEM: privateKey.publicKey.pemRepresentation, kid: "")
        let kid = Self.thumbprint(n: jwk.n, e: jwk.e)
        let now = clock.now()
        try await repository.insert(
            SigningKeyRecord(kid: kid, privateKeyPEM: privateKey.pemRepresentation, publicKeyPEM: privateKey.publicKey.pemRepresentation, createdAt: now),
            audit: context.entry(ids: ids, clock: clock, publisherId: nil, action: "signingKey.rotate", targetType: "signingKey", targetId: kid))
        loaded = nil
        return kid
    }

    /// Stops a key from verifying and removes it from the JWKS. The key that currently signs can't be retired.
    public func retire(kid: String, context: AuditContext) async throws {
        let keys = try await repository.allKeys()
        let active = keys.filter { $0.retiredAt == nil }
        if active.last?.kid == kid {
            throw DomainError.conflict(reason: "key \(kid) is the signing key; rotate first, then retire it")
        }
        let now = clock.now()
        try await repository.retire(kid: kid, at: now, audit: context.entry(
            ids: ids, clock: clock, publisherId: nil, action: "signingKey.retire", targetType: "signingKey", targetId: kid))
        loaded = nil
    }

    public func keys() async throws -> [SigningKeyRecord] { try await repository.allKeys() }

    /// Whether `kid` is published (not retired), from the cached key set.
    public nonisolated func isActive(kid: String) async throws -> Bool {
        let now = clock.now()
        if let known = activeKids.get(), now.timeIntervalSince(known.loadedAt) < cacheLifetime, now >= known.loadedAt {
            return known.kids.contains(kid)
        }
        return try await isActiveReloading(kid: kid)
    }

    private func isActiveReloading(kid: String) async throws -> Bool {
        try await current().jwks.contains { $0.kid == kid }
    }

    /// The JWKS document: every key that is not retired.
    public func jwks() async throws -> [PublicJWK] { try await current().jwks }

    /// Signs claims with the current signing key.
    public func sign(_ claims: AccessTokenClaims) async throws -> String {
        let state = try await current()
        guard let kid = state.signingKid else { throw DomainError.conflict(reason: "no signing key") }
        var header = JWTHeader()
        header.typ = "JWT"
        header.x5t = kid
        return try await state.collection.sign(claims, kid: JWKIdentifier(string: kid), header: header)
    }

    /// Verifies the signature of a token whose header names `kid` and returns its claims.
    func verifySignature(_ token: String, kid: String) async throws -> AccessTokenClaims? {
        var state = try await current()
        if !state.jwks.contains(where: { $0.kid == kid }) {
            state = try await current(forceReload: true)
            guard state.jwks.contains(where: { $0.kid == kid }) else { return nil }
        }
        return try await state.collection.verify(token, as: AccessTokenClaims.self)
    }

    static func load(_ keys: [SigningKeyRecord], now: Date) async throws -> Loaded {
        let collection = JWTKeyCollection()
        var jwks: [PublicJWK] = []
        var signing: String?
        for key in keys where key.retiredAt == nil {
            let rsa = try Insecure.RSA.PrivateKey(pem: key.privateKeyPEM)
            await collection.add(rsa: rsa, digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
            jwks.append(try jwk(publicKeyPEM: key.publicKeyPEM, kid: key.kid))
            signing = key.kid // newest non-retired key signs
        }
        return Loaded(collection: collection, signingKid: signing, jwks: jwks, loadedAt: now)
    }

    static func jwk(publicKeyPEM: String, kid: String) throws -> PublicJWK {
        let (modulus, exponent) = try Insecure.RSA.PublicKey(pem: publicKeyPEM).getKeyPrimitives()
        return PublicJWK(kid: kid, x5t: kid, n: Base64URL.encode(Array(modulus)), e: Base64URL.encode(Array(exponent)))
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url) as the key ID.
    static func thumbprint(n: String, e: String) -> String {
        let canonical = "{\"e\":\"\(e)\",\"kty\":\"RSA\",\"n\":\"\(n)\"}"
        return Base64URL.encode(Array(SHA256.hash(data: Array(canonical.utf8))))
    }
}
