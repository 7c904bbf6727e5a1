import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// Sandbox controls (issue 6 in the browser): the marketplace clock — advance it and see what fired on the way — and
/// fault-injection profiles for the API and for webhook deliveries. Present only when the server runs in sandbox mode.
extension PortalController {
    func addSandboxRoutes<Context: RequestContext>(to router: Router<Context>) {
        guard services.sandbox else { return }
        router.get("/portal/sandbox") { r, _ in try await page(r, .viewAnalytics) { try await sandboxPage($0, values: [:], errors: [:]) } }
        router.post("/portal/sandbox/clock") { r, _ in
            try await action(r, .manageOffers, current: "/portal/sandbox") { u, form in
                guard let service = services.clockService else { throw DomainError.conflict(reason: "the marketplace clock is not adjustable on this server") }
                do {
                    let seconds = try service.duration(form["advance"] ?? "")
                    let result = try await service.advance(by: seconds, context: u.audit)
                    return render(withChrome(u, try await sandboxPage(u, values: [:], errors: [:], fired: result.fired), current: "/portal/sandbox"))
                } catch let e as DomainError {
                    guard case let .invalid(_, reason) = e else { throw e }
                    var page = try await sandboxPage(u, values: form, errors: ["advance": reason.prefix(1).uppercased() + reason.dropFirst() + "."])
                    page.failure = "The clock did not move."
                    return render(withChrome(u, page, current: "/portal/sandbox"), status: .badRequest)
                }
            }
        }
        router.post("/portal/sandbox/faults") { r, _ in
            try await action(r, .manageOffers, current: "/portal/sandbox") { u, form in
                try await formAction(u, form, current: "/portal/sandbox", page: { try await sandboxPage(u, values: form, errors: $0) }) {
                    try await addFault(u, form)
                    return "/portal/sandbox"
                }
            }
        }
        router.post("/portal/sandbox/faults/{id}/remove") { r, c in
            try await action(r, .manageOffers, current: "/portal/sandbox") { u, _ in
                let id = c.parameters.get("id") ?? ""
                try await services.faults.remove(id: id, publisherId: u.publisherId, audit: u.audit.entry(
                    ids: services.ids, clock: services.clock, publisherId: u.publisherId, action: "fault.remove", targetType: "fault", targetId: id))
                services.onFaultsChanged()
                return Self.redirect("/portal/sandbox", done: "removed")
            }
        }
    }

