import Foundation
import MercatoCore
import MercatoTestSupport
import Testing

/// The strict JSON reader used for metering bodies, checked against Foundation's parser as the oracle.
@Suite("JSON reader")
struct JSONReaderTests {
    @Test("reads objects in order, arrays, escapes, surrogate pairs, numbers as their text")
    func reads() throws {
        let v = try JSONReader.parse(#" { "b" : [1, -0.5, 2e3, true, false, null], "a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00" , "b": {} } "#)
        guard case let .object(members) = v else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["b", "a", "b"])
        #expect(members[0].1 == .array([.number("1"), .number("-0.5"), .number("2e3"), .bool(true), .bool(false), .null]))
        #expect(v["a"] == .string("x\"\\/\u{08}\u{0C}\n\r\té😀"))
        #expect(v["b"] == .object([])) // the last of a repeated key, as JSONSerialization keeps
        #expect(v["missing"] == nil)
        #expect(try JSONReader.parse("\"ünïcødé\"") == .string("ünïcødé"))
    }

    static let invalid = [
        "", " ", "{", "[", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "[1 2]", "\"abc", "\"\\x\"", "\"\\u12\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\u{01}b\"", "tru", "nul", "[true false]", "{} {}", "1 2", "NaN", "Infinity", "'a'",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
    ]

    @Test("refuses what RFC 8259 refuses, like Foundation does", arguments: invalid)
    func refuses(_ text: String) throws {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(text) }
        // Foundation's depth limit is higher than ours (64), and on Linux it accepts trailing commas.
        if !text.hasPrefix("[[[[") && !text.contains(",]") && !text.contains(",}") {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) == nil)
        }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22]) }
    }

    @Test("generated documents read the same as Foundation reads them")
    func agreesWithFoundation() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let doc = Self.document(&rng, depth: 0)
            let ours = try JSONReader.parse(doc)
            let theirs = try JSONSerialization.jsonObject(with: Data(doc.utf8), options: [.fragmentsAllowed])
            #expect(Self.same(ours, theirs), "\(doc)")
        }
    }

    static func document(_ rng: inout SplitMix64, depth: Int) -> String {
        switch rng.next() % (depth > 3 ? 4 : 6) {
        case 0: return ["0", "-1", "12.5", "3e2", "-0.25E-1", "1234567"][Int(rng.next() % 6)]
        case 1: return Self.quoted(["", "abc", "é\"\\", "\u{1F600}", "tab\there", "/path/x"][Int(rng.next() % 6)])
        case 2: return ["true", "false", "null"][Int(rng.next() % 3)]
        case 3: return Self.quoted("k\(rng.next() % 100)")
        case 4: return "[" + (0..<Int(rng.next() % 4)).map { _ in document(&rng, depth: depth + 1) }.joined(separator: " , ") + "]"
        default:
            return "{" + (0..<Int(rng.next() % 4)).map { i in "\(quoted("f\(i)")):\(document(&rng, depth: depth + 1))" }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ s: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed]), encoding: .utf8)!
    }

    static func same(_ a: JSONValue, _ b: Any) -> Bool {
        switch a {
        case let .object(members):
            guard let d = b as? [String: Any], Set(members.map(\.0)).count == d.count else { return false }
            return members.allSatisfy { k, _ in d[k].map { same(a[k]!, $0) } ?? false }
        case let .array(items):
            guard let l = b as? [Any], l.count == items.count else { return false }
            return zip(items, l).allSatisfy { same($0, $1) }
        case let .string(s): return (b as? String) == s
        case let .number(text):
            guard let n = b as? NSNumber else { return false }
            return Double(text) == n.doubleValue
        case let .bool(x): return (b as? NSNumber)?.boolValue == x
        case .null: return b is NSNull
        }
    }
}
