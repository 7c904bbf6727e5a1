import AsyncHTTPClient
import Foundation
import Hummingbird
import JWTKit
import MercatoAuth
import NIOConcurrencyHelpers

/// A publisher's webhook endpoint for tests: validates the bearer JWT the way publisher code does (keys from
/// Mercato's JWKS over HTTP; aud = the publisher's app, tid = its tenant, azp/appid = the Marketplace API, lifetime
/// with no clock skew), records each call, and can be switched down (answers 503) or made to reject (answers 400).
public final class WebhookReceiver: Sendable {
    public struct Call: Sendable {
        public var body: [String: any Sendable]
        public var raw: String
        public var claims: AccessTokenClaims?
        public var tokenError: String?
    }

    public enum Mode: Sendable { case up, down, reject }

    let state = NIOLockedValueBox<(calls: [Call], mode: Mode)>(([], .up))
    public let audience: String
    public let tenantId: String
    /// Where Mercato serves its JWKS (set once Mercato's port is known).
    let jwksURL = NIOLockedValueBox<String?>(nil)

    public init(audience: String, tenantId: String) {
        self.audience = audience.lowercased()
        self.tenantId = tenantId.lowercased()
    }

    public var calls: [Call] { state.withLockedValue { $0.calls } }
    public func set(_ mode: Mode) { state.withLockedValue { $0.mode = mode } }
    public func setMercato(baseURL: String) { jwksURL.withLockedValue { $0 = "\(baseURL)/\(tenantId)/discovery/v2.0/keys" } }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("webhook") { request, _ -> Response in
            let mode = self.state.withLockedValue { $0.mode }
            if mode == .down { return Response(status: .serviceUnavailable) }
            let body = try await request.body.collect(upTo: 1 << 20)
            let raw = String(buffer: body)
            var claims: AccessTokenClaims?
            var tokenError: String?
            do {
                claims = try await self.validate(request.headers[.authorization])
            } catch {
                tokenError = "\(error)"
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any]) ?? [:]
            let sendable = object.mapValues { $0 as! any Sendable }
            self.state.withLockedValue { $0.calls.append(Call(body: sendable, raw: raw, claims: claims, tokenError: tokenError)) }
            if tokenError != nil { return Response(status: .unauthorized) }
            return Response(status: mode == .reject ? .badRequest : .ok)
        }
        return router
    }

    struct ReceiverError: Error, CustomStringConvertible {
        var description: String
    }

    func validate(_ header: String?) async throws -> AccessTokenClaims {
        guard let header, header.hasPrefix("Bearer ") else { throw ReceiverError(description: "no bearer token") }
        let token = String(header.dropFirst(7))
        guard let url = jwksURL.withLockedValue({ $0 }) else { throw ReceiverError(description: "no JWKS URL") }
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let jwks = String(buffer: try await response.body.collect(upTo: 1 << 20))
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: jwks)
        let claims = try await keys.verify(token, as: AccessTokenClaims.self)
        let now = Int(Date().timeIntervalSince1970)
        guard claims.aud.lowercased() == audience else { throw ReceiverError(description: "aud \(claims.aud)") }
        guard claims.tid?.lowercased() == tenantId else { throw ReceiverError(description: "tid \(claims.tid ?? "-")") }
        guard claims.azp == "20e940b3-4c77-4b0b-9a53-9e16a1b010a7" || claims.appid == "20e940b3-4c77-4b0b-9a53-9e16a1b010a7" else {
            throw ReceiverError(description: "not from the Marketplace API")
        }
        guard claims.nbf <= now, claims.exp > now else { throw ReceiverError(description: "outside its lifetime") } // ClockSkew = 0
        return claims
    }
}
