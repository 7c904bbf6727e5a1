/// Typed domain errors (ARCHITECTURE rule 8). The edges map each case once: to Microsoft's JSON envelopes on /api,
/// to an error page in the web UI, to an exit code in the CLI.
public enum DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Input failed validation; `field` names what was wrong.
    case invalid(field: String, reason: String)
    /// The thing does not exist (or the caller may not know that it does).
    case notFound(kind: String, id: String)
    /// The request conflicts with current state (a duplicate ID, a protected last Owner, ...).
    case conflict(reason: String)
    /// The caller is authenticated but lacks the permission.
    case forbidden(permission: String, reason: String)
    /// An `If-Match` precondition did not hold (the resource changed since it was read): 412.
    case preconditionFailed(reason: String)

    public var description: String {
        switch self {
        case let .invalid(field, reason): "invalid \(field): \(reason)"
        case let .notFound(kind, id): "\(kind) '\(id)' not found"
        case let .conflict(reason): reason
        case let .forbidden(permission, reason): "forbidden (\(permission)): \(reason)"
        case let .preconditionFailed(reason): reason
        }
    }
}

/// The service cannot take the request now, through no fault of the caller (the database is closing, another
/// process holds the store): 503 with Retry-After on /api. Not a `DomainError`: nothing about the request is wrong.
public struct ServiceUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
