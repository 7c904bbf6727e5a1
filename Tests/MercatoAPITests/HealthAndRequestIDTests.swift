import Foundation
import Hummingbird
import HummingbirdTesting
import MercatoAPI
import MercatoApp
import MercatoTestSupport
import Testing

@Suite("Health, metrics and request IDs")
struct HealthAndRequestIDTests {
    @Test("/health answers 200 with the database kind", arguments: TestBackend.available)
    func health(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "{\"status\":\"ok\",\"database\":\"\(backend.rawValue)\"}")
                }
            }
        }
    }

    @Test("/health answers 503 once the database is gone")
    func healthDown() async throws {
        try await withTestEnvironment { env in
            let app = try buildApplication(environment: env)
            try await env.db.close()
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                }
            }
        }
    }

    @Test("client request and correlation IDs are echoed; missing ones are generated")
    func requestIds() async throws {
        try await withTestEnvironment { env in
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/health", method: .get,
                                         headers: [.msRequestId: "1c9e2a9d-4a4b-4d1e-9a61-8d2f0f5c7b3e", .msCorrelationId: "corr-42"]) { response in
                    #expect(response.headers[.msRequestId] == "1c9e2a9d-4a4b-4d1e-9a61-8d2f0f5c7b3e")
                    #expect(response.headers[.msCorrelationId] == "corr-42")
                }
                try await client.execute(uri: "/health", method: .get) { response in
                    let id = try #require(response.headers[.msRequestId])
                    #expect(UUID(uuidString: id) != nil)
                    #expect(UUID(uuidString: try #require(response.headers[.msCorrelationId])) != nil)
                }
                // An ID that could inject into headers or logs is replaced, not echoed.
                try await client.execute(uri: "/health", method: .get, headers: [.msRequestId: "abc def<script>"]) { response in
                    #expect(response.headers[.msRequestId] != "abc def<script>")
                }
            }
        }
    }

    @Test("an unknown route gets a JSON 404 envelope, with IDs")
    func notFound() async throws {
        try await withTestEnvironment { env in
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/api/nothing-here", method: .get) { response in
                    #expect(response.status == .notFound)
                    let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(buffer: response.body))
                    #expect(body.code == "NotFound")
                    #expect(response.headers[.msRequestId] != nil)
                }
            }
        }
    }

    @Test("/metrics is Prometheus text, and requires the token when one is configured")
    func metrics() async throws {
        try await withTestEnvironment(configure: { $0.metricsToken = "s3cret-metrics" }) { env in
            env.metrics.makeCounter(name: "mercato_test_counter", help: "test").increment(by: Int64(3))
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer s3cret-metrics"]) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("mercato_test_counter 3"))
                }
            }
        }
    }

    @Test("the bench baselines exist only when MERCATO_BENCH_ROUTES is on; the POST reads and bounds its body")
    func benchRoutes() async throws {
        try await withTestEnvironment { env in
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/bench/bare", method: .get) { response in
                    #expect(response.status == .notFound)
                }
                try await client.execute(uri: "/bench/bare", method: .post, body: ByteBuffer(string: "{}")) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
        try await withTestEnvironment(configure: { $0.benchRoutes = true }) { env in
            try await buildApplication(environment: env).test(.router) { client in
                try await client.execute(uri: "/bench/bare", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "ok")
                }
                try await client.execute(uri: "/bench/bare", method: .post, body: ByteBuffer(string: #"{"quantity":1.5}"#)) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "ok")
                }
                // Over the 1 MiB bound the usage routes share: refused, not read to the end.
                try await client.execute(uri: "/bench/bare", method: .post, body: ByteBuffer(repeating: 0x20, count: (1 << 20) + 1)) { response in
                    #expect(response.status == .contentTooLarge)
                }
            }
        }
    }
}
