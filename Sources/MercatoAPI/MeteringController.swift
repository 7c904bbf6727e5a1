import Foundation
import Hummingbird
import MercatoCore

/// Marketplace Metering API (spec-saas §7): `POST /api/usageEvent`, `POST /api/batchUsageEvent`,
/// `GET /api/usageEvents`. Bodies are written in the documented key order (publisher code parses the duplicate body
/// as text).
public struct MeteringController: Sendable {
    let metering: MeteringService

    public init(metering: MeteringService) {
        self.metering = metering
    }

    public func addRoutes(to group: RouterGroup<MercatoRequestContext>) {
        let versioned = group.group("").add(middleware: APIVersionMiddleware())
        versioned.post("usageEvent") { r, c in try await single(r, c) }
        versioned.post("batchUsageEvent") { r, c in try await batch(r, c) }
        versioned.get("usageEvents") { r, c in try await list(r, c) }
    }

    func publisher(_ c: MercatoRequestContext) throws -> String {
        guard let id = c.principal?.publisherId else { throw APIError(.unauthorized, code: "Unauthorized", message: "The authorization token was not provided.") }
        return id
    }

    static let zeroTime = "0001-01-01T00:00:00"

    // MARK: Parsing

    static func parse(_ json: JSONValue) -> UsageEventInput {
        guard case let .object(members) = json else { return UsageEventInput(malformed: ("usageEvent", "Each usage event must be a JSON object.")) }
        var e = UsageEventInput()
        // Later members win, as with any JSON object whose key repeats.
        for (key, value) in members {
            switch key {
            case "resourceId", "resourceUri", "dimension", "effectiveStartTime", "planId":
                let text: String?
                switch value {
                case let .string(s): text = s
                case .null: text = nil
                default:
                    e.malformed = (key, "The \(key) must be a string.")
                    text = nil
                }
                switch key {
                case "resourceId": e.resourceId = text
                case "resourceUri": e.resourceUri = text
                case "dimension": e.dimension = text
                case "effectiveStartTime": e.effectiveStartTime = text
                default: e.planId = text
                }
            case "quantity":
                switch value {
                case .null:
                    e.quantity = nil
                    e.quantityText = nil
                case let .number(text):
                    if let plain = PlainDecimal(text) { // most quantities: read without Decimal's parser
                        e.quantity = plain.decimal
                        e.quantityText = text
                    } else if let q = Decimal(decimalText: text), q.isFinite {
                        e.quantity = q
                        e.quantityText = text
                    } else {
                        e.malformed = ("quantity", "The quantity \(text) is not a decimal number Mercato can store.")
                    }
                default:
                    e.malformed = ("quantity", "The quantity must be a number.")
                }
            default:
                continue
            }
        }
        return e
    }

    static func body(_ r: Request) async throws -> JSONValue {
        let buffer = try await r.body.collect(upTo: 1 << 20)
        do {
            return try JSONReader.parse(buffer.readableBytesView)
        } catch {
            throw APIError(.badRequest, code: "BadArgument", message: "The request body is not valid JSON (\(error)).", target: "usageEventRequest")
        }
    }

    // MARK: Formatting

    static func number(_ d: Decimal) -> String {
        var text = NSDecimalNumber(decimal: d).stringValue
        if !text.contains(".") && !text.contains("e") { text += ".0" } // as the service writes doubles: 5.0
        return text
    }

    /// `number(d)` for a decimal `d` read from `text`, without Foundation when the text is a plain literal
    /// (`PlainDecimal`: "1.50" → "1.5", "2" → "2.0", "007" → "7.0"): the metering responses echo every quantity.
    static func number(_ d: Decimal, text: String) -> String {
        guard let plain = PlainDecimal(text) else { return number(d) }
        return plain.micros % 1_000_000 == 0 ? plain.text + ".0" : plain.text
    }

