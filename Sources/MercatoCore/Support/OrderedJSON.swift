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

    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    public func write(into out: inout String) {
        switch self {
        case let .string(s): Self.quote(s, into: &out)
        case let .number(n): out += n
        case let .bool(b): out += b ? "true" : "false"
        case .null: out += "null"
        case let .object(pairs):
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += "," }
                Self.quote(k, into: &out)
                out += ":"
                v.write(into: &out)
            }
            out += "}"
        case let .array(items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        // Fast path: nothing to escape (IDs, dates, most names) — append the string as is.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