    func sandboxPage(_ u: PortalUser, values: [String: String], errors: [String: String], fired: [SubscriptionOperation]? = nil) async throws -> PortalPage {
        try await services.clockService?.sync()
        let now = services.clock.now()
        let offset = (services.clock as? AdjustableClock)?.currentOffset ?? 0
        let faults = try await services.faults.rules(publisherId: u.publisherId)
        let canAct = u.can(.manageOffers, services.policy)
        var blocks: [Block] = [
            .facts([
                Fact("Marketplace time", PortalFormat.time(now), id: "clock-now"),
                Fact("Ahead of real time by", Self.duration(offset), id: "clock-offset"),
            ]),
        ]
        if let fired {
            blocks.append(.heading("What fired", id: "fired-heading"))
            blocks.append(.table(Table(id: "fired", columns: ["Time", "Action", "Subscription", "Status"], rows: fired.map { op in
                Row([Cell(PortalFormat.time(op.timeStamp)), Cell(op.action.rawValue), Cell(op.subscriptionId, href: op.publisherId == u.publisherId
                    ? "/portal/subscriptions/\(op.subscriptionId)" : nil), Cell(op.status.rawValue)])
            }, empty: "Nothing was due in that time.")))
        }
        if canAct {
            blocks.append(.form(Form(id: "advance-clock", action: "/portal/sandbox/clock", csrf: u.csrf, fields: [
                Field("advance", "Advance the clock by", value: values["advance"] ?? "", error: errors["advance"],
                      hint: "For example 2h, 31d or 1mo (calendar month). Renewals, trial ends, billing runs and payouts due on the way fire in time order."),
            ], submit: "Advance")))
        }
        blocks.append(.heading("Fault injection"))
        blocks.append(.table(Table(id: "faults", columns: ["Scope", "Route or offer", "Effect", "Share of requests", ""], rows: faults.map { f in
            let effect = [f.statusCode.map { "HTTP \($0)" }, f.latencyMilliseconds.map { "+\($0) ms" }, f.timeout ? "timeout" : nil].compactMap { $0 }.joined(separator: ", ")
            return Row([Cell(f.scope.rawValue), Cell(f.routePrefix ?? f.offerId ?? "all"), Cell(effect), Cell("\(f.percent)%"),
                        Cell("", actions: canAct ? [ButtonForm(action: "/portal/sandbox/faults/\(f.id)/remove", label: "Remove", csrf: u.csrf, id: "remove-fault-\(f.id)",
                                                               danger: true)] : [])], id: "fault-\(f.id)")
        }, empty: "No faults: every call and webhook behaves normally.")))
        if canAct {
            blocks.append(.form(Form(id: "add-fault", action: "/portal/sandbox/faults", csrf: u.csrf, fields: [
                .select("scope", "Where", options: [("Api", "Your calls to the API"), ("Webhook", "Webhook deliveries to you")], selected: values["scope"] ?? "Api"),
                Field("routePrefix", "API route prefix (API faults, optional)", value: values["routePrefix"] ?? "", error: errors["routePrefix"],
                      hint: "For example /api/saas/subscriptions or /api/usageEvent."),
                Field("offerId", "Offer ID (webhook faults, optional)", value: values["offerId"] ?? "", error: errors["offerId"]),
                Field("statusCode", "Answer with HTTP status (optional)", value: values["statusCode"] ?? "", type: "number", error: errors["statusCode"]),
                Field("latencyMilliseconds", "Add latency in ms (optional)", value: values["latencyMilliseconds"] ?? "", type: "number",
                      error: errors["latencyMilliseconds"]),
                .checkbox("timeout", "Time out instead of answering", checked: values["timeout"] == "yes"),
                Field("percent", "Share of requests affected (%)", value: values["percent"] ?? "100", type: "number", error: errors["percent"]),
            ], submit: "Add fault")))
        }
        return PortalPage(title: "Sandbox", chrome: nil, blocks: blocks)
    }

    func addFault(_ u: PortalUser, _ form: [String: String]) async throws {
        func int(_ key: String) throws -> Int? {
            let v = (form[key] ?? "").trimmingCharacters(in: .whitespaces)
            if v.isEmpty { return nil }
            guard let n = Int(v) else { throw DomainError.invalid(field: key, reason: "enter a whole number") }
            return n
        }
        guard let scope = FaultRule.Scope(rawValue: form["scope"] ?? "") else { throw DomainError.invalid(field: "scope", reason: "choose Api or Webhook") }
        let rule = FaultRule(id: services.ids.uuidString(), publisherId: u.publisherId, scope: scope,
                             routePrefix: OfferForms.optional(form, "routePrefix"), offerId: OfferForms.optional(form, "offerId"),
                             statusCode: try int("statusCode"), latencyMilliseconds: try int("latencyMilliseconds"), timeout: form["timeout"] == "yes",
                             percent: try int("percent") ?? 100, createdAt: services.clock.now())
        try rule.validate()
        try await services.faults.add(rule, audit: u.audit.entry(ids: services.ids, clock: services.clock, publisherId: u.publisherId, action: "fault.add",
                                                                  targetType: "fault", targetId: rule.id))
        services.onFaultsChanged()
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds)
        if s == 0 { return "0 (real time)" }
        return "\(s / 86_400) d \(s % 86_400 / 3600) h \(s % 3600 / 60) min"
    }
}
