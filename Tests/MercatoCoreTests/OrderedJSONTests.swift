import Foundation
import MercatoCore
import MercatoTestSupport
import Testing

/// OrderedJSON writes the wire bodies by hand; Foundation's parser is the oracle for what it writes.
@Suite("Ordered JSON writer")
struct OrderedJSONTests {
    @Test("keeps key order and writes compact JSON")
    func order() {
        let json: OrderedJSON = .object([("b", .number("1.0")), ("a", .array([.string("x"), .bool(true), .null]))])
        #expect(json.text == #"{"b":1.0,"a":["x",true,null]}"#)
    }

    @Test("escapes quotes, backslashes and control characters, and nothing else")
    func escapes() {
        #expect(OrderedJSON.string("a\"b\\c\n\r\t\u{01}\u{1F}é😀/").text == #""a\"b\\c\n\r\t\u0001\u001fé😀/""#)
        #expect(OrderedJSON.string("").text == #""""#)
        #expect(OrderedJSON.string("\"").text == #""\"""#)
        #expect(OrderedJSON.string("plain-text 123").text == #""plain-text 123""#)
    }

    @Test("random strings, keys included, read back the same through Foundation")
    func roundTrips() throws {
        var rng = SplitMix64(seed: 11)
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{00}", "\u{08}", "\u{0C}", "\u{1F}", "\u{7F}", "é", "€", "😀"]
        for _ in 0..<2_000 {
            let length = Int(rng.next() % 12)
            let text = String((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            let written = OrderedJSON.object([(text, .string(text))]).bytes
            let read = try JSONSerialization.jsonObject(with: Data(written)) as? [String: String]
            #expect(read == [text: text], "\(String(decoding: written, as: UTF8.self))")
        }
    }
}
