import Hummingbird
import MercatoAPI
import Prometheus

/// `GET /metrics`: Prometheus text exposition of the process's registry. Protected by a bearer token when
/// `MERCATO_METRICS_TOKEN` is set (GOV-ID-01); otherwise open — the default listener is loopback only.
struct MetricsController {
    let registry: PrometheusCollectorRegistry
    let token: String?

    func addRoutes(to router: Router<MercatoRequestContext>) {
        router.get("/metrics") { request, _ -> Response in
            if let token {
                guard let header = request.headers[.authorization], header == "Bearer \(token)" else {
                    throw APIError(.unauthorized, code: "Unauthorized", message: "/metrics requires the metrics bearer token",
                                   headers: [.wwwAuthenticate: "Bearer realm=\"metrics\""])
                }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
