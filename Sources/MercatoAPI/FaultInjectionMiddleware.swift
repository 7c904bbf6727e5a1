import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore
import NIOConcurrencyHelpers

/// Applies the calling publisher's API fault rules (after authentication, so only its own traffic is affected):
/// answer 429/500/503 or add latency for the configured share of matching calls. Rules are cached for a second.
public struct FaultInjectionMiddleware: RouterMiddleware {
    public typealias Context = MercatoRequestContext
    let faults: any FaultRepository
    let ids: any IDGenerator
    let cache: RuleCache

    public final class RuleCache: Sendable {
        let state = NIOLockedValueBox<(rules: [FaultRule], loaded: UInt64)>(([], 0))
        public init() {}
    }

    public init(faults: any FaultRepository, ids: any IDGenerator, cache: RuleCache = RuleCache()) {
        self.faults = faults
        self.ids = ids
        self.cache = cache
    }

    func rules() async throws -> [FaultRule] {
        let now = DispatchTime.now().uptimeNanoseconds
        let cached = cache.state.withLockedValue { $0 }
        if now - cached.loaded < 1_000_000_000 && cached.loaded != 0 { return cached.rules }
        let fresh = try await faults.rules(publisherId: nil).filter { $0.scope == .api }
        cache.state.withLockedValue { $0 = (fresh, now) }
        return fresh
    }

    public func invalidate() { cache.state.withLockedValue { $0 = ([], 0) } }

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
