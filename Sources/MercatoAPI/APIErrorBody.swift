import Foundation
import Hummingbird
import MercatoCore

/// The error envelope of /api (spec-saas §1.3: `{code, message, target, details?}` for every 4xx).
public struct APIErrorBody: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public var target: String?
    public var details: [APIErrorBody]?

    public init(code: String, message: String, target: String? = nil, details: [APIErrorBody]? = nil) {
        self.code = code
        self.message = message
        self.target = target
        self.details = details
    }
}

/// An error that already knows its HTTP status and envelope.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var body: APIErrorBody
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, target: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.body = APIErrorBody(code: code, message: message, target: target)
        self.headers = headers
    }

    /// The one mapping from domain errors to HTTP (ARCHITECTURE rule 8).
    public init(_ error: DomainError) {
        switch error {
        case let .invalid(field, reason):
            self.init(.badRequest, code: "BadArgument", message: "\(field) \(reason)", target: field)
        case let .notFound(kind, id):
            self.init(.notFound, code: "EntityNotFound", message: "\(kind.prefix(1).uppercased() + kind.dropFirst()) \(id) not found", target: kind)
        case let .conflict(reason):
            self.init(.conflict, code: "Conflict", message: reason)
        case let .forbidden(permission, reason):
            self.init(.forbidden, code: "Forbidden", message: "You don't have the permission \(permission): \(reason)", target: permission)
        case let .preconditionFailed(reason):
            self.init(.preconditionFailed, code: "PreconditionFailed", message: reason, target: "If-Match")
        }
    }

    /// Field-by-field validation errors: one detail per issue, its target the field path.
    public static func validation(_ issues: [ValidationIssue], status: HTTPResponse.Status) -> APIError {
        var error = APIError(status, code: status == .badRequest ? "BadArgument" : "ValidationFailed",
                             message: "\(issues.count) field\(issues.count == 1 ? "" : "s") failed validation: " + issues.prefix(3).map(\.description).joined(separator: "; "),
                             target: issues.first?.field)
        error.body.details = issues.map { APIErrorBody(code: "InvalidValue", message: $0.message, target: $0.field) }
        return error
    }

    func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data("{\"code\":\"InternalError\"}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
