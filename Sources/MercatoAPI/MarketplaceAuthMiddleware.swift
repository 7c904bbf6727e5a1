import Hummingbird
import MercatoAuth
import MercatoCore

/// Authenticates every /api call with a Mercato-issued (Entra-compatible) bearer token and puts the calling
/// application's principal on the context. Missing or malformed bearer → 401; a token that fails validation →
/// 403 (spec-saas §1.4). Request and correlation IDs are echoed by `RequestIDMiddleware`.
public struct MarketplaceAuthMiddleware: RouterMiddleware {
    public typealias Context = MercatoRequestContext
    let validator: TokenValidator

    public init(validator: TokenValidator) {
        self.validator = validator
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            let validated = try await validator.validate(authorizationHeader: request.headers[.authorization])
            context.principal = validated.principal
            // One metadata assignment: each subscript set copies the logger's storage and metadata.
            var metadata = context.logger.handler.metadata
            metadata["publisherId"] = .string(validated.application.publisherId)
            metadata["clientId"] = .string(validated.application.clientId)
            context.logger.handler.metadata = metadata
        } catch let rejection as TokenRejection {
            context.logger.info("bearer token refused", metadata: ["reason": .string(rejection.message)])
            if rejection.isUnauthorized {
                throw APIError(.unauthorized, code: "Unauthorized", message: rejection.message,
                               headers: [.wwwAuthenticate: "Bearer authorization_uri=\"\", error=\"invalid_token\""])
            }
            throw APIError(.forbidden, code: "Forbidden", message: rejection.message)
        }
        return try await next(request, context)
    }
}
