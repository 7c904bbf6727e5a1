import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// SaaS Fulfillment API v2 under /api/saas (spec-saas §3–§4): the 10 operations, wire-exact.
public struct FulfillmentController: Sendable {
    let subscriptions: SubscriptionService
    let baseURL: String
    let rates: ExchangeRates

    public init(subscriptions: SubscriptionService, baseURL: String, rates: ExchangeRates = .reference) {
        self.subscriptions = subscriptions
        self.baseURL = baseURL
        self.rates = rates
    }

    public func addRoutes(to group: RouterGroup<MercatoRequestContext>) {
        let saas = group.group("saas/subscriptions").add(middleware: APIVersionMiddleware())
        saas.post("resolve") { r, c in try await resolve(r, c) }
        saas.get("") { r, c in try await list(r, c) }
        saas.get("{subscriptionId}") { _, c in try await get(c) }
        saas.patch("{subscriptionId}") { r, c in try await patch(r, c) }
        saas.delete("{subscriptionId}") { _, c in try await delete(c) }
        saas.post("{subscriptionId}/activate") { r, c in try await activate(r, c) }
        saas.get("{subscriptionId}/listAvailablePlans") { r, c in try await plans(r, c) }
        saas.get("{subscriptionId}/operations") { _, c in try await operations(c) }
        saas.get("{subscriptionId}/operations/{operationId}") { _, c in try await operation(c) }
        saas.patch("{subscriptionId}/operations/{operationId}") { r, c in try await acknowledge(r, c) }
    }

    func publisher(_ c: MercatoRequestContext) throws -> String {
        guard let id = c.principal?.publisherId else { throw APIError(.unauthorized, code: "Unauthorized", message: "The authorization token was not provided.") }
        return id
    }

    func subscriptionId(_ c: MercatoRequestContext) -> String { c.parameters.get("subscriptionId") ?? "" }

    func operationLocation(_ op: SubscriptionOperation) -> String {
        "\(baseURL)/api/saas/subscriptions/\(op.subscriptionId)/operations/\(op.id)?api-version=\(APIVersionMiddleware.supported)"
    }

