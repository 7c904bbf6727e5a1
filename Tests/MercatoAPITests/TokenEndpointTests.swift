import Foundation
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoAuth
import MercatoCore
import MercatoTestSupport
import Testing

/// The Entra-compatible token endpoints (spec-saas §2.1).
@Suite("Token endpoints")
struct TokenEndpointTests {
    static let resource = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"

    func form(_ fields: [(String, String)]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return ByteBuffer(string: fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    func claims(_ token: String) throws -> [String: Any] {
        let payload = try #require(Base64URL.decode(String(token.split(separator: ".")[1])))
        return try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
    }

    let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test("v1: resource= grant, string-typed numbers, v1 claims", arguments: TestBackend.available)
    func v1(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let app = try await AppFixture.make(env, account: try await AccountFixture.make(env))
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/\(app.tenantId)/oauth2/token", method: .post, headers: formHeaders, body: form([
                    ("grant_type", "client_credentials"), ("client_id", app.clientId), ("client_secret", app.secret), ("resource", Self.resource),
                ])) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl] == "no-store")
                    let body = try json(response)
                    #expect(body["token_type"] as? String == "Bearer")
                    #expect(body["expires_in"] as? String == "3599")
                    #expect(body["resource"] as? String == Self.resource)
                    let expiresOn = (body["expires_on"] as? String).flatMap { Int($0) }
                    let notBefore = (body["not_before"] as? String).flatMap { Int($0) }
                    #expect(expiresOn != nil && notBefore != nil && expiresOn! - notBefore! == 3599)
                    let c = try claims(try #require(body["access_token"] as? String))
                    #expect(c["aud"] as? String == Self.resource)
                    #expect(c["iss"] as? String == "https://sts.windows.net/\(app.tenantId)/")
                    #expect(c["appid"] as? String == app.clientId && c["azp"] == nil)
                    #expect(c["tid"] as? String == app.tenantId && c["ver"] as? String == "1.0")
                    #expect((c["exp"] as? Int).map { $0 - (c["iat"] as? Int ?? 0) } == 3599)
                    #expect(c["oid"] as? String == c["sub"] as? String)
                }
            }
        }
    }

    @Test("v2: scope=…/.default grant, numeric expires_in, v2 claims; client_secret_basic accepted")
    func v2() async throws {
        try await withTestEnvironment { env in
            let app = try await AppFixture.make(env, account: try await AccountFixture.make(env))
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/\(app.tenantId)/oauth2/v2.0/token", method: .post, headers: formHeaders, body: form([
                    ("grant_type", "client_credentials"), ("client_id", app.clientId), ("client_secret", app.secret), ("scope", "\(Self.resource)/.default"),
                ])) { response in
                    #expect(response.status == .ok)
                    let body = try json(response)
                    #expect(body["expires_in"] as? Int == 3599)
                    #expect(body["resource"] == nil)
                    let c = try claims(try #require(body["access_token"] as? String))
                    #expect(c["iss"] as? String == "https://login.microsoftonline.com/\(app.tenantId)/v2.0")
                    #expect(c["azp"] as? String == app.clientId && c["appid"] == nil && c["ver"] as? String == "2.0")
                }
                var basic = formHeaders
                basic[.authorization] = "Basic " + Data("\(app.clientId):\(app.secret)".utf8).base64EncodedString()
                try await client.execute(uri: "/\(app.tenantId)/oauth2/v2.0/token", method: .post, headers: basic, body: form([
                    ("grant_type", "client_credentials"), ("scope", "\(Self.resource)/.default"),
                ])) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var name: String
        var path: String // "v1" or "v2"
        var fields: @Sendable (AppFixture) -> [(String, String)]
        var tenant: (@Sendable (AppFixture) -> String)?
        var status: Int
        var error: String
        var code: Int
        var description: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "wrong secret", path: "v2", fields: { [("grant_type", "client_credentials"), ("client_id", $0.clientId), ("client_secret", $0.secret + "x"), ("scope", "\(resource)/.default")] },
                status: 401, error: "invalid_client", code: 7000215),
        Refusal(name: "no secret", path: "v2", fields: { [("grant_type", "client_credentials"), ("client_id", $0.clientId), ("scope", "\(resource)/.default")] },
                status: 401, error: "invalid_client", code: 7000218),
        Refusal(name: "unknown client", path: "v2", fields: { [("grant_type", "client_credentials"), ("client_id", UUID().uuidString.lowercased()), ("client_secret", $0.secret), ("scope", "\(resource)/.default")] },
                status: 400, error: "unauthorized_client", code: 700016),
        Refusal(name: "unknown tenant", path: "v2", fields: { [("grant_type", "client_credentials"), ("client_id", $0.clientId), ("client_secret", $0.secret), ("scope", "\(resource)/.default")] },
                tenant: { _ in UUID().uuidString.lowercased() }, status: 400, error: "invalid_request", code: 90002),
        Refusal(name: "scope without /.default", path: "v2", fields: { [("grant_type", "client_credentials"), ("client_id", $0.clientId), ("client_secret", $0.secret), ("scope", resource)] },
                status: 400, error: "invalid_scope", code: 1002012),
        Refusal(name: "unknown resource", path: "v1", fields: { [("grant_type", "client_credentials"), ("client_id", $0.clientId), ("client_secret", $0.secret), ("resource", "https://graph.microsoft.com")] },
                status: 400, error: "invalid_resource", code: 500011),
        Refusal(name: "missing resource", path: "v1", fields: { [("grant_type", "client_credentials"), ("client_id", $0.clientId), ("client_secret", $0.secret)] },
                status: 400, error: "invalid_request", code: 900144),
        Refusal(name: "password grant", path: "v2", fields: { [("grant_type", "password"), ("client_id", $0.clientId), ("client_secret", $0.secret), ("scope", "\(resource)/.default")] },
                status: 400, error: "unsupported_grant_type", code: 70003),
        Refusal(name: "no grant_type", path: "v2", fields: { [("client_id", $0.clientId), ("client_secret", $0.secret)] },
                status: 400, error: "invalid_request", code: 900144),
    ]

    @Test("refusals look like Entra's: status, error, AADSTS code, IDs", arguments: refusals)
    func refusal(_ refusal: Refusal) async throws {
        try await withTestEnvironment { env in
            let app = try await AppFixture.make(env, account: try await AccountFixture.make(env))
            let tenant = refusal.tenant?(app) ?? app.tenantId
            let path = refusal.path == "v1" ? "/\(tenant)/oauth2/token" : "/\(tenant)/oauth2/v2.0/token"
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: path, method: .post, headers: formHeaders, body: form(refusal.fields(app))) { response in
                    #expect(Int(response.status.code) == refusal.status)
                    let body = try json(response)
                    #expect(body["error"] as? String == refusal.error)
                    #expect(body["error_codes"] as? [Int] == [refusal.code])
                    let description = try #require(body["error_description"] as? String)
                    #expect(description.hasPrefix("AADSTS\(refusal.code): "))
                    #expect(body["trace_id"] as? String == response.headers[.msRequestId])
                    #expect(!description.contains(app.secret))
                }
            }
            // Every refusal is audited, and no secret reaches the audit log.
            let records = try await env.audit.records(publisherId: nil, afterSequence: 0, limit: 100)
            let refused = try #require(records.last)
            #expect(refused.entry.action == "token.refused" && refused.entry.decision == .blocked)
            #expect(!records.contains { ($0.entry.after ?? "").contains(app.secret) || ($0.entry.reason ?? "").contains(app.secret) })
        }
    }

    @Test("OIDC discovery documents and JWKS", arguments: TestBackend.available)
    func discovery(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let app = try await AppFixture.make(env, account: try await AccountFixture.make(env))
            let base = env.configuration.baseURL
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/\(app.tenantId)/v2.0/.well-known/openid-configuration", method: .get) { response in
                    let body = try json(response)
                    #expect(body["token_endpoint"] as? String == "\(base)/\(app.tenantId)/oauth2/v2.0/token")
                    #expect(body["jwks_uri"] as? String == "\(base)/\(app.tenantId)/discovery/v2.0/keys")
                    #expect(body["issuer"] as? String == "https://login.microsoftonline.com/\(app.tenantId)/v2.0")
                    #expect(body["authorization_endpoint"] is String)
                }
                try await client.execute(uri: "/\(app.tenantId)/.well-known/openid-configuration", method: .get) { response in
                    let body = try json(response)
                    #expect(body["token_endpoint"] as? String == "\(base)/\(app.tenantId)/oauth2/token")
                    #expect(body["issuer"] as? String == "https://sts.windows.net/\(app.tenantId)/")
                }
                try await client.execute(uri: "/not-a-tenant.example/v2.0/.well-known/openid-configuration", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
                // Any GUID tenant gets metadata: publishers validate webhook tokens with their own tenant's keys URL.
                let other = UUID().uuidString.lowercased()
                try await client.execute(uri: "/\(other)/v2.0/.well-known/openid-configuration", method: .get) { response in
                    #expect(response.status == .ok)
                    let body = try json(response)
                    #expect(body["jwks_uri"] as? String == "\(base)/\(other)/discovery/v2.0/keys")
                }
                for path in ["/common/discovery/keys", "/common/discovery/v2.0/keys", "/\(app.tenantId)/discovery/v2.0/keys", "/\(app.tenantId)/discovery/keys"] {
                    try await client.execute(uri: path, method: .get) { response in
                        let keys = try #require(try json(response)["keys"] as? [[String: Any]])
                        #expect(keys.count == 1)
                        #expect(keys[0]["kty"] as? String == "RSA" && keys[0]["use"] as? String == "sig" && keys[0]["e"] as? String == "AQAB")
                        #expect((keys[0]["n"] as? String)?.count == 342) // 2048-bit modulus, base64url
                    }
                }
            }
        }
    }
}
