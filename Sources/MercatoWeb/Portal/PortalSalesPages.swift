import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// Subscriptions (filters, detail, operations, webhook deliveries with replay), usage and anomalies, leads, invoices
/// and payout statements with CSV downloads.
extension PortalController {
    func addSalesRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/portal/subscriptions") { r, _ in try await page(r, .viewAnalytics) { try await subscriptionsPage($0, r) } }
        router.get("/portal/subscriptions/{id}") { r, c in
            try await page(r, .viewAnalytics, current: "/portal/subscriptions") { try await subscriptionPage($0, c.parameters.get("id") ?? "") }
        }
        router.post("/portal/subscriptions/{id}/deliveries/{deliveryId}/replay") { r, c in
            try await action(r, .manageOffers, current: "/portal/subscriptions") { u, _ in
                let id = c.parameters.get("id") ?? "", deliveryId = c.parameters.get("deliveryId") ?? ""
                guard let d = try await services.webhooks.delivery(id: deliveryId), d.publisherId == u.publisherId, d.subscriptionId == id else {
                    throw DomainError.notFound(kind: "webhook delivery", id: deliveryId)
                }
                _ = try await services.webhooks.replay(id: d.id, now: services.clock.now(), audit: u.audit.entry(
                    ids: services.ids, clock: services.clock, publisherId: u.publisherId, action: "webhook.replay", targetType: "webhookDelivery", targetId: d.id))
                return Self.redirect("/portal/subscriptions/\(FormEncoding.escape(id))", done: "replayed")
            }
        }
        router.get("/portal/usage") { r, _ in try await page(r, .viewAnalytics) { try await usagePage($0, r) } }
        router.post("/portal/anomalies/{id}/mark") { r, c in
            try await action(r, .manageOffers, current: "/portal/usage") { u, form in try await markAnomaly(u, c.parameters.get("id") ?? "", form, isAnomaly: true) }
        }
        router.post("/portal/anomalies/{id}/notanomaly") { r, c in
            try await action(r, .manageOffers, current: "/portal/usage") { u, form in try await markAnomaly(u, c.parameters.get("id") ?? "", form, isAnomaly: false) }
        }
        router.get("/portal/leads") { r, _ in try await page(r, .viewAnalytics) { try await leadsPage($0) } }
        router.get("/portal/invoices") { r, _ in try await page(r, .viewPayoutReports) { try await invoicesPage($0) } }
        router.get("/portal/invoices.csv") { r, _ in try await download(r, .viewPayoutReports, "invoice-lines.csv") { try await invoicesCSV($0) } }
        router.get("/portal/payouts") { r, _ in try await page(r, .viewPayoutReports) { try await payoutsPage($0) } }
        router.get("/portal/payouts.csv") { r, _ in try await download(r, .viewPayoutReports, "payout-statements.csv") { try await payoutsCSV($0) } }
        router.get("/portal/payouts/transactions.csv") { r, _ in
            try await download(r, .viewPayoutReports, "transaction-history.csv") { u in
                TransactionReport.csv(try await services.reports.transactions(publisherId: u.publisherId, publisherName: u.publisher.name))
            }
        }
    }

    /// A CSV download behind the same sign-in and permission as the page it belongs to.
    func download(_ r: Request, _ permission: Permission, _ fileName: String, _ make: (PortalUser) async throws -> String) async throws -> Response {
        let u: PortalUser
        switch try await user(r) {
        case let .failure(refusal): return refusal.response
        case let .success(signed): u = signed
        }
        guard u.can(permission, services.policy) else { return refusal(u, permission, current: navSection(r.uri.path)) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try await make(u))))
    }

    static func csvField(_ s: String) -> String {
        // Quote always; neutralise spreadsheet formulas (CSV injection).
        var v = s
        if let first = v.first, "=+-@\t\r".contains(first) { v = "'" + v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func csv(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    // MARK: Subscriptions

    func subscriptionsPage(_ u: PortalUser, _ r: Request) async throws -> PortalPage {
        let q = r.uri.queryParameters
        let status = q.get("status").map { String($0) } ?? ""
        let offer = q.get("offer").map { String($0) } ?? ""
        let text = (q.get("q").map { String($0) } ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let all = try await allSubscriptions(u.publisherId)
        let shown = all.filter { s in
            (status.isEmpty || s.status.rawValue == status) && (offer.isEmpty || s.offerId == offer)
                && (text.isEmpty || [s.id, s.name, s.purchaser.emailId, s.beneficiary.emailId, s.beneficiary.tenantId, s.planId].contains { $0.lowercased().contains(text) })
        }.sorted { $0.created > $1.created }
        let offers = Set(all.map(\.offerId)).sorted()
        let filter = Form(id: "filter", action: "/portal/subscriptions", post: false, csrf: "", fields: [
            .select("status", "Status", options: [("", "Any")] + SubscriptionStatus.allCases.map { ($0.rawValue, PortalFormat.status($0).0) }, selected: status),
            .select("offer", "Offer", options: [("", "Any")] + offers.map { ($0, $0) }, selected: offer),
            Field("q", "Search (name, ID, customer e-mail or tenant, plan)", value: text, type: "search"),
        ], submit: "Filter")
        let rows = shown.prefix(500).map { s in
            let (label, pill) = PortalFormat.status(s.status)
            return Row([Cell(s.name, href: "/portal/subscriptions/\(s.id)"), Cell(s.offerId), Cell(s.planId), Cell(s.quantity.map(String.init) ?? "—"),
                        Cell(label, status: pill), Cell(s.beneficiary.emailId), Cell(PortalFormat.time(s.created))], id: "subscription-\(s.id)")
        }
        return PortalPage(title: "Subscriptions", chrome: nil, blocks: [
            .form(filter),
            .text("\(shown.count) of \(all.count) subscription\(all.count == 1 ? "" : "s")\(shown.count > 500 ? " (the newest 500 shown)" : "")."),
            .table(Table(id: "subscriptions", columns: ["Name", "Offer", "Plan", "Seats", "Status", "Customer", "Purchased"], rows: Array(rows),
                         empty: all.isEmpty ? "No purchases yet." : "Nothing matches these filters.")),
        ])
    }

    func subscriptionPage(_ u: PortalUser, _ id: String) async throws -> PortalPage {
        // Another publisher's subscription is "not found" here: the portal doesn't confirm that it exists.
        guard let s = try await services.subscriptions.repository.subscription(id: id.lowercased()), s.publisherId == u.publisherId else {
            throw DomainError.notFound(kind: "subscription", id: id)
        }
        let operations = try await services.subscriptions.repository.operations(subscriptionId: id)
        let deliveries = try await services.webhooks.deliveries(publisherId: u.publisherId, subscriptionId: id, limit: 200)
        let charges = u.can(.viewPayoutReports, services.policy) ? try await services.billing.repository.charges(subscriptionId: id) : []
        let (label, _) = PortalFormat.status(s.status)
        var blocks: [Block] = [
            .facts([
                Fact("Status", label, id: "subscription-status"), Fact("Subscription ID", s.id),
                Fact("Offer", s.offerId, href: offerPath(s.offerId)), Fact("Plan", s.planId, id: "subscription-plan"),
                Fact("Seats", s.quantity.map(String.init) ?? "—"),
                Fact("Term", "\(PortalFormat.day(s.term.startDate)) → \(PortalFormat.day(s.term.endDate)) (\(s.term.termUnit.rawValue))", id: "subscription-term"),
                Fact("Auto-renew", s.autoRenew ? "On" : "Off"), Fact("Free trial", s.isFreeTrial ? "Yes" : "No"),
                Fact("Customer", "\(s.beneficiary.emailId) (tenant \(s.beneficiary.tenantId))"), Fact("Purchased", PortalFormat.time(s.created)),
                Fact("Activated", PortalFormat.time(s.activatedAt)),
            ]),
            .heading("Operations"),
            .table(Table(id: "operations", columns: ["Time", "Action", "Status", "Source", "Plan", "Seats"], rows: operations.sorted { $0.timeStamp > $1.timeStamp }.map { op in
                Row([Cell(PortalFormat.time(op.timeStamp)), Cell(op.action.rawValue), Cell(op.status.rawValue), Cell(op.source.rawValue), Cell(op.planId),
                     Cell(op.quantity.map(String.init) ?? "—")], id: "operation-\(op.id)")
            }, empty: "No operations.")),
            .heading("Webhook deliveries", id: "deliveries-heading"),
        ]
        var rows: [Row] = []
        for d in deliveries.sorted(by: { $0.createdAt > $1.createdAt }) {
            let attempts = try await services.webhooks.attempts(deliveryId: d.id)
            let last = attempts.last.map { a in "#\(a.number) \(a.statusCode.map { "HTTP \($0)" } ?? (a.error ?? "no answer")) in \(a.latencyMilliseconds) ms" } ?? "not attempted yet"
            let pill = d.status == .delivered ? "ok" : d.status == .deadLettered ? "warn" : "off"
            let actions = u.can(.manageOffers, services.policy) ? [ButtonForm(action: "/portal/subscriptions/\(s.id)/deliveries/\(d.id)/replay", label: "Replay",
                                                                            csrf: u.csrf, id: "replay-\(d.id)")] : []
            rows.append(Row([Cell(PortalFormat.time(d.createdAt)), Cell(d.action.rawValue), Cell(d.status.rawValue, status: pill),
                             Cell(String(d.attempts)), Cell(last), Cell(d.url, actions: actions)], id: "delivery-\(d.id)"))
        }
        blocks.append(.table(Table(id: "deliveries", columns: ["Created", "Action", "Status", "Attempts", "Last attempt", "Webhook"], rows: rows,
                                   empty: "No webhooks for this subscription yet.")))
        if u.can(.viewPayoutReports, services.policy) {
            blocks.append(.heading("Charges"))
            blocks.append(.table(Table(id: "charges", columns: ["Date", "Kind", "Description", "Quantity", "Amount"], rows: charges.sorted { $0.occurredAt < $1.occurredAt }.map {
                Row([Cell(PortalFormat.day($0.occurredAt)), Cell($0.kind.rawValue), Cell($0.description), Cell($0.quantity),
                     Cell(PortalFormat.money($0.amountMinor, $0.currency))])
            }, empty: "No charges yet: charges are recorded when a term starts or renews and when usage is rated.")))
        }
        return PortalPage(title: s.name, chrome: nil, blocks: blocks)
    }

    // MARK: Usage and anomalies

    func usagePage(_ u: PortalUser, _ r: Request) async throws -> PortalPage {
        let days = Int(r.uri.queryParameters.get("days").map { String($0) } ?? "") ?? 7
        let period = [1, 7, 30, 90].contains(days) ? days : 7
        let now = services.clock.now()
        let records = try await services.usage.records(publisherId: u.publisherId, from: now.addingTimeInterval(-Double(period) * 86_400), to: now)
        let anomalies = try await services.anomalies.list(by: u.principal, publisherId: u.publisherId, periodDays: 90, minimumImpact: nil)
        let canAct = u.can(.manageOffers, services.policy)
        var blocks: [Block] = [
            .links([1, 7, 30, 90].map { NavLink("/portal/usage?days=\($0)", "Last \($0) day\($0 == 1 ? "" : "s")", current: $0 == period, id: "usage-\($0)d") }),
            .heading("Metered usage (\(records.count) event\(records.count == 1 ? "" : "s"), last \(period) day\(period == 1 ? "" : "s"))"),
            .table(Table(id: "usage", columns: ["Hour (UTC)", "Resource", "Dimension", "Quantity", "Plan", "Reconciliation"], rows: records.suffix(300).reversed().map {
                Row([Cell(PortalFormat.time($0.effectiveAt)), Cell($0.resourceId), Cell($0.dimension), Cell($0.quantityText), Cell($0.planId), Cell($0.reconStatus)])
            }, empty: "No usage events in this period.")),
            .heading("Anomalies (last 90 days)", id: "anomalies-heading"),
            .text("Usage far above a customer's norm for a dimension is flagged. Marking one as an anomaly is final: give the usage that should have been reported and the customer is credited the difference."),
        ]
        blocks.append(.table(Table(id: "anomalies", columns: ["Day", "Resource", "Dimension", "Reported", "Expected", "Impact", "State", "Action"], rows: anomalies.map { a in
            var actions: [ButtonForm] = []
            if canAct && a.state == .flagged {
                actions = [ButtonForm(action: "/portal/anomalies/\(a.id)/notanomaly", label: "Not an anomaly", csrf: u.csrf, id: "notanomaly-\(a.id)",
                                      hidden: [Hidden("reason", "Reviewed in the portal: expected usage")])]
            }
            return Row([Cell(PortalFormat.day(a.usageDate)), Cell(a.resourceId), Cell(a.dimension), Cell("\(a.reportedUsage)"), Cell("\(a.expectedUsage)"),
                        Cell(a.estimatedFinancialImpact.description), Cell(a.state.rawValue), Cell(a.newReportedUsage.map { "corrected to \($0)" } ?? "", actions: actions)],
                       id: "anomaly-\(a.id)")
        }, empty: "No anomalies flagged.")))
        if canAct, let open = anomalies.first(where: { $0.state == .flagged }) {
            blocks.append(.heading("Mark as anomaly"))
            blocks.append(.form(Form(id: "mark-anomaly", action: "/portal/anomalies/\(open.id)/mark", csrf: u.csrf, fields: [
                Field("newReportedUsage", "Correct usage for \(open.dimension) on \(PortalFormat.day(open.usageDate)) (reported \(open.reportedUsage))",
                      hint: "Must be less than the reported quantity; the difference is credited to the customer."),
            ], submit: "Mark as anomaly", danger: true)))
        }
        return PortalPage(title: "Usage & anomalies", chrome: nil, blocks: blocks)
    }

    func markAnomaly(_ u: PortalUser, _ id: String, _ form: [String: String], isAnomaly: Bool) async throws -> Response {
        if isAnomaly {
            guard let value = PlanForm.decimal(form["newReportedUsage"] ?? "") else {
                throw DomainError.invalid(field: "newReportedUsage", reason: "enter the usage that should have been reported, like 120")
            }
            _ = try await services.anomalies.mark(by: u.principal, publisherId: u.publisherId, id: id, newReportedUsage: value, context: u.audit)
        } else {
            _ = try await services.anomalies.markNot(by: u.principal, publisherId: u.publisherId, id: id, reason: form["reason"] ?? "", context: u.audit)
        }
        return Self.redirect("/portal/usage", done: "marked")
    }

    // MARK: Leads

    func leadsPage(_ u: PortalUser) async throws -> PortalPage {
        let leads = try await services.leads.repository.leads(publisherId: u.publisherId, limit: 500)
        return PortalPage(title: "Leads", chrome: nil, blocks: [
            .table(Table(id: "leads", columns: ["Received", "Offer", "Action", "Name", "E-mail", "Company", "Delivery"], rows: leads.map { l in
                Row([Cell(PortalFormat.time(l.createdAt)), Cell(l.offerTitle), Cell(l.actionCode),
                     Cell([l.userDetails.FirstName, l.userDetails.LastName].compactMap { $0 }.joined(separator: " ")),
                     Cell(l.userDetails.Email ?? "—"), Cell(l.userDetails.Company ?? "—"),
                     Cell(l.status.rawValue + (l.lastError.map { " (\($0))" } ?? ""), status: l.status == .delivered ? "ok" : l.status == .failed ? "warn" : "off")],
                    id: "lead-\(l.id)")
            }, empty: "No leads yet. Leads arrive when customers use Contact me or buy.")),
        ])
    }

    // MARK: Invoices and payouts

    func invoicesPage(_ u: PortalUser) async throws -> PortalPage {
        let invoices = try await services.billing.invoices(publisherId: u.publisherId)
        return PortalPage(title: "Invoices", chrome: nil, blocks: [
            .text("Invoices customers received for your offers (only your lines). Amounts are what customers pay, before the marketplace fee."),
            .links([NavLink("/portal/invoices.csv", "Download invoice lines (CSV)", id: "invoices-csv")]),
            .table(Table(id: "invoices", columns: ["Invoice", "Period", "Customer tenant", "Lines", "Total", "Status", "Issued"], rows: invoices.sorted { $0.issuedAt > $1.issuedAt }.map { i in
                Row([Cell(i.id), Cell(i.period), Cell(i.customerTenantId), Cell(String(i.lines.count)), Cell(PortalFormat.money(i.totalMinor, i.currency)),
                     Cell(i.status.rawValue), Cell(PortalFormat.day(i.issuedAt))], id: "invoice-\(i.id)")
            }, empty: "No invoices yet. Invoices are issued after each month closes.")),
        ])
    }

    func invoicesCSV(_ u: PortalUser) async throws -> String {
        let invoices = try await services.billing.invoices(publisherId: u.publisherId)
        return Self.csv(["InvoiceId", "Period", "CustomerTenantId", "Currency", "LineItemId", "Kind", "Description", "SubscriptionId", "OfferId", "PlanId",
                         "Dimension", "Quantity", "Amount", "Date", "Status"],
                        invoices.flatMap { i in i.lines.map { l in
                            [i.id, i.period, i.customerTenantId, i.currency, l.lineItemId, l.charge.kind.rawValue, l.charge.description, l.charge.subscriptionId,
                             l.charge.offerId, l.charge.planId, l.charge.dimension ?? "", l.charge.quantity,
                             "\(MinorUnits.decimal(l.charge.amountMinor, l.charge.currency))", PortalFormat.day(l.charge.occurredAt), i.status.rawValue]
                        } })
    }

    func payoutsPage(_ u: PortalUser) async throws -> PortalPage {
        let payouts = try await services.payouts.statements(publisherId: u.publisherId)
        let settings = try await services.payouts.settings(publisherId: u.publisherId)
        var blocks: [Block] = []
        if let blocker = settings.blocker { blocks.append(.text("Payouts are on hold: \(blocker.message)")) }
        blocks += [
            .links([NavLink("/portal/payouts.csv", "Download statements (CSV)", id: "payouts-csv"),
                    NavLink("/portal/payouts/transactions.csv", "Download transaction history (CSV)", id: "transactions-csv")]),
            .table(Table(id: "payouts", columns: ["Payment", "Month", "Status", "Earned", "Withheld tax", "Paid", "Ordered", "Sent"], rows: payouts.map { p in
                Row([Cell(p.paymentId), Cell(p.month), Cell(p.status.rawValue + (p.reason.map { " — \($0.message)" } ?? "")),
                     Cell(PortalFormat.money(p.earnedMinor, p.currency)), Cell(PortalFormat.money(p.withheldTaxMinor, p.currency)),
                     Cell(PortalFormat.money(p.totalPaymentMinor, p.currency)), Cell(PortalFormat.day(p.orderedAt)), Cell(PortalFormat.day(p.sentAt))])
            }, empty: "No payout statements yet. Earnings are ordered for payment on the 5th and sent on the 15th.")),
        ]
        return PortalPage(title: "Payouts", chrome: nil, blocks: blocks)
    }

    func payoutsCSV(_ u: PortalUser) async throws -> String {
        Self.csv(["PaymentId", "Month", "Currency", "Status", "Reason", "Earned", "WithheldTax", "TotalPayment", "OrderedDate", "PaymentDate", "Earnings"],
                 try await services.payouts.statements(publisherId: u.publisherId).map { p in
                     [p.paymentId, p.month, p.currency, p.status.rawValue, p.reason?.rawValue ?? "", "\(MinorUnits.decimal(p.earnedMinor, p.currency))",
                      "\(MinorUnits.decimal(p.withheldTaxMinor, p.currency))", "\(MinorUnits.decimal(p.totalPaymentMinor, p.currency))",
                      PortalFormat.day(p.orderedAt), PortalFormat.day(p.sentAt), String(p.earningCount)]
                 })
    }
}
