import Foundation
import Hummingbird
import MercatoCore

/// Billing and payouts for publishers (issue 8), under /api/partner/v1: payout and tax profiles, payout statements,
/// the transaction-to-payout report (JSON or CSV), the invoice lines of the publisher's sales and closed billing periods;
/// and `POST /api/admin/billing/run` in sandbox mode to run what is due now.
public struct BillingController: Sendable {
    let billing: BillingService
    let payouts: PayoutService
    let reports: PayoutReports
    let scheduler: BillingScheduler
    let policy: RolePolicy
    let sandbox: Bool
    /// Renders an invoice as a printable HTML page.
    let renderInvoice: @Sendable (Invoice) -> String

    public init(billing: BillingService, payouts: PayoutService, reports: PayoutReports, scheduler: BillingScheduler, policy: RolePolicy, sandbox: Bool,
                renderInvoice: @escaping @Sendable (Invoice) -> String) {
        self.billing = billing
        self.payouts = payouts
        self.reports = reports
        self.scheduler = scheduler
        self.policy = policy
        self.sandbox = sandbox
        self.renderInvoice = renderInvoice
    }

    public func addRoutes(partner: RouterGroup<MercatoRequestContext>, api: RouterGroup<MercatoRequestContext>) {
        partner.get("payout/settings") { _, c in try await settings(c) }
        partner.put("payout/taxProfile") { r, c in try await taxProfile(r, c) }
        partner.put("payout/payoutProfile") { r, c in try await payoutProfile(r, c) }
        partner.put("payout/hold") { r, c in try await hold(r, c) }
        partner.get("payouts") { _, c in try await statements(c) }
        partner.get("payouts/transactions") { r, c in try await transactions(r, c) }
        partner.get("invoices") { _, c in try await invoices(c) }
        partner.get("invoices/{invoiceId}") { r, c in try await invoice(r, c) }
        partner.get("billing/periods") { _, c in try await periods(c) }
        api.post("admin/billing/run") { _, c in try await run(c) }
    }

    func caller(_ c: MercatoRequestContext, _ permission: Permission) throws -> String {
        try c.publisher(requiring: permission, policy: policy).1
    }

    // MARK: Profiles

    struct SettingsView: Encodable {
        var taxProfile: TaxProfile?
        var payoutProfile: PayoutView?
        var hold: Bool
        var payoutsBlockedBy: String?
        var message: String?
    }

    struct PayoutView: Encodable {
        var method: String, accountHolderName: String, country: String, currency: String, accountNumber: String
    }

    static func view(_ s: PayoutSettings) -> SettingsView {
        SettingsView(taxProfile: s.tax, payoutProfile: s.account.map {
            PayoutView(method: $0.method.rawValue, accountHolderName: $0.accountHolderName, country: $0.country, currency: $0.currency,
                       accountNumber: "••••" + $0.accountNumberLast4)
        }, hold: s.hold, payoutsBlockedBy: s.blocker?.rawValue, message: s.blocker?.message)
    }

