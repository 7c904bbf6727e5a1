import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MercatoCore

extension HTTPField.Name {
    public static let msRequestId = HTTPField.Name("x-ms-requestid")!
    public static let msCorrelationId = HTTPField.Name("x-ms-correlationid")!
}

/// Takes `x-ms-requestid` / `x-ms-correlationid` from the request or generates GUIDs, puts them into the logger's
/// metadata (structured logs carry them on every line) and echoes them on every response, errors included
/// (spec-saas §1.2). Also the single place where thrown errors become responses (ARCHITECTURE rule 8).
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = MercatoRequestContext
    let ids: any IDGenerator

    public init(ids: any IDGenerator) {
        self.ids = ids
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = Self.sanitize(request.headers[.msRequestId]) ?? ids.uuidString()
        context.correlationId = Self.sanitize(request.headers[.msCorrelationId]) ?? ids.uuidString()
        // One metadata assignment (each subscript set re-renders the stream handler's metadata).
        var metadata = context.logger.handler.metadata
        metadata["requestId"] = .string(context.requestId)
        metadata["correlationId"] = .string(context.correlationId)
        context.logger.handler.metadata = metadata
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response()
        } catch let error as DomainError {
            response = APIError(error).response()
        } catch let refusal as TransitionRefusal {
            response = APIError(HTTPResponse.Status(code: refusal.status), code: refusal.code, message: refusal.message, target: refusal.target).response()
        } catch let error as ValidationFailure {
            response = APIError.validation(error.issues, status: .badRequest).response()
        } catch let error as PublishValidationFailure {
            response = APIError.validation(error.issues, status: .unprocessableContent).response()
        } catch let error as ServiceUnavailable {
            context.logger.warning("service unavailable", metadata: ["reason": "\(error.reason)"])
            // The reason (it may name server paths) goes to the log, not to the caller.
            response = APIError(.serviceUnavailable, code: "ServiceUnavailable", message: "The service is temporarily unavailable. Retry the call later.",
                                headers: [.retryAfter: "1"]).response()
        } catch let error as any HTTPResponseError {
            var r = APIError(error.status, code: Self.code(for: error.status), message: Self.message(for: error))
            if let e = error as? HTTPError { r.headers = e.headers }
            response = r.response()
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            response = APIError(.internalServerError, code: "InternalServerError",
                                message: "Internal server error. Retry the API call. If the error persists, contact support.").response()
        }
        response.headers[.msRequestId] = context.requestId
        response.headers[.msCorrelationId] = context.correlationId
        return response
    }

    /// Echo client IDs only when they are short printable tokens (no header or log injection).
    static func sanitize(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 128,
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else { return nil }
        return value
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 413: "PayloadTooLarge"
        case 415: "UnsupportedMediaType"
        case 429: "TooManyRequests"
        default: status.code >= 500 ? "InternalServerError" : "BadRequest"
        }
    }

    static func message(for error: any HTTPResponseError) -> String {
        if let e = error as? HTTPError, let message = e.body { return message }
        switch error.status.code {
        case 404: return "No route matches this method and path."
        default: return error.status.reasonPhrase
        }
    }
}
