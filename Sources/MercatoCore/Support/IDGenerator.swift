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
    /// A version 4 UUID from the kernel's generator, read 4 KiB at a time (Foundation's `UUID()` opens /dev/urandom
    /// on every call here, and one getrandom call per UUID is still a system call per event on the metering path).
    public func uuid() -> UUID {
        var bytes = RandomPool.shared.uuidBytes()
        bytes.6 = bytes.6 & 0x0f | 0x40 // version 4
        bytes.8 = bytes.8 & 0x3f | 0x80 // RFC 4122 variant
        return UUID(uuid: bytes)
    }
    public func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// Random bytes from the kernel (getrandom via arc4random_buf), fetched a page at a time for UUIDs. Secrets do not come
/// from here: `randomBytes` asks the kernel each time.
final class RandomPool: @unchecked Sendable {
    static let shared = RandomPool()
    private let lock = NSLock()
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var offset = 4096

    func uuidBytes() -> uuid_t {
        lock.withLock {
            if offset + 16 > buffer.count {
                buffer.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                offset = 0
            }
            defer { offset += 16 }
            return buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: uuid_t.self) }
        }
    }
}

extension IDGenerator {
    /// A lowercase UUID string, the form Microsoft's APIs use on the wire.
    public func uuidString() -> String {
        let u = uuid().uuid
        return Hex.lowercase([u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15], dashBefore: [4, 6, 8, 10])
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
