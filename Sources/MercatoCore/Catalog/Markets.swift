import Foundation

/// A market (country/region) a plan can be sold in, with its currency and whether Microsoft remits tax there
/// (spec-portal §3.2, §9). Mercato ships the markets below; the documents allow up to 141 per plan.
public struct Market: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var currency: String
    public var taxRemitted: Bool
}

public enum Markets {
    /// Codes are ISO 3166-1 alpha-2 as Partner Center uses them.
    public static let all: [Market] = [
        ("US", "United States", "USD", true), ("CA", "Canada", "CAD", true), ("GB", "United Kingdom", "GBP", true),
        ("DE", "Germany", "EUR", true), ("FR", "France", "EUR", true), ("IT", "Italy", "EUR", true), ("ES", "Spain", "EUR", true),
        ("NL", "Netherlands", "EUR", true), ("BE", "Belgium", "EUR", true), ("AT", "Austria", "EUR", true),
        ("IE", "Ireland", "EUR", true), ("PT", "Portugal", "EUR", true), ("FI", "Finland", "EUR", true),
        ("GR", "Greece", "EUR", true), ("LU", "Luxembourg", "EUR", true), ("SK", "Slovakia", "EUR", true),
        ("SI", "Slovenia", "EUR", true), ("EE", "Estonia", "EUR", true), ("LV", "Latvia", "EUR", true),
        ("LT", "Lithuania", "EUR", true), ("MT", "Malta", "EUR", true), ("CY", "Cyprus", "EUR", true),
        ("SE", "Sweden", "SEK", true), ("DK", "Denmark", "DKK", true), ("NO", "Norway", "NOK", true),
        ("CH", "Switzerland", "CHF", true), ("PL", "Poland", "PLN", true), ("CZ", "Czechia", "CZK", true),
        ("HU", "Hungary", "HUF", true), ("RO", "Romania", "EUR", true), ("BG", "Bulgaria", "EUR", true),
        ("HR", "Croatia", "EUR", true), ("IS", "Iceland", "ISK", true), ("TR", "Türkiye", "TRY", true),
        ("IL", "Israel", "ILS", true), ("AE", "United Arab Emirates", "USD", true), ("SA", "Saudi Arabia", "SAR", true),
        ("ZA", "South Africa", "ZAR", true), ("NG", "Nigeria", "USD", false), ("EG", "Egypt", "USD", false),
        ("KE", "Kenya", "USD", false), ("IN", "India", "INR", true), ("JP", "Japan", "JPY", true),
        ("KR", "Korea", "KRW", true), ("CN", "China", "CNY", false), ("TW", "Taiwan", "TWD", true),
        ("HK", "Hong Kong SAR", "HKD", false), ("SG", "Singapore", "SGD", true), ("MY", "Malaysia", "MYR", true),
        ("TH", "Thailand", "THB", true), ("ID", "Indonesia", "IDR", true), ("PH", "Philippines", "PHP", false),
        ("VN", "Vietnam", "VND", false), ("AU", "Australia", "AUD", true), ("NZ", "New Zealand", "NZD", true),
        ("BR", "Brazil", "BRL", false), ("MX", "Mexico", "MXN", true), ("AR", "Argentina", "USD", false),
        ("CL", "Chile", "CLP", true), ("CO", "Colombia", "COP", true), ("PE", "Peru", "USD", false),
    ].map { Market(code: $0.0, name: $0.1, currency: $0.2, taxRemitted: $0.3) }

    static let byCode: [String: Market] = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })

    public static func market(_ code: String) -> Market? { byCode[code.uppercased()] }
}

/// USD → local currency rates used when prices are saved (spec-portal §3.9: "converted on save"; the displayed
/// price doesn't change unless the publisher republishes). Mercato's table is configuration, dated.
public struct ExchangeRates: Sendable, Equatable {
    public var asOf: String
    public var perUSD: [String: Decimal]

    public init(asOf: String, perUSD: [String: Decimal]) {
        self.asOf = asOf
        self.perUSD = perUSD
    }

    public func convert(_ usd: Decimal, to currency: String) -> Decimal? {
        guard let rate = perUSD[currency] else { return nil }
        return Currency.round(usd * rate, currency)
    }

    /// Reference rates (units of currency per 1 USD). Replace with your treasury's table in production.
    public static let reference = ExchangeRates(asOf: "2026-11-01", perUSD: [
        "USD": 1, "CAD": Decimal(string: "1.39")!, "GBP": Decimal(string: "0.76")!, "EUR": Decimal(string: "0.86")!,
        "SEK": Decimal(string: "9.45")!, "DKK": Decimal(string: "6.42")!, "NOK": Decimal(string: "10.10")!,
        "CHF": Decimal(string: "0.80")!, "PLN": Decimal(string: "3.66")!, "CZK": Decimal(string: "20.9")!,
        "HUF": Decimal(string: "335")!, "ISK": Decimal(string: "124")!, "TRY": Decimal(string: "42.1")!,
        "ILS": Decimal(string: "3.27")!, "SAR": Decimal(string: "3.75")!, "ZAR": Decimal(string: "17.3")!,
        "INR": Decimal(string: "88.6")!, "JPY": Decimal(string: "153")!, "KRW": Decimal(string: "1430")!,
        "CNY": Decimal(string: "7.12")!, "TWD": Decimal(string: "30.8")!, "HKD": Decimal(string: "7.77")!,
        "SGD": Decimal(string: "1.30")!, "MYR": Decimal(string: "4.19")!, "THB": Decimal(string: "32.4")!,
        "IDR": Decimal(string: "16600")!, "PHP": Decimal(string: "58.9")!, "VND": Decimal(string: "26300")!,
        "AUD": Decimal(string: "1.53")!, "NZD": Decimal(string: "1.75")!, "BRL": Decimal(string: "5.38")!,
        "MXN": Decimal(string: "18.4")!, "CLP": Decimal(string: "940")!, "COP": Decimal(string: "3900")!,
    ])
}
