import _CryptoExtras
import Crypto
import Foundation
import MercatoCore

/// Hashes people's passwords as `pbkdf2-sha256$<rounds>$<salt>$<key>` (salt and key base64url): PBKDF2-HMAC-SHA256
/// from BoringSSL, slow on purpose (unlike `SaltedSecretHasher`, which serves machine-generated client secrets).
/// The round count is stored with each hash, so it can be raised later without invalidating old ones.
public struct PasswordHasher: SecretHasher {
    public let rounds: Int
    private let ids: any IDGenerator

    public init(rounds: Int = 210_000, ids: any IDGenerator = SystemIDGenerator()) {
        self.rounds = rounds
        self.ids = ids
    }

    public func hash(_ secret: String) -> String {
        let salt = ids.randomBytes(16)
        guard let key = Self.derive(secret, salt: salt, rounds: rounds) else { preconditionFailure("PBKDF2 failed for \(rounds) rounds") }
        return "pbkdf2-sha256$\(rounds)$" + Base64URL.encode(salt) + "$" + Base64URL.encode(key)
    }

    public func verify(_ secret: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= 1000, rounds <= 10_000_000,
              let salt = Base64URL.decode(String(parts[2])), let expected = Base64URL.decode(String(parts[3])) else {
            _ = Self.derive(secret, salt: Array(repeating: 0, count: 16), rounds: self.rounds) // same work for a malformed hash
            return false
        }
        guard let actual = Self.derive(secret, salt: salt, rounds: rounds), expected.count == 32 else { return false }
        return constantTimeEquals(actual, expected)
    }

    /// nil if derivation fails — never an empty key that two failures would "match" on.
    static func derive(_ secret: String, salt: [UInt8], rounds: Int) -> [UInt8]? {
        // The checked `rounds:` variant refuses counts below its own floor; ours is validated above (≥ 1000).
        guard let key = try? KDF.Insecure.PBKDF2.deriveKey(from: Array(secret.utf8), salt: salt, using: .sha256, outputByteCount: 32,
                                                           unsafeUncheckedRounds: rounds) else { return nil }
        let bytes = key.withUnsafeBytes { Array($0) }
        return bytes.count == 32 ? bytes : nil
    }
}
