import Foundation
import MercatoCore
import Testing
@testable import MercatoAuth

@Suite("Client secret hashing (GOV-SEC-01)")
struct SecretHasherTests {
    let hasher = SaltedSecretHasher()

    @Test("a stored hash never contains the secret and verifies only the right secret")
    func hashAndVerify() {
        let secret = "mct_" + SystemIDGenerator().urlSafeToken()
        let stored = hasher.hash(secret)
        #expect(!stored.contains(secret))
        #expect(!stored.contains(String(secret.dropFirst(4).prefix(12))))
        #expect(stored.hasPrefix("sha256$"))
        #expect(hasher.verify(secret, against: stored))
        #expect(!hasher.verify(secret + "x", against: stored))
        #expect(!hasher.verify(String(secret.dropLast()), against: stored))
        #expect(!hasher.verify("", against: stored))
    }

    @Test("the same secret hashes differently each time (per-secret salt)")
    func salted() {
        let a = hasher.hash("same-secret")
        let b = hasher.hash("same-secret")
        #expect(a != b)
        #expect(hasher.verify("same-secret", against: a) && hasher.verify("same-secret", against: b))
    }

    @Test("malformed or tampered stored values never verify", arguments: [
        "", "sha256$", "sha256$$", "md5$abc$def", "sha256$!!$!!", "plain-secret",
    ])
    func malformed(_ stored: String) {
        #expect(!hasher.verify("plain-secret", against: stored))
    }

    @Test("flipping one character of the digest fails verification")
    func tamperedDigest() {
        let stored = hasher.hash("secret-value")
        var chars = Array(stored)
        let i = chars.count - 2
        chars[i] = chars[i] == "A" ? "B" : "A"
        #expect(!hasher.verify("secret-value", against: String(chars)))
    }

    @Test("SHA-256 digest matches the FIPS 180-2 test vector")
    func sha256Vector() {
        #expect(SHA256Hex.digest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hex.digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
