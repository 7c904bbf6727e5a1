import Foundation

/// An amount of money in one currency. Decimal, never Double (house rule 5).
public struct Money: Codable, Sendable, Hashable, CustomStringConvertible {
    public var amount: Decimal
    public var currency: String

    public init(_ amount: Decimal, _ currency: String) {
        self.amount = amount
        self.currency = currency
    }

    /// The amount in minor units, rounded half-even to the currency's exponent.
    public var minorUnits: Int64 {
        var scaled = amount * Currency.scale(currency)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .bankers)
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    public var description: String { "\(Currency.exact(amount, currency)) \(currency)" }

    /// Encoded as `{"amount":"49.00","currency":"USD"}`: the amount is a string so no JSON reader turns it into a
    /// binary float on the way.
    enum CodingKeys: String, CodingKey { case amount, currency }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        currency = try c.decode(String.self, forKey: .currency)
        if let text = try? c.decode(String.self, forKey: .amount) {
            guard let value = Decimal(decimalText: text), !text.isEmpty,
                  text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) else {
                throw DecodingError.dataCorruptedError(forKey: .amount, in: c, debugDescription: "'\(text)' is not a decimal amount")
            }
            amount = value
        } else {
            amount = try c.decode(Decimal.self, forKey: .amount)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Currency.exact(amount, currency), forKey: .amount)
        try c.encode(currency, forKey: .currency)
    }
}

/// ISO 4217 details Mercato needs: minor-unit exponents.
public enum Currency {
    static let zeroDecimal: Set<String> = ["JPY", "KRW", "CLP", "ISK", "VND", "HUF", "TWD", "COP", "IDR"]

    public static func exponent(_ code: String) -> Int { zeroDecimal.contains(code) ? 0 : 2 }

    static func scale(_ code: String) -> Decimal { exponent(code) == 0 ? 1 : 100 }

    /// Fixed-point text with the currency's exponent, e.g. "49.00", "5400".
    public static func format(_ amount: Decimal, _ code: String) -> String {
        let e = exponent(code)
        var value = amount
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, e, .bankers)
        let number = NSDecimalNumber(decimal: rounded)
        let formatter = NumberFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.minimumFractionDigits = e
        formatter.maximumFractionDigits = e
        formatter.minimumIntegerDigits = 1
        formatter.usesGroupingSeparator = false
        return formatter.string(from: number) ?? "\(rounded)"
    }

    /// The exact amount as text, with at least the currency's decimals: 49 → "49.00", 0.008 → "0.008". Prices per
    /// unit may be finer than the minor unit, so nothing is rounded here.
    public static func exact(_ amount: Decimal, _ code: String) -> String {
        var text = NSDecimalNumber(decimal: amount).stringValue
        let e = exponent(code)
        guard e > 0 else { return text }
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < e { text += String(repeating: "0", count: e - decimals) }
        } else {
            text += "." + String(repeating: "0", count: e)
        }
        return text
    }

    /// Rounds to the currency's exponent (half-even).
    public static func round(_ amount: Decimal, _ code: String) -> Decimal {
        var value = amount
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, exponent(code), .bankers)
        return rounded
    }
}
