import Foundation

/// JSON with key order kept as written. Foundation's encoder on Linux sorts keys; some wire bodies are parsed by
/// publisher code as text (the metering duplicate body, spec-saas §7.1), so they are written in the documented order.
public indirect enum OrderedJSON: Sendable, Equatable {
    case string(String)
    /// A number's exact text (e.g. "20.5", "1.0").
    case number(String)
    case bool(Bool)
    case null
    case object([(String, OrderedJSON)])
    case array([OrderedJSON])

    public static func == (a: OrderedJSON, b: OrderedJSON) -> Bool { a.text == b.text }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The UTF-8 text, written straight into bytes (responses go out as bytes; no String appends on the hot paths).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case let .string(s): Self.quote(s, into: &out)
        case let .number(n): out.append(contentsOf: n.utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case let .object(pairs):
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.quote(k, into: &out)
                out.append(UInt8(ascii: ":"))
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, v) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func quote(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { quote($0, into: &out) } // a native string's bytes in place: no per-byte String.UTF8View iteration
    }

    static func quote(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var copied = 0 // bytes of `text` already in `out`
        for (i, byte) in text.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[copied..<i]))
            copied = i + 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            default:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[copied...]))
        out.append(UInt8(ascii: "\""))
    }
}
