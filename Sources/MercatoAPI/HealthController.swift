import Foundation
import Hummingbird
import MercatoStorage

/// `GET /health`: public, for load balancers and `mercato serve` checks. 200 when the database answers, else 503.
public struct HealthController: Sendable {
    let db: Database

    public init(db: Database) {
        self.db = db
    }

    public func addRoutes(to router: Router<MercatoRequestContext>) {
        router.get("/health") { _, _ -> Response in
            let ok = await db.ping()
            let body = "{\"status\":\"\(ok ? "ok" : "unavailable")\",\"database\":\"\(db.kind.rawValue)\"}"
            return Response(status: ok ? .ok : .serviceUnavailable,
                            headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }
}
