import Foundation
import MercatoCore
import MercatoTestSupport
import Testing

/// `PlainDecimal` stands in for `Decimal` on the usage writer's path; `Decimal` is the oracle.
@Suite("Plain decimal literals")
struct DecimalTextTests {
    @Test("reads plain literals as Decimal writes and scales them")
    func examples() throws {
        let cases: [(String, String, Int64)] = [
            ("1", "1", 1_000_000), ("2.0", "2", 2_000_000), ("1.50", "1.5", 1_500_000), ("007.250", "7.25", 7_250_000),
            ("0.000001", "0.000001", 1), ("0.05", "0.05", 50_000), ("999999999999.999999", "999999999999.999999", 999_999_999_999_999_999),
            ("10", "10", 10_000_000), ("100.000", "100", 100_000_000),
        ]
        for (literal, text, micros) in cases {
            let plain = try #require(PlainDecimal(literal), "\(literal)")
            #expect(plain.text == text)
            #expect(plain.micros == micros)
        }
    }

    @Test("leaves to Decimal what is not a plain positive literal with at most 6 decimals and 12 integer digits")
    func refuses() {
        for literal in ["", "0", "0.0", "000", "-1", "+1", "1e3", "1E-2", "1.", ".5", "1.2.3", "1,5", " 1", "1 ", "0.0000001", "1.1234567",
                        "1000000000000", "abc", "١"] {
            #expect(PlainDecimal(literal) == nil, "\(literal)")
        }
        #expect(PlainDecimal("000000000000001") != nil) // leading zeros are not significant digits
    }

    @Test("a usage record stores plain quantities and others alike: Decimal's text and millionths")
    func storedQuantity() throws {
        func record(_ text: String) throws -> UsageRecord {
            UsageRecord(usageEventId: "e", hour: 1, resourceId: "r", resourceUri: nil, dimension: "d", quantity: try #require(Decimal(decimalText: text)),
                        quantityText: text, effectiveStartTime: "t", effectiveAt: Date(), planId: "p", publisherId: "pub", offerId: "o",
                        messageTime: Date(), azureSubscriptionId: "a")
        }
        #expect(try record("1.50").storedQuantity == ("1.5", 1_500_000))
        #expect(try record("1e3").storedQuantity == ("1000", 1_000_000_000)) // not plain: through Decimal
        #expect(try record("1.1234565").storedQuantity == ("1.1234565", 1_123_456)) // half-even at millionths
    }

    @Test("agrees with Decimal on random literals")
    func agreesWithDecimal() throws {
        var rng = SplitMix64(seed: 5)
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(rng.next() % 10)) }) }
        for _ in 0..<20_000 {
            let integer = digits(Int(rng.next() % 13) + 1)
            let decimals = Int(rng.next() % 8)
            let literal = decimals == 0 ? integer : integer + "." + digits(decimals)
            let decimal = try #require(Decimal(decimalText: literal))
            guard let plain = PlainDecimal(literal) else {
                // Refused only for zero, more than 6 decimals or more than 12 significant integer digits.
                #expect(decimal == 0 || decimals > 6 || integer.drop(while: { $0 == "0" }).count > 12, "\(literal)")
                continue
            }
            #expect(plain.text == decimal.description, "\(literal)")
            #expect(plain.micros == DailyUsage.micros(decimal), "\(literal)")
            #expect(plain.decimal == decimal, "\(literal)")
            #expect(plain.decimal.description == decimal.description, "\(literal)")
            #expect(NSDecimalNumber(decimal: plain.decimal).stringValue == NSDecimalNumber(decimal: decimal).stringValue, "\(literal)")
        }
    }
}
