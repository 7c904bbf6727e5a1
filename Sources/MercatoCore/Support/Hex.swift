/// Lowercase hexadecimal, without Foundation's formatter (which cost microseconds per byte on the metering path).
public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    /// The value of one hex digit (either case), or nil for any other byte.
    @inline(__always) static func value(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `dashBefore`: byte positions preceded by "-" (a UUID's 4, 6, 8, 10).
    public static func lowercase(_ bytes: [UInt8], dashBefore: Set<Int> = []) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2 + dashBefore.count) { out in
            var o = 0
            for (i, b) in bytes.enumerated() {
                if dashBefore.contains(i) { out[o] = UInt8(ascii: "-"); o += 1 }
                out[o] = digits[Int(b >> 4)]
                out[o + 1] = digits[Int(b & 0x0f)]
                o += 2
            }
            return o
        }
    }
}

/// Constant-time comparison (secrets, password hashes, CSRF tokens): the time depends on the length only.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}

public func constantTimeEquals(_ a: String, _ b: String) -> Bool { constantTimeEquals(Array(a.utf8), Array(b.utf8)) }
