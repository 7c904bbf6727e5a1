import Foundation
import Hummingbird
import MercatoCore

/// An `application/x-www-form-urlencoded` body (OAuth2 token requests).
public struct FormBody: Sendable {
    public var fields: [String: String]

    public subscript(_ name: String) -> String? { fields[name] }

    /// Parses the request body; a body that is not form-encoded yields no fields (the caller reports what's missing).
    public static func parse(_ request: Request, maxSize: Int = 64 * 1024) async throws -> FormBody {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let buffer = try await request.body.collect(upTo: maxSize)
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else { return FormBody(fields: [:]) }
        return FormBody(fields: decode(String(buffer: buffer)))
    }

    public static func decode(_ body: String) -> [String: String] { FormEncoding.decode(body) }
}
