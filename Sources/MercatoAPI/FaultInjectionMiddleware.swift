import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// Applies the calling publisher's API fault rules (after authentication, so only its own traffic is affected):
/// answer 429/500/503 or add latency for the configured share of matching calls. Rules are cached for a second.
public struct FaultInjectionMiddleware: RouterMiddleware {
    public typealias Context = MercatoRequestContext
    let faults: any FaultRepository
    let ids: any IDGenerator
    let cache: RuleCache

    /// The API-scope rules of every publisher, re-read every second (one request reloads; the others use the
    /// previous second's rules meanwhile). Changing a rule invalidates it at once in this process.
    public final class RuleCache: Sendable {
        let rules = RefreshingCache<Int, [FaultRule]>(maxAge: 1)
        public init() {}
    }

    public init(faults: any FaultRepository, ids: any IDGenerator, cache: RuleCache = RuleCache()) {
        self.faults = faults
        self.ids = ids
        self.cache = cache
    }

    func rules() async throws -> [FaultRule] {
        try await cache.rules.value(for: 0, now: Date()) {
            try await faults.rules(publisherId: nil).filter { $0.scope == .api }
        }
    }

    public func invalidate() { cache.rules.invalidate() }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let publisherId = context.principal?.publisherId, !request.uri.path.hasPrefix("/api/admin") else { return try await next(request, context) }
        let all = try await rules()
        guard !all.isEmpty else { return try await next(request, context) }
        let roll = Int(ids.randomBytes(1)[0]) % 100
        guard let rule = FaultInjector.pick(all, scope: .api, publisherId: publisherId, path: request.uri.path, roll: roll) else {
            return try await next(request, context)
        }
        if let ms = rule.latencyMilliseconds, ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
        guard let status = rule.statusCode else { return try await next(request, context) }
        context.logger.info("injected API fault", metadata: ["faultId": .string(rule.id), "status": .stringConvertible(status)])
        var headers: HTTPFields = [HTTPField.Name("x-mercato-fault")!: rule.id]
        if status == 429 || status == 503 { headers[.retryAfter] = "1" }
        throw APIError(HTTPResponse.Status(code: status), code: status == 429 ? "TooManyRequests" : (status == 503 ? "ServiceUnavailable" : "InternalServerError"),
                       message: "Injected fault \(rule.id): this call was made to fail on purpose (sandbox fault injection).", headers: headers)
    }
}