    static func event(_ r: UsageRecord, status: String, stamp: String? = nil) -> OrderedJSON {
        var pairs: [(String, OrderedJSON)] = [
            ("usageEventId", .string(r.usageEventId)), ("status", .string(status)),
            ("messageTime", .string(stamp ?? WireTime.precise(r.messageTime))), ("resourceId", .string(r.resourceId)),
        ]
        if let uri = r.resourceUri { pairs.append(("resourceUri", .string(uri))) }
        pairs += [("quantity", .number(number(r.quantity, text: r.quantityText))), ("dimension", .string(r.dimension)),
                  ("effectiveStartTime", .string(r.effectiveStartTime)), ("planId", .string(r.planId))]
        return .object(pairs)
    }

    /// spec-saas §7.1: the 409 body, compact, in the documented order.
    static func duplicateError(_ original: UsageRecord) -> OrderedJSON {
        .object([("additionalInfo", .object([("acceptedMessage", event(original, status: "Duplicate"))])),
                 ("message", .string("This usage event already exist.")), ("code", .string("Conflict"))])
    }

    static func echo(_ e: UsageEventInput) -> [(String, OrderedJSON)] {
        var pairs: [(String, OrderedJSON)] = []
        if let v = e.resourceId { pairs.append(("resourceId", .string(v))) }
        if let v = e.resourceUri { pairs.append(("resourceUri", .string(v))) }
        if let q = e.quantity { pairs.append(("quantity", .number(number(q)))) }
        if let v = e.dimension { pairs.append(("dimension", .string(v))) }
        if let v = e.effectiveStartTime { pairs.append(("effectiveStartTime", .string(v))) }
        if let v = e.planId { pairs.append(("planId", .string(v))) }
        return pairs
    }

    /// One batch result item (spec-saas §7.2). `stamp` is `now` as wire text; accepted events carry it as their
    /// messageTime (formatted once per batch).
    static func item(_ o: UsageOutcome, now: Date, stamp: String) -> OrderedJSON {
        switch o.status {
        case .accepted:
            let r = o.record!
            return event(r, status: "Accepted", stamp: r.messageTime == now ? stamp : nil)
        case .duplicate:
            return .object([("status", .string("Duplicate")), ("messageTime", .string(stamp)),
                            ("error", duplicateError(o.record!))] + echo(o.input))
        default:
            var error: [(String, OrderedJSON)] = [("message", .string(o.message ?? o.status.rawValue))]
            if let t = o.target { error.append(("target", .string(t))) }
            error.append(("code", .string(o.status.rawValue)))
            return .object([("status", .string(o.status.rawValue)), ("messageTime", .string(zeroTime)), ("error", .object(error))] + echo(o.input))
        }
    }

    static func response(_ json: OrderedJSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }

    /// spec-saas §1.3: the metering 400 body.
    static func badRequest(_ o: UsageOutcome) -> Response {
        let detail: OrderedJSON = .object([("message", .string(o.message ?? "")), ("target", .string(o.target ?? "usageEventRequest")),
                                           ("code", .string(o.status.rawValue))])
        let status: HTTPResponse.Status = o.status == .resourceNotAuthorized ? .forbidden : .badRequest
        return response(.object([("message", .string("One or more errors have occurred.")), ("target", .string("usageEventRequest")),
                                 ("details", .array([detail])), ("code", .string(o.status == .resourceNotAuthorized ? "Forbidden" : "BadArgument"))]), status: status)
    }

    // MARK: Endpoints

    func single(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try publisher(c)
        let input = Self.parse(try await Self.body(r))
        let outcome = try await metering.submit([input], publisherId: publisherId)[0]
        switch outcome.status {
        case .accepted: return Self.response(Self.event(outcome.record!, status: "Accepted"))
        case .duplicate: return Self.response(Self.duplicateError(outcome.record!), status: .conflict)
        default: return Self.badRequest(outcome)
        }
    }

