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
    public func uuid() -> UUID { UUID() }
    public func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

extension IDGenerator {
    /// A lowercase UUID string, the form Microsoft's APIs use on the wire.
    public func uuidString() -> String { uuid().uuidString.lowercased() }

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
