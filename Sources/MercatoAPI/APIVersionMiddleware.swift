import Hummingbird

/// `api-version` is a required query parameter with the single value 2018-08-31 (spec-saas §1.1). The errors use
/// the PascalCase envelope the real service returns ([EMU]).
public struct APIVersionMiddleware: RouterMiddleware {
    public typealias Context = MercatoRequestContext
    public static let supported = "2018-08-31"

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let version = request.uri.queryParameters.get("api-version"), !version.isEmpty else {
            return Self.error("ApiVersionUnspecified", "An API version is required, but was not specified.")
        }
        guard version == Self.supported else {
            let path = request.uri.path
            return Self.error("UnsupportedApiVersion", "The HTTP resource that matches the request URI '\(path)' does not support the API version '\(version)'.")
        }
        return try await next(request, context)
    }

    static func error(_ code: String, _ message: String) -> Response {
        struct Envelope: Encodable { struct Inner: Encodable { var Code: String; var Message: String }; var Error: Inner }
        return (try? JSONBody.response(Envelope(Error: .init(Code: code, Message: message)), status: .badRequest))
            ?? Response(status: .badRequest)
    }
}