    func batch(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try publisher(c)
        let json = try await Self.body(r)
        // {"request":[…]} per the OpenAPI; a bare array as the 0.9.1 Python SDK sends (answered in kind).
        let list: [JSONValue]
        let bare: Bool
        if case let .array(items) = json {
            (list, bare) = (items, true)
        } else if case let .array(items)? = json["request"] {
            (list, bare) = (items, false)
        } else {
            throw APIError(.badRequest, code: "BadArgument", message: "The body must be {\"request\": [usage events]}.", target: "request")
        }
        guard !list.isEmpty else { throw APIError(.badRequest, code: "BadArgument", message: "The batch contains no usage events.", target: "request") }
        guard list.count <= MeteringRules.maxBatch else {
            throw APIError(.badRequest, code: "BadArgument", message: "The batch contained more than 25 usage events.", target: "request")
        }
        let outcomes = try await metering.submit(list.map(Self.parse), publisherId: publisherId)
        let now = outcomes.first { $0.status == .accepted }?.record?.messageTime ?? metering.clock.now()
        let stamp = WireTime.precise(now)
        let items = outcomes.map { Self.item($0, now: now, stamp: stamp) }
        return Self.response(bare ? .array(items) : .object([("count", .number(String(items.count))), ("result", .array(items))]))
    }

    func list(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try publisher(c)
        let q = r.uri.queryParameters
        func date(_ name: String) throws -> Date? {
            guard let raw = q.get(name) else { return nil }
            let text = String(raw)
            if let d = MeteringRules.parseTime(text) ?? MeteringRules.parseTime(text + ":00") ?? MeteringRules.parseTime(text + "T00:00:00") { return d }
            throw APIError(.badRequest, code: "BadArgument", message: "\(name) '\(text)' is not an ISO 8601 date.", target: name)
        }
        guard let start = try date("usageStartDate") else {
            throw APIError(.badRequest, code: "BadArgument", message: "usageStartDate is required.", target: "usageStartDate")
        }
        let end = try date("UsageEndDate") ?? date("usageEndDate") ?? metering.clock.now()
        guard end >= start else { throw APIError(.badRequest, code: "BadArgument", message: "UsageEndDate is before usageStartDate.", target: "UsageEndDate") }
        let filters: [(String, (UsageRecord) -> String)] = [
            ("offerId", { $0.offerId }), ("planId", { $0.planId }), ("dimension", { $0.dimension }), ("azureSubscriptionId", { $0.azureSubscriptionId }),
        ]
        var records = try await metering.usage.records(publisherId: publisherId, from: start, to: end)
        for (name, field) in filters {
            if let v = q.get(name) { records = records.filter { field($0) == String(v) } }
        }
        let recon = q.get("reconStatus").map { String($0) }
        struct Key: Hashable { var day: Int64; var resource: String; var dimension: String; var plan: String }
        var groups: [Key: [UsageRecord]] = [:]
        for rec in records { groups[Key(day: rec.hour / 24, resource: rec.resourceId, dimension: rec.dimension, plan: rec.planId), default: []].append(rec) }
        let rows = groups.sorted { ($0.key.day, $1.key.resource) > ($1.key.day, $0.key.resource) }.compactMap { key, recs -> OrderedJSON? in
            let total = recs.reduce(Decimal(0)) { $0 + $1.quantity }
            // A day row is Accepted once the billing run rated it; Mismatch when an anomaly correction changed what
            // was billed; Submitted before (spec-saas §7.5).
            let status = recs.contains { $0.reconStatus == "Mismatch" } ? "Mismatch" : recs.allSatisfy { $0.reconStatus == "Accepted" } ? "Accepted" : "Submitted"
            if let recon, recon != status { return nil }
            let processed = status == "Submitted" ? Decimal(0) : recs.filter { $0.reconStatus == "Accepted" }.reduce(Decimal(0)) { $0 + $1.quantity }
            let first = recs[0]
            let named = status != "Submitted"
            return .object([
                ("usageDate", .string(WireTime.day(Date(timeIntervalSince1970: TimeInterval(key.day * 86_400))))),
                ("usageResourceId", .string(key.resource)), ("dimension", .string(key.dimension)), ("planId", .string(key.plan)),
                ("planName", .string(named ? key.plan : "")), ("offerId", .string(first.offerId)), ("offerName", .string(named ? first.offerId : "")),
                ("offerType", .string("SaaS")), ("azureSubscriptionId", .string(first.azureSubscriptionId)), ("reconStatus", .string(status)),
                ("submittedQuantity", .number(Self.number(total))), ("processedQuantity", .number(Self.number(processed))),
                ("submittedCount", .number(String(recs.count))),
            ])
        }
        return Self.response(.array(rows))
    }
}
