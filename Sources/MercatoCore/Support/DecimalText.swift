import Foundation

extension Decimal {
    private static let posix = Locale(identifier: "en_US_POSIX")

    /// A decimal from its text with "." as the separator whatever the process locale ("20.5", "1e3"); nil when the
    /// text is not a number. One shared POSIX locale: usage rows are read by the million in a billing run.
    public init?(decimalText text: String) {
        self.init(string: text, locale: Self.posix)
    }
}