    func settings(_ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .managePayoutAndTax)
        return try JSONBody.response(Self.view(try await payouts.settings(publisherId: publisherId)))
    }

    func taxProfile(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .managePayoutAndTax)
        struct Body: Decodable { var countryOfResidence: String; var entityType: String; var taxForm: String }
        let b = try await JSONBody.decode(Body.self, from: r)
        return try JSONBody.response(Self.view(try await payouts.setTaxProfile(publisherId: publisherId, country: b.countryOfResidence, entityType: b.entityType,
                                                                               form: b.taxForm, context: c.auditContext)))
    }

    func payoutProfile(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .managePayoutAndTax)
        struct Body: Decodable { var method: String; var accountHolderName: String; var country: String; var currency: String; var accountNumber: String }
        let b = try await JSONBody.decode(Body.self, from: r)
        return try JSONBody.response(Self.view(try await payouts.setPayoutAccount(publisherId: publisherId, method: b.method, holder: b.accountHolderName,
                                                                                  country: b.country, currency: b.currency, accountNumber: b.accountNumber,
                                                                                  context: c.auditContext)))
    }

    func hold(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .managePayoutAndTax)
        struct Body: Decodable { var hold: Bool }
        let b = try await JSONBody.decode(Body.self, from: r)
        return try JSONBody.response(Self.view(try await payouts.setHold(publisherId: publisherId, hold: b.hold, context: c.auditContext)))
    }

    // MARK: Statements and reports

    struct PaymentView: Encodable {
        var paymentId: String, month: String, currencyCode: String, paymentStatus: String, reason: String?, reasonMessage: String?
        var earned: String, withheldTax: String, totalPayment: String, orderedDate: Date, paymentDate: Date?, earnings: Int
    }

    func statements(_ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .viewPayoutReports)
        let items = try await payouts.statements(publisherId: publisherId).map {
            PaymentView(paymentId: $0.paymentId, month: $0.month, currencyCode: $0.currency, paymentStatus: $0.status.rawValue, reason: $0.reason?.rawValue,
                        reasonMessage: $0.reason?.message, earned: MinorUnits.format($0.earnedMinor, $0.currency),
                        withheldTax: MinorUnits.format($0.withheldTaxMinor, $0.currency), totalPayment: MinorUnits.format($0.totalPaymentMinor, $0.currency),
                        orderedDate: $0.orderedAt, paymentDate: $0.sentAt, earnings: $0.earningCount)
        }
        return try JSONBody.response(["payments": items])
    }

    func transactions(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .viewPayoutReports)
        let rows = try await reports.transactions(publisherId: publisherId)
        let format = r.uri.queryParameters.get("format").map { String($0).lowercased() } ?? "json"
        switch format {
        case "csv":
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"transaction-history.csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: TransactionReport.csv(rows))))
        case "json":
            let items = rows.map { row in OrderedJSON.object(row.values.map { ($0.0, OrderedJSON.string($0.1)) }) }
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: OrderedJSON.object([("transactions", .array(items))]).bytes)))
        default:
            throw APIError(.badRequest, code: "BadArgument", message: "format must be json or csv.", target: "format")
        }
    }

    func invoices(_ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .viewPayoutReports)
        return try JSONBody.response(["invoices": try await billing.invoices(publisherId: publisherId).map(InvoiceView.init)])
    }

    func invoice(_ r: Request, _ c: MercatoRequestContext) async throws -> Response {
        let publisherId = try caller(c, .viewPayoutReports)
        let id = c.parameters.get("invoiceId") ?? ""
        guard let invoice = try await billing.invoices(publisherId: publisherId).first(where: { $0.id == id }) else {
            throw APIError(.notFound, code: "EntityNotFound", message: "Invoice \(id) cannot be found.", target: "invoiceId")
        }
        let wantsHTML = r.uri.queryParameters.get("format") == "html" || (r.headers[.accept] ?? "").contains("text/html")
        if wantsHTML {
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: renderInvoice(invoice))))
        }
        return try JSONBody.response(InvoiceView(invoice))
    }

    func periods(_ c: MercatoRequestContext) async throws -> Response {
        _ = try caller(c, .viewPayoutReports)
        return try JSONBody.response(["periods": try await billing.repository.closedPeriods()])
    }

    func run(_ c: MercatoRequestContext) async throws -> Response {
        _ = try caller(c, .manageOffers)
        guard sandbox else {
            throw APIError(.forbidden, code: "Forbidden", message: "On-demand billing runs are available only in sandbox mode; billing runs at each month's end.")
        }
        let ran = try await billing.runDue()
        try await scheduler.runDue()
        return try JSONBody.response(["ran": ran])
    }
}

/// An invoice on the wire: amounts as exact decimal strings in the invoice's currency.
public struct InvoiceView: Encodable, Sendable {
    public struct Line: Encodable, Sendable {
        var lineItemId: String, kind: String, description: String, subscriptionId: String, offerId: String, planId: String, dimension: String?
        var quantity: String, amount: String, date: Date
    }

    var id: String, customerTenantId: String, period: String, currency: String, issuedAt: Date, status: String, paidAt: Date?, total: String
    var lines: [Line]

    public init(_ i: Invoice) {
        id = i.id
        customerTenantId = i.customerTenantId
        period = i.period
        currency = i.currency
        issuedAt = i.issuedAt
        status = i.status.rawValue
        paidAt = i.paidAt
        total = MinorUnits.format(i.totalMinor, i.currency)
        lines = i.lines.map {
            Line(lineItemId: $0.lineItemId, kind: $0.charge.kind.rawValue, description: $0.charge.description, subscriptionId: $0.charge.subscriptionId,
                 offerId: $0.charge.offerId, planId: $0.charge.planId, dimension: $0.charge.dimension, quantity: $0.charge.quantity,
                 amount: MinorUnits.format($0.charge.amountMinor, $0.charge.currency), date: $0.charge.occurredAt)
        }
    }
}
