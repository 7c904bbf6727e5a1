import _CryptoExtras
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import MercatoAPI
import MercatoApp
import MercatoAuth
import MercatoCore
import MercatoTestSupport
import Testing

/// Every /api route validates its bearer token (spec-saas §1.4, §2.1). Exercised on GET /api/partner/v1/account.
@Suite("Bearer token validation on /api")
struct BearerValidationTests {
    static let route = "/api/partner/v1/account"

    func call(_ client: some TestClientProtocol, _ authorization: String?) async throws -> (HTTPResponse.Status, APIErrorBody?, HTTPFields) {
        var headers: HTTPFields = [.msRequestId: "req-\(UUID().uuidString.prefix(8))"]
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: Self.route, method: .get, headers: headers) { response in
            #expect(response.headers[.msRequestId] == headers[.msRequestId])
            #expect(response.headers[.msCorrelationId] != nil)
            return (response.status, try? JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: response.body)), response.headers)
        }
    }

    func parts(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    func encode(_ object: [String: Any]) throws -> String {
        Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
    }

    func decode(_ segment: String) throws -> [String: Any] {
        let bytes = try #require(Base64URL.decode(segment))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("a valid v1 or v2 token is accepted and maps to its publisher", arguments: TestBackend.available)
    func accepted(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let account = try await AccountFixture.make(env)
            let app = try await AppFixture.make(env, account: account)
            for version in [TokenEndpointVersion.v1, .v2] {
                let token = try await app.token(env, version: version)
                try await buildApplication(environment: env).test(.router) { client in
                    try await client.execute(uri: Self.route, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                        #expect(response.status == .ok)
                        let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                        #expect(body["publisherId"] as? String == account.publisherId)
                    }
                }
            }
        }
    }

    @Test("missing or malformed bearer → 401 with WWW-Authenticate")
    func unauthorized() async throws {
        try await withTestEnvironment { env in
            try await buildApplication(environment: env).test(.router) { client in
                for header in [nil, "", "Basic abc", "Bearer", "Bearer not-a-jwt", "Bearer a.b"] as [String?] {
                    let (status, body, headers) = try await call(client, header)
                    #expect(status == .unauthorized, "\(header ?? "nil")")
                    #expect(body?.code == "Unauthorized")
                    #expect(headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
            }
        }
    }

    @Test("forged, expired, wrong-audience, wrong-issuer, other-tenant, alg=none and HS256 tokens → 403")
    func forbidden() async throws {
        let tokenClock = ManualClock(Date())
        try await withTestEnvironment(tokenClock: tokenClock) { env in
            let account = try await AccountFixture.make(env)
            let app = try await AppFixture.make(env, account: account)
            let other = try await AppFixture.make(env, account: try await AccountFixture.make(env, publisherId: "contoso"))
            let good = try await app.token(env)
            let p = parts(good)
            let header = try decode(p[0])
            let kid = try #require(header["kid"] as? String)
            var payload = try decode(p[1])

            var cases: [(String, String)] = []
            // Signature over a modified payload (a different tenant's app ID slipped in).
            var tampered = payload
            tampered["azp"] = other.clientId
            cases.append(("forged payload", "\(p[0]).\(try encode(tampered)).\(p[2])"))
            // Signature bytes flipped.
            var sig = Array(p[2]); sig[10] = sig[10] == "A" ? "B" : "A"
            cases.append(("forged signature", "\(p[0]).\(p[1]).\(String(sig))"))
            // Signed by an attacker's own RSA key, claiming our kid.
            let attacker = JWTKeyCollection()
            await attacker.add(rsa: try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)), digestAlgorithm: .sha256,
                               kid: JWKIdentifier(string: kid))
            let attackerClaims = try JSONDecoder().decode(AccessTokenClaims.self, from: Data(try #require(Base64URL.decode(p[1]))))
            cases.append(("foreign key", try await attacker.sign(attackerClaims, kid: JWKIdentifier(string: kid))))
            // alg=none.
            cases.append(("alg none", "\(try encode(["alg": "none", "typ": "JWT", "kid": kid])).\(p[1])."))
            // HS256 keyed with the public JWK (the algorithm-confusion attack).
            let jwks = try await env.signingKeys.jwks()
            let hmac = JWTKeyCollection()
            await hmac.add(hmac: HMACKey(from: jwks[0].n), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            cases.append(("HS256", try await hmac.sign(attackerClaims, kid: JWKIdentifier(string: kid))))
            // Correctly signed by Mercato, but with bad claims.
            func signed(_ mutate: (inout AccessTokenClaims) -> Void) async throws -> String {
                var c = attackerClaims
                mutate(&c)
                return try await env.signingKeys.sign(c)
            }
            cases.append(("wrong audience", try await signed { $0.aud = "https://graph.microsoft.com" }))
            cases.append(("wrong issuer", try await signed { $0.iss = "https://evil.example/\(app.tenantId)/v2.0" }))
            cases.append(("other tenant", try await signed { $0.tid = other.tenantId; $0.iss = EntraConventions.v2Issuer(tenantId: other.tenantId) }))
            cases.append(("unknown app", try await signed { $0.azp = UUID().uuidString.lowercased() }))
            cases.append(("no tid", try await signed { $0.tid = nil }))
            cases.append(("not yet valid", try await signed { $0.nbf = Int(tokenClock.now().timeIntervalSince1970) + 120 }))
            payload["kid"] = nil
            let allCases = cases

            try await buildApplication(environment: env).test(.router) { client in
                let (okStatus, _, _) = try await call(client, "Bearer \(good)")
                #expect(okStatus == .ok)
                for (name, token) in allCases {
                    let (status, body, _) = try await call(client, "Bearer \(token)")
                    #expect(status == .forbidden, "\(name)")
                    #expect(body?.code == "Forbidden", "\(name)")
                }
                // Expired: one hour later the same good token is refused; within the 5 s skew it still works.
                tokenClock.advance(by: 3599 + 4)
                #expect(try await call(client, "Bearer \(good)").0 == .ok)
                tokenClock.advance(by: 2)
                let (expired, body, _) = try await call(client, "Bearer \(good)")
                #expect(expired == .forbidden)
                #expect(body?.message.contains("expired") == true)
            }
        }
    }

    @Test("key rotation: old tokens validate until their key is retired; the signing key can't be retired", arguments: TestBackend.available)
    func rotation(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let app = try await AppFixture.make(env, account: try await AccountFixture.make(env))
            let old = try await app.token(env)
            let oldKid = try #require(try await env.signingKeys.jwks().first?.kid)
            let newKid = try await env.signingKeys.rotate(context: .system)
            #expect(try await env.signingKeys.jwks().map(\.kid) == [oldKid, newKid])
            let new = try await app.token(env)
            #expect(try decode(parts(new)[0])["kid"] as? String == newKid)
            try await buildApplication(environment: env).test(.router) { client in
                #expect(try await call(client, "Bearer \(old)").0 == .ok)
                #expect(try await call(client, "Bearer \(new)").0 == .ok)
                await #expect(throws: DomainError.self) { try await env.signingKeys.retire(kid: newKid, context: .system) }
                try await env.signingKeys.retire(kid: oldKid, context: .system)
                #expect(try await env.signingKeys.jwks().map(\.kid) == [newKid])
                #expect(try await call(client, "Bearer \(old)").0 == .forbidden)
                #expect(try await call(client, "Bearer \(new)").0 == .ok)
            }
            let actions = try await env.audit.records(publisherId: nil, afterSequence: 0, limit: 200).map(\.entry.action)
            #expect(actions.filter { $0 == "signingKey.rotate" }.count == 2 && actions.contains("signingKey.retire"))
            #expect(actions.filter { $0 == "token.issue" }.count == 2)
        }
    }

    @Test("a key rotated by another process is picked up when a token names it")
    func rotationElsewhere() async throws {
        try await withTestEnvironment { env in
            let app = try await AppFixture.make(env, account: try await AccountFixture.make(env))
            _ = try await app.token(env) // loads and caches the first key
            // A second environment on the same database (another `mercato` process) rotates.
            let other = try await MercatoEnvironment.open(env.configuration, logger: env.logger)
            let otherApp = AppFixture(issued: app.issued)
            _ = try await other.signingKeys.rotate(context: .system)
            let token = try await otherApp.token(other)
            try await other.close()
            try await buildApplication(environment: env).test(.router) { client in
                let status = try await call(client, "Bearer \(token)").0
                #expect(status == .ok)
            }
        }
    }
}
