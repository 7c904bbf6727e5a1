import Foundation
@testable import MercatoAPI
import MercatoCore
import Testing

/// How quantities are written back on the metering wire: the text-based formatter must agree with the Foundation one.
@Suite("Metering wire formatting")
struct MeteringWireTests {
    @Test("quantities: the fast text path writes what NSDecimalNumber writes", arguments: [
        "1", "1.5", "1.50", "2", "007", "0.5", "00.50", "0", "-0.0", "1.000", "0.000001", "1234567890.123456789", "-3.25", "10", "100.0",
        "1e3", "2.5E-2", "123456789012345678901234567890123", "0.1000000000000000000000000001",
    ])
    func quantityText(_ text: String) throws {
        let d = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
        #expect(MeteringController.number(d, text: text) == MeteringController.number(d))
    }

    @Test("quantities: generated literals agree")
    func generatedQuantities() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let whole = String(repeating: "0", count: Int.random(in: 0...2, using: &rng)) + String(UInt64.random(in: 0...999_999_999, using: &rng))
            let fraction = Bool.random(using: &rng) ? "" : "." + String(UInt64.random(in: 0...99_999, using: &rng)) + String(repeating: "0", count: Int.random(in: 0...3, using: &rng))
            let text = (Bool.random(using: &rng) ? "-" : "") + whole + fraction
            let d = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
            #expect(MeteringController.number(d, text: text) == MeteringController.number(d), "\(text)")
        }
    }

    @Test("events: wrong types and unknown fields, read from raw JSON")
    func parseEvent() throws {
        let e = MeteringController.parse(try JSONReader.parse(#"{"resourceId":"r","quantity":2.50,"dimension":"d","effectiveStartTime":"t","planId":"p","extra":[1]}"#))
        #expect(e.resourceId == "r" && e.dimension == "d" && e.planId == "p" && e.effectiveStartTime == "t" && e.malformed == nil)
        #expect(e.quantity == Decimal(string: "2.5") && e.quantityText == "2.50")
        #expect(MeteringController.parse(try JSONReader.parse(#"{"quantity":"5"}"#)).malformed?.field == "quantity")
        #expect(MeteringController.parse(try JSONReader.parse(#"{"quantity":true}"#)).malformed?.field == "quantity")
        #expect(MeteringController.parse(try JSONReader.parse(#"{"dimension":5}"#)).malformed?.field == "dimension")
        #expect(MeteringController.parse(try JSONReader.parse(#"{"quantity":1e999999}"#)).malformed?.field == "quantity")
        #expect(MeteringController.parse(try JSONReader.parse("[1]")).malformed?.field == "usageEvent")
    }
}
