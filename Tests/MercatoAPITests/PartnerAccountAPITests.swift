import Foundation
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

/// The account API under /api/partner/v1, authorised by the role of the calling application.
@Suite("Partner account API")
struct PartnerAccountAPITests {
    func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test("a Manager app lists and adds users; the last Owner is protected with 409", arguments: TestBackend.available)
    func managerFlow(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let account = try await AccountFixture.make(env)
            let token = try await AppFixture.make(env, account: account, roles: [.manager]).token(env)
            let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/partner/v1/users", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    let users = try #require(try object(response)["users"] as? [[String: Any]])
                    #expect(users.count == 6)
                }
                try await client.execute(uri: "/api/partner/v1/users", method: .post, headers: auth,
                                         body: ByteBuffer(string: #"{"email":"New@Fabrikam.example","displayName":"New","roles":["Developer"]}"#)) { response in
                    #expect(response.status == .created)
                    let user = try #require(try object(response)["user"] as? [String: Any])
                    #expect(user["email"] as? String == "new@fabrikam.example")
                    #expect(user["roles"] as? [String] == ["Developer"])
                }
                // A Manager can't hand out Owner.
                let devId = account.usersByRole[.developer]!.id
                try await client.execute(uri: "/api/partner/v1/users/\(devId)/roles/Owner", method: .put, headers: auth) { response in
                    #expect(response.status == .forbidden)
                }
                try await client.execute(uri: "/api/partner/v1/users/\(devId)/roles/Business%20contributor", method: .put, headers: auth) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/api/partner/v1/users/\(account.enrollment.owner.id)", method: .delete, headers: auth) { response in
                    #expect(response.status == .conflict)
                    let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: response.body))
                    #expect(body.code == "Conflict" && body.message.contains("at least one administrator required"))
                }
                try await client.execute(uri: "/api/partner/v1/users/\(devId)", method: .delete, headers: auth) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/api/partner/v1/audit?limit=1000", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    let records = try #require(try object(response)["records"] as? [[String: Any]])
                    let actions = records.compactMap { ($0["entry"] as? [String: Any])?["action"] as? String }
                    #expect(actions.suffix(4) == ["token.issue", "user.add", "role.assign", "user.remove"])
                }
            }
        }
    }

    @Test("bad input is a 400 naming the field, never a 500")
    func badInput() async throws {
        try await withTestEnvironment { env in
            let account = try await AccountFixture.make(env)
            let token = try await AppFixture.make(env, account: account, roles: [.manager]).token(env)
            let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let cases: [(String, String)] = [
                (#"{"displayName":"x","roles":[]}"#, "email"),
                (#"{"email":"x@y.example","displayName":"x","roles":"Owner"}"#, "roles"),
                (#"{"email":"x@y.example","displayName":"x","roles":["Overlord"]}"#, "roles[0]"),
                (#"{"email":"not-an-email","displayName":"x","roles":[]}"#, "email"),
                (#"{"email":"x@y.example","displayName":"","roles":[]}"#, "displayName"),
                ("{not json", "body"),
                ("", "body"),
            ]
            try await buildApplication(environment: env).test(.router) { client in
                for (body, target) in cases {
                    try await client.execute(uri: "/api/partner/v1/users", method: .post, headers: auth, body: ByteBuffer(string: body)) { response in
                        #expect(response.status == .badRequest, "\(body)")
                        let error = try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: response.body))
                        #expect(error.target == target, "\(body)")
                    }
                }
                try await client.execute(uri: "/api/partner/v1/audit?limit=0", method: .get, headers: auth) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/api/partner/v1/users/nobody", method: .delete, headers: auth) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }

    @Test("a Developer app is refused user management with the role it needs")
    func developerRefused() async throws {
        try await withTestEnvironment { env in
            let account = try await AccountFixture.make(env)
            let token = try await AppFixture.make(env, account: account, roles: [.developer]).token(env)
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/partner/v1/users", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .forbidden)
                    let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: response.body))
                    #expect(body.message.contains("requires role Owner or Manager"))
                }
                try await client.execute(uri: "/api/partner/v1/account", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("one publisher never sees another's users or audit records")
    func isolation() async throws {
        try await withTestEnvironment { env in
            let a = try await AccountFixture.make(env, publisherId: "alpha")
            let b = try await AccountFixture.make(env, publisherId: "beta")
            let tokenA = try await AppFixture.make(env, account: a).token(env)
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/partner/v1/users", method: .get, headers: [.authorization: "Bearer \(tokenA)"]) { response in
                    let users = try #require(try object(response)["users"] as? [[String: Any]])
                    #expect(users.allSatisfy { ($0["email"] as? String)?.hasSuffix("@alpha.example") == true })
                }
                try await client.execute(uri: "/api/partner/v1/users/\(b.usersByRole[.developer]!.id)", method: .delete,
                                         headers: [.authorization: "Bearer \(tokenA)"]) { response in
                    #expect(response.status == .notFound)
                }
                try await client.execute(uri: "/api/partner/v1/audit?limit=1000", method: .get, headers: [.authorization: "Bearer \(tokenA)"]) { response in
                    let records = try #require(try object(response)["records"] as? [[String: Any]])
                    #expect(!records.isEmpty)
                    #expect(records.allSatisfy { ($0["entry"] as? [String: Any])?["publisherId"] as? String == "alpha" })
                }
            }
            #expect(try await env.accounts.repository.user(id: b.usersByRole[.developer]!.id) != nil)
        }
    }
}