    static func json(_ value: OrderedJSON) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: value.bytes)))
    }

    func accepted(_ op: SubscriptionOperation) -> Response {
        // Recorded live response: 202, empty body, Operation-Id + Operation-Location + Retry-After.
        Response(status: .accepted, headers: [
            HTTPField.Name("Operation-Id")!: op.id, HTTPField.Name("Operation-Location")!: operationLocation(op), .retryAfter: "10",
        ])
    }

    // §3.1
    func resolve(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let token = r.headers[HTTPField.Name("x-ms-marketplace-token")!]
        // The header carries the URL-decoded token; tolerate clients that forget to decode.
        let decoded = token.map { $0.contains("%") ? ($0.removingPercentEncoding ?? $0) : $0 }
        let s = try await subscriptions.resolve(token: decoded, publisherId: try publisher(c))
        var pairs: [(String, OrderedJSON)] = [("id", .string(s.id)), ("subscriptionName", .string(s.name)), ("offerId", .string(s.offerId)),
                                              ("planId", .string(s.planId))]
        if let q = s.quantity { pairs.append(("quantity", .number(String(q)))) }
        pairs.append(("subscription", FulfillmentWire.ordered(FulfillmentWire.SubscriptionDTO(s))))
        return Self.json(.object(pairs))
    }

    // §3.3
    func list(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try publisher(c)
        var cursor: SubscriptionCursor?
        if let token = r.uri.queryParameters.get("continuationToken"), !token.isEmpty {
            guard let parsed = SubscriptionCursor(token: token) else {
                throw TransitionRefusal(400, "BadRequest", "The continuationToken is not valid.", target: "continuationToken")
            }
            cursor = parsed
        }
        let (items, next) = try await subscriptions.list(publisherId: publisherId, cursor: cursor)
        let nextLink = next.map { "\(baseURL)/api/saas/subscriptions/?continuationToken=\($0.token)&api-version=\(APIVersionMiddleware.supported)" }
        var page: [(String, OrderedJSON)] = [("subscriptions", .array(items.map { FulfillmentWire.ordered(FulfillmentWire.SubscriptionDTO($0)) }))]
        if let nextLink { page.append(("@nextLink", .string(nextLink))) }
        return Self.json(.object(page))
    }

    // §3.4
    func get(_ c: MercatoRequestContext) async throws -> Response {
        let s = try await subscriptions.subscription(id: subscriptionId(c), publisherId: try publisher(c))
        return Self.json(FulfillmentWire.ordered(FulfillmentWire.SubscriptionDTO(s)))
    }

    // §3.2
    func activate(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let body = try await PlanQuantityBody.parse(r, requireBody: true)
        _ = try await subscriptions.activate(id: subscriptionId(c), publisherId: try publisher(c), planId: body.planId, quantity: body.quantity,
                                             context: c.auditContext)
        return Response(status: .ok)
    }

    // §3.5
    func plans(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let filter: String? = r.uri.queryParameters.get("planId").map { String($0) }
        let (s, plans, offer) = try await subscriptions.availablePlans(id: subscriptionId(c), publisherId: try publisher(c), planId: filter)
        let now = subscriptions.clock.now()
        return try JSONBody.response(["plans": plans.map { FulfillmentWire.plan($0, offer: offer, market: s.market, at: now, rates: rates) }])
    }

    // §3.6 / §3.7
    func patch(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let body = try await PlanQuantityBody.parse(r, requireBody: true)
        let change: SubscriptionService.Change
        switch (body.planId, body.quantity) {
        case let (plan?, nil): change = .plan(plan)
        case let (nil, quantity?): change = .quantity(quantity)
        case (.some, .some): throw TransitionRefusal(400, "BadRequest", "Cannot patch more than one field in the same request.", target: "update")
        case (nil, nil): throw TransitionRefusal(400, "BadRequest", "Either planId or quantity is required.", target: "update")
        }
        let op = try await subscriptions.requestChange(id: subscriptionId(c), publisherId: try publisher(c), change: change, source: .partner,
                                                       context: c.auditContext)
        return accepted(op)
    }

    // §3.8
    func delete(_ c: MercatoRequestContext) async throws -> Response {
        let op = try await subscriptions.cancel(id: subscriptionId(c), publisherId: try publisher(c), source: .partner, context: c.auditContext)
        return accepted(op)
    }

    // §4.1
    func operations(_ c: MercatoRequestContext) async throws -> Response {
        let ops = try await subscriptions.pendingOperations(subscriptionId: subscriptionId(c), publisherId: try publisher(c))
        return Self.json(.object([("operations", .array(ops.map { FulfillmentWire.ordered(FulfillmentWire.OperationDTO($0)) }))]))
    }

    // §4.2
    func operation(_ c: MercatoRequestContext) async throws -> Response {
        let op = try await subscriptions.operation(subscriptionId: subscriptionId(c), operationId: c.parameters.get("operationId") ?? "",
                                                   publisherId: try publisher(c))
        return Self.json(FulfillmentWire.ordered(FulfillmentWire.OperationDTO(op)))
    }

    // §4.3
    func acknowledge(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        struct Body: Decodable { var status: String? }
        let body = try await JSONBody.decode(Body.self, from: r)
        let success: Bool
        switch body.status?.lowercased() {
        case "success", "succeeded": success = true
        case "failure", "failed": success = false
        default: throw TransitionRefusal(400, "BadRequest", "status must be Success or Failure.", target: "status")
        }
        try await subscriptions.acknowledge(subscriptionId: subscriptionId(c), operationId: c.parameters.get("operationId") ?? "",
                                            publisherId: try publisher(c), success: success, context: c.auditContext)
        return Response(status: .ok)
    }
}

/// `SubscriberPlan` bodies: `planId` string; `quantity` as integer, numeric string, "" or absent (spec-saas §3.2, §13.8).
struct PlanQuantityBody {
    var planId: String?
    var quantity: Int?

    static func parse(_ r: Request, requireBody: Bool) async throws -> PlanQuantityBody {
        let buffer = try await r.body.collect(upTo: 64 * 1024)
        guard buffer.readableBytes > 0 else {
            if requireBody { throw TransitionRefusal(400, "BadRequest", "A JSON request body is required.", target: "body") }
            return PlanQuantityBody()
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw TransitionRefusal(400, "BadRequest", "The request body is not a JSON object.", target: "body")
        }
        var result = PlanQuantityBody()
        switch object["planId"] {
        case nil, is NSNull: break
        case let s as String: result.planId = s.isEmpty ? nil : s
        default: throw TransitionRefusal(400, "BadRequest", "planId must be a string.", target: "planId")
        }
        switch object["quantity"] {
        case nil, is NSNull: break
        case let s as String:
            let t = s.trimmingCharacters(in: .whitespaces)
            if !t.isEmpty {
                guard let n = Int(t) else { throw TransitionRefusal(400, "BadRequest", "quantity '\(s)' is not a whole number.", target: "quantity") }
                result.quantity = n
            }
        case let n as NSNumber:
            guard n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e12 else {
                throw TransitionRefusal(400, "BadRequest", "quantity must be a whole number.", target: "quantity")
            }
            result.quantity = n.intValue
        default: throw TransitionRefusal(400, "BadRequest", "quantity must be a whole number.", target: "quantity")
        }
        return result
    }
}
