import Foundation
import MercatoCore
import Testing

/// `GUIDText` replaces `UUID(uuidString:) != nil` wherever only the check is needed. Foundation on Linux parses with
/// `sscanf("%2hhx")`, which skips blanks and takes signs, so it also accepts text that is no GUID
/// ("+fa85f64-…", "3fa85f64-5717-4562-b3-c-…"); `GUIDText` accepts a subset of what Foundation does: exactly the
/// 8-4-4-4-12 hex form.
@Suite("GUID text")
struct GUIDTextTests {
    static let valid = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

    @Test("accepts every GUID Foundation writes, in either case; refuses wrong lengths, dash positions and non-hex")
    func canonicalForm() {
        for _ in 0..<1_000 {
            let text = UUID().uuidString
            #expect(GUIDText.isWellFormed(text) && GUIDText.isWellFormed(text.lowercased()))
        }
        #expect(GUIDText.isWellFormed("3FA85f64-5717-4562-B3fc-2c963f66afa6") && GUIDText.isWellFormed(Self.valid[...]))
        for text in ["", "-", String(Self.valid.dropLast()), Self.valid + "0", "{\(Self.valid)}", "3fa85f6405717-4562-b3fc-2c963f66afa6",
                     "3fa85f64-5717-4562-b3fc-2c963f66afag", "3fa85f64-5717-4562-b3fc-2c963f66afé", "3fa85f64-5717-4562-b3fc-2c963f66af١",
                     "3fa85f6457174562b3fc2c963f66afa6"] {
            #expect(!GUIDText.isWellFormed(text), "\(text.debugDescription)")
        }
    }

    @Test("refuses what Foundation's sscanf lets through: signs, blanks and dashes inside a field, a trailing NUL")
    func stricterThanFoundation() {
        for text in ["+fa85f64-5717-4562-b3fc-2c963f66afa6", " fa85f64-5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3-c-2c963f66afa6",
                     "3fa85f64-5717-4562-b3fc-2c963f66afa6\0"] {
            #expect(UUID(uuidString: text) != nil, "Foundation's parser changed: \(text.debugDescription)")
            #expect(!GUIDText.isWellFormed(text), "\(text.debugDescription)")
        }
    }

    @Test("never accepts what Foundation refuses: 20,000 random mutations of a GUID")
    func subsetOfFoundation() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefABCDEFgG-+ {}é\u{0}x")
        var accepted = 0
        var wrong: [String] = []
        for _ in 0..<20_000 {
            var chars = Array(Self.valid)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: chars[Int.random(in: 0..<chars.count, using: &generator)] = alphabet.randomElement(using: &generator)!
                case 1: chars.insert(alphabet.randomElement(using: &generator)!, at: Int.random(in: 0...chars.count, using: &generator))
                default: chars.remove(at: Int.random(in: 0..<chars.count, using: &generator))
                }
            }
            let text = String(chars)
            guard GUIDText.isWellFormed(text) else { continue }
            accepted += 1
            if UUID(uuidString: text) == nil { wrong.append(text) }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(accepted > 1_000) // hex-for-hex substitutions keep the form; the check was exercised on both sides
    }
}
