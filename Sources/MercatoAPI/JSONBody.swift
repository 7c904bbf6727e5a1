import Foundation
import Hummingbird

/// Request/response JSON helpers: decoding failures become 400s that name the offending field.
public enum JSONBody {
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, maxSize: Int = 1 << 20) async throws -> T {
        let buffer = try await request.body.collect(upTo: maxSize)
        guard buffer.readableBytes > 0 else {
            throw APIError(.badRequest, code: "BadArgument", message: "A JSON request body is required.", target: "body")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            let (target, message) = describe(error)
            throw APIError(.badRequest, code: "BadArgument", message: message, target: target)
        } catch {
            throw APIError(.badRequest, code: "BadArgument", message: "The request body is not valid JSON.", target: "body")
        }
    }

    static func describe(_ error: DecodingError) -> (String, String) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(key, ctx):
            let p = path(ctx.codingPath + [key])
            return (p, "The \(p) field is required.")
        case let .typeMismatch(type, ctx):
            let p = path(ctx.codingPath)
            return (p.isEmpty ? "body" : p, "The \(p.isEmpty ? "body" : p) field must be of type \(type).")
        case let .valueNotFound(_, ctx):
            let p = path(ctx.codingPath)
            return (p, "The \(p) field must not be null.")
        case let .dataCorrupted(ctx):
            let p = path(ctx.codingPath)
            return (p.isEmpty ? "body" : p, p.isEmpty ? "The request body is not valid JSON." : "The \(p) field is invalid: \(ctx.debugDescription)")
        @unknown default:
            return ("body", "The request body is invalid.")
        }
    }

    public static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
