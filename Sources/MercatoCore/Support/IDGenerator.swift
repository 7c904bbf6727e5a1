import Foundation

/// Source of identifiers and secret material (ARCHITECTURE rule 3: randomness is injected).
public protocol IDGenerator: Sendable {
    func uuid() -> UUID
    /// `count` bytes from a cryptographically secure generator.
    func randomBytes(_ count: Int) -> [UInt8]
}

/// UUIDs and bytes from the system's secure generator.
public struct SystemIDGenerator: IDGenerator {
    public init() {}
    /// A version 4 UUID from `SystemRandomNumberGenerator` (getrandom): Foundation's `UUID()` opens /dev/urandom on
    /// every call here, thousands of times a second on the metering path.
    public func uuid() -> UUID {
        var generator = SystemRandomNumberGenerator()
        let a = generator.next(), b = generator.next()
        var bytes = (UInt8(truncatingIfNeeded: a), UInt8(truncatingIfNeeded: a >> 8), UInt8(truncatingIfNeeded: a >> 16), UInt8(truncatingIfNeeded: a >> 24),
                     UInt8(truncatingIfNeeded: a >> 32), UInt8(truncatingIfNeeded: a >> 40), UInt8(truncatingIfNeeded: a >> 48), UInt8(truncatingIfNeeded: a >> 56),
                     UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8), UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24),
                     UInt8(truncatingIfNeeded: b >> 32), UInt8(truncatingIfNeeded: b >> 40), UInt8(truncatingIfNeeded: b >> 48), UInt8(truncatingIfNeeded: b >> 56))
        bytes.6 = bytes.6 & 0x0f | 0x40 // version 4
        bytes.8 = bytes.8 & 0x3f | 0x80 // RFC 4122 variant
        return UUID(uuid: bytes)
    }
    public func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

extension IDGenerator {
    /// A lowercase UUID string, the form Microsoft's APIs use on the wire.
    public func uuidString() -> String {
        let u = uuid().uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
        let hex = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { out in
            var o = 0
            for (i, b) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
                out[o] = hex[Int(b >> 4)]; out[o + 1] = hex[Int(b & 0x0f)]; o += 2
            }
            return o
        }
    }

    /// A URL-safe random token of `byteCount` random bytes (base64url, no padding).
    public func urlSafeToken(byteCount: Int = 32) -> String {
        Base64URL.encode(randomBytes(byteCount))
    }
}

public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ string: String) -> [UInt8]? {
        var s = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { [UInt8]($0) }
    }
}
