import Foundation
import MercatoCore

/// Where the data lives, parsed from `--database` / `MERCATO_DATABASE_URL`.
///
/// - a path (`./mercato.sqlite`), `sqlite:PATH` or `sqlite://PATH` → an SQLite file;
/// - `postgres://user:pass@host:port/db` or `postgresql://…` → PostgreSQL.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public static let defaultSQLitePath = "./mercato.sqlite"

    public init(_ string: String) throws {
        let trimmed = string.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw DomainError.invalid(field: "database", reason: "is empty") }
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            guard URL(string: trimmed)?.host != nil else {
                throw DomainError.invalid(field: "database", reason: "'\(Self.redact(trimmed))' is not a valid PostgreSQL URL")
            }
            self = .postgres(url: trimmed)
        } else if trimmed.hasPrefix("sqlite://") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite://".count)))
        } else if trimmed.hasPrefix("sqlite:") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite:".count)))
        } else if trimmed.contains("://") {
            throw DomainError.invalid(field: "database", reason: "unsupported scheme in '\(Self.redact(trimmed))'; use a file path or postgres://")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// Safe to log: the password of a PostgreSQL URL is masked.
    public var description: String {
        switch self {
        case let .sqlite(path): "sqlite:\(path)"
        case let .postgres(url): Self.redact(url)
        }
    }

    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "****"
        return components.string ?? url
    }
}
