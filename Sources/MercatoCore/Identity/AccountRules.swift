import Foundation

/// Account rules from the seeds and GOV-ACC-01/02/05, as pure functions.
public enum AccountRules {
    /// spec-portal §1.4: the Publisher ID is chosen by the publisher, globally unique and never reused.
    /// The documents give no character rule for it; we apply the offer/plan ID rule of §2.4/§3.1
    /// (lowercase letters, digits, hyphens and underscores, at most 50) — derived, noted here.
    public static func validatePublisherId(_ id: String) throws {
        try validateIdentifier(id, field: "publisherId")
    }

    public static func validateIdentifier(_ id: String, field: String, maxLength: Int = 50) throws {
        guard !id.isEmpty else { throw DomainError.invalid(field: field, reason: "is required") }
        guard id.count <= maxLength else {
            throw DomainError.invalid(field: field, reason: "is limited to \(maxLength) characters (got \(id.count))")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        guard id.allSatisfy(allowed.contains) else {
            throw DomainError.invalid(field: field, reason: "use only lowercase letters and numbers, hyphens and underscores, no spaces")
        }
    }

    /// A plain, deliberately strict e-mail check: one "@", a non-empty local part, a dotted domain, no spaces.
    public static func validateEmail(_ email: String, field: String = "email") throws {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty,
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !email.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" })
        else { throw DomainError.invalid(field: field, reason: "'\(email)' is not a valid e-mail address") }
    }

    public static func validateDisplayName(_ name: String, field: String) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw DomainError.invalid(field: field, reason: "is required") }
        guard trimmed.count <= 256 else { throw DomainError.invalid(field: field, reason: "is limited to 256 characters") }
    }

    /// Checks a change against the account rules and returns the warnings that remain after it.
    /// GOV-ACC-02: removing or demoting the last administrator is refused (409 at the edges).
    public static func check(_ change: AccountChange, on snapshot: AccountSnapshot) throws -> [AccountWarning] {
        let before = snapshot.administrators
        let after = snapshot.applying(change)
        if !before.isEmpty && after.administrators.isEmpty {
            throw DomainError.conflict(reason: "at least one administrator required: the last Owner of the account can't be removed or demoted")
        }
        return warnings(for: after)
    }

    /// GOV-ACC-01: fewer than two administrators is allowed but warned about.
    public static func warnings(for snapshot: AccountSnapshot) -> [AccountWarning] {
        let count = snapshot.administrators.count
        guard count < 2 else { return [] }
        return [AccountWarning(
            code: "GOV-ACC-01",
            message: "This account has \(count) administrator\(count == 1 ? "" : "s"). Add a second Owner so the account is not lost when one person leaves."
        )]
    }
}
