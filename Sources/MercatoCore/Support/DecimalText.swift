import Foundation

extension Decimal {
    private static let posix = Locale(identifier: "en_US_POSIX")

    /// A decimal from its text with "." as the separator whatever the process locale ("20.5", "1e3"); nil when the
    /// text is not a number. One shared POSIX locale: usage rows are read by the million in a billing run.
    public init?(decimalText text: String) {
        self.init(string: text, locale: Self.posix)
    }
}

/// A plain positive decimal literal ("12", "0.50", "007.25") read straight from its bytes, for the metering path: the
/// controller's parse (`decimal`) and the usage writer, which stores every quantity as `Decimal`'s text and in
/// millionths. Going through `Decimal` for these showed as ~5% of a batch's CPU (its string parser, `description` and
/// multiply, perf session 9). `nil` for anything else — signs, exponents,
/// zero, more than 6 decimals (millionths would need rounding) or more than 12 integer digits — and callers then use
/// `Decimal`. DecimalTextTests checks both results against `Decimal` on random literals.
public struct PlainDecimal: Sendable, Equatable {
    /// What `Decimal.description` writes for the value ("1.5", "7", "0.000001").
    public let text: String
    /// The value in millionths (exact: at most 6 decimals).
    public let micros: Int64

    public init?(_ literal: String) {
        var integer: Int64 = 0
        var integerDigits = 0 // significant ones: leading zeros do not count
        var sawInteger = false
        var fraction: Int64 = 0
        var fractionDigits = 0
        var significantFraction = 0 // decimals up to the last non-zero one
        var seenPoint = false
        for byte in literal.utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            if seenPoint {
                fractionDigits += 1
                guard fractionDigits <= 6 else { return nil }
                fraction = fraction * 10 + digit
                if digit != 0 { significantFraction = fractionDigits }
            } else {
                sawInteger = true
                if integer > 0 || digit > 0 { integerDigits += 1 }
                guard integerDigits <= 12 else { return nil }
                integer = integer * 10 + digit
            }
        }
        // Digits on both sides of a point ("1." and ".5" are not JSON numbers; refuse them here too).
        guard sawInteger, !seenPoint || fractionDigits > 0 else { return nil }
        for _ in fractionDigits..<6 { fraction *= 10 }
        micros = integer * 1_000_000 + fraction
        guard micros > 0 else { return nil }
        guard significantFraction > 0 else {
            text = String(integer)
            return
        }
        var decimals = String(fraction / Self.powersOfTen[6 - significantFraction])
        while decimals.utf8.count < significantFraction { decimals = "0" + decimals }
        text = String(integer) + "." + decimals
    }

    /// The value as `Decimal(string:)` stores it (compact: no trailing zeros in the mantissa), without its parser.
    public var decimal: Decimal {
        var mantissa = micros
        var exponent = -6
        while exponent < 0 && mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        return Decimal(sign: .plus, exponent: exponent, significand: Decimal(mantissa))
    }

    private static let powersOfTen: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
}
