import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// What the portal works with: the same use cases the JSON APIs call (issue 10: "over the same use cases").
public struct PortalServices: Sendable {
    public var accounts: AccountService
    public var catalog: CatalogService
    public var privateOffers: PrivateOfferService
    public var subscriptions: SubscriptionService
    public var webhooks: any WebhookRepository
    public var faults: any FaultRepository
    public var onFaultsChanged: @Sendable () -> Void
    public var clockService: ClockService?
    public var billing: BillingService
    public var payouts: PayoutService
    public var reports: PayoutReports
    public var anomalies: AnomalyService
    public var usage: any UsageRepository
    public var leads: LeadService
    public var sandbox: Bool

    public init(accounts: AccountService, catalog: CatalogService, privateOffers: PrivateOfferService, subscriptions: SubscriptionService,
                webhooks: any WebhookRepository, faults: any FaultRepository, onFaultsChanged: @escaping @Sendable () -> Void,
                clockService: ClockService?, billing: BillingService, payouts: PayoutService, reports: PayoutReports, anomalies: AnomalyService,
                usage: any UsageRepository, leads: LeadService, sandbox: Bool) {
        self.accounts = accounts
        self.catalog = catalog
        self.privateOffers = privateOffers
        self.subscriptions = subscriptions
        self.webhooks = webhooks
        self.faults = faults
        self.onFaultsChanged = onFaultsChanged
        self.clockService = clockService
        self.billing = billing
        self.payouts = payouts
        self.reports = reports
        self.anomalies = anomalies
        self.usage = usage
        self.leads = leads
        self.sandbox = sandbox
    }

    var clock: any MarketplaceClock { subscriptions.clock }
    var ids: any IDGenerator { subscriptions.ids }
    var policy: RolePolicy { accounts.policy }
}

/// A signed-in publisher user on one request: the session, the principal with its roles as of now (a removed role
/// stops working at once), and the account.
struct PortalUser: Sendable {
    var session: WebSession
    var principal: Principal
    var publisher: PublisherAccount
    var csrf: String { session.csrfToken }
    var publisherId: String { publisher.id }

    func can(_ permission: Permission, _ policy: RolePolicy) -> Bool {
        Authorization.decide(principal, permission, publisherId: publisher.id, policy: policy).allowed
    }

    var audit: AuditContext { AuditContext(principal: principal) }
}

/// The publisher portal (issue 10) under /portal: sign-in for publisher users; every page and action checks its
/// permission through `Authorization` (spec-portal §1.9) and answers a refusal with a page naming the roles that would
/// allow it; every POST carries the session's CSRF token.
public struct PortalController: Sendable {
    let security: WebSecurity
    let services: PortalServices
    let pages: PageRenderer

    public init(security: WebSecurity, services: PortalServices, pages: PageRenderer) {
        self.security = security
        self.services = services
        self.pages = pages
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/portal/signin") { r, _ in try await signInPage(r) }
        router.post("/portal/signin") { r, _ in try await signIn(r) }
        router.post("/portal/signout") { r, _ in try await signOut(r) }
        router.get("/portal") { r, _ in try await page(r, .viewAnalytics) { try await dashboard($0) } }
        addOfferRoutes(to: router)
        addSalesRoutes(to: router)
        addAccountRoutes(to: router)
        addSandboxRoutes(to: router)
    }

    // MARK: The frame every page shares

    func chrome(_ user: PortalUser, current: String) -> PortalChrome {
        let policy = services.policy
        var nav: [NavLink] = [NavLink("/portal", "Overview", id: "nav-overview")]
        let items: [(String, String, Permission, String)] = [
            ("/portal/offers", "Offers", .viewAnalytics, "nav-offers"),
            ("/portal/subscriptions", "Subscriptions", .viewAnalytics, "nav-subscriptions"),
            ("/portal/usage", "Usage & anomalies", .viewAnalytics, "nav-usage"),
            ("/portal/leads", "Leads", .viewAnalytics, "nav-leads"),
            ("/portal/invoices", "Invoices", .viewPayoutReports, "nav-invoices"),
            ("/portal/payouts", "Payouts", .viewPayoutReports, "nav-payouts"),
            ("/portal/account/users", "Users & roles", .manageUsers, "nav-users"),
            ("/portal/account/apps", "API applications", .manageUsers, "nav-apps"),
            ("/portal/account/payout", "Payout & tax profiles", .managePayoutAndTax, "nav-payout-profile"),
        ]
        // Pages the user may not open stay in the menu only when they'd learn something from the refusal page; here
        // we list what they can open, and the refusal page explains the rest when reached by link.
        for (href, label, permission, id) in items where user.can(permission, policy) { nav.append(NavLink(href, label, id: id)) }
        if services.sandbox { nav.append(NavLink("/portal/sandbox", "Sandbox", id: "nav-sandbox")) }
        nav = nav.map { var l = $0; l.current = $0.href == current; return l }
        return PortalChrome(publisherName: user.publisher.name, publisherId: user.publisher.id, userEmail: user.session.email,
                            roles: user.principal.roles.sorted().map(\.rawValue).joined(separator: ", ").ifEmpty("no roles"),
                            csrf: user.csrf, nav: nav, sandbox: services.sandbox)
    }

    func render(_ page: PortalPage, status: HTTPResponse.Status = .ok) -> Response {
        StorefrontController.html(pages.portal(page), status: status).with(cookies: [], private: true)
    }

    /// The signed-in user, or the response to send instead (sign-in redirect).
    func user(_ r: Request) async throws -> Result<PortalUser, PortalRefusal> {
        let visit = try await security.visit(r)
        guard let session = visit.session,
              let principal = try await services.accounts.principal(forUser: session.userId),
              let publisherId = principal.publisherId, publisherId == session.tenantId,
              let publisher = try await services.accounts.repository.publisher(id: publisherId) else {
            return .failure(PortalRefusal(response: WebSecurity.redirect(
                "/portal/signin?next=" + FormEncoding.escape(r.uri.path + (r.uri.query.map { "?" + $0 } ?? "")))))
        }
        return .success(PortalUser(session: session, principal: principal, publisher: publisher))
    }

    struct PortalRefusal: Error { var response: Response }

    /// "You need role X": a 403 page naming the roles that would allow it under the current policy.
    func refusal(_ user: PortalUser, _ permission: Permission, current: String) -> Response {
        let decision = Authorization.decide(user.principal, permission, publisherId: user.publisherId, policy: services.policy)
        let roles = decision.grantingRoles.map(\.rawValue)
        let need = roles.count <= 1 ? (roles.first ?? "a role this account doesn't use") : roles.dropLast().joined(separator: ", ") + " or " + roles.last!
        let yours = user.principal.roles.sorted().map(\.rawValue).joined(separator: ", ").ifEmpty("none")
        let page = PortalPage(title: "You need role \(need)", chrome: chrome(user, current: current), blocks: [
            .text("This page needs the \(Self.permissionLabel(permission)) permission, which the \(need) role gives. Your roles in \(user.publisher.name): \(yours)."),
            .text("Ask an Owner or Manager of the account to change your roles under Users & roles."),
            .links([NavLink("/portal", "Back to the overview", id: "back-overview")]),
        ])
        return render(page, status: .forbidden)
    }

    static func permissionLabel(_ p: Permission) -> String {
        switch p {
        case .manageUsers: "manage users"
        case .manageTenants: "manage tenants"
        case .addPublishers: "add publishers"
        case .manageOffers: "manage offers"
        case .setPricing: "set pricing"
        case .managePrivateOffers: "manage private offers"
        case .managePayoutAndTax: "payout and tax profiles"
        case .viewPayoutReports: "payout reports"
        case .viewAnalytics: "analytics"
        case .respondToReviews: "respond to reviews"
        case .acceptAgreements: "accept agreements"
        }
    }

    /// A GET page that needs `permission`.
    func page(_ r: Request, _ permission: Permission, current: String? = nil,
              _ build: (PortalUser) async throws -> PortalPage) async throws -> Response {
        let u: PortalUser
        switch try await user(r) {
        case let .failure(refusal): return refusal.response
        case let .success(signed): u = signed
        }
        let here = current ?? r.uri.path
        guard u.can(permission, services.policy) else { return refusal(u, permission, current: here) }
        do {
            var model = try await build(u)
            model.chrome = chrome(u, current: navSection(here))
            if model.notice == nil, let done = r.uri.queryParameters.get("done") { model.notice = Self.notices[String(done)] }
            return render(model)
        } catch let e as DomainError {
            return errorPage(u, e, current: here)
        } catch let refusal as TransitionRefusal {
            return refused(u, refusal, current: here)
        }
    }

    /// A POST action that needs `permission`; `act` returns where to go next (303) or a page to show.
    func action(_ r: Request, _ permission: Permission, current: String,
                _ act: (PortalUser, [String: String]) async throws -> Response) async throws -> Response {
        let form = try await WebSecurity.form(r)
        return try await action(r, permission, current: current, form: form, act)
    }

    func action(_ r: Request, _ permission: Permission, current: String, form: [String: String],
                _ act: (PortalUser, [String: String]) async throws -> Response) async throws -> Response {
        let u: PortalUser
        switch try await user(r) {
        case let .failure(refusal): return refusal.response
        case let .success(signed): u = signed
        }
        guard let sent = form["csrf"], constantTimeEquals(sent, u.csrf) else {
            return render(PortalPage(title: "This form has expired", chrome: chrome(u, current: current), blocks: [
                .text("For your security each form works only within your session. Go back, reload the page and try again."),
            ]), status: .forbidden)
        }
        guard u.can(permission, services.policy) else { return refusal(u, permission, current: current) }
        do {
            return try await act(u, form)
        } catch let e as DomainError {
            return errorPage(u, e, current: current)
        } catch let refusal as TransitionRefusal {
            return refused(u, refusal, current: current)
        }
    }

    /// A subscription use case refused the change (its state doesn't allow it): the reason, on a page.
    func refused(_ u: PortalUser, _ refusal: TransitionRefusal, current: String) -> Response {
        render(PortalPage(title: "That didn't work", chrome: chrome(u, current: navSection(current)), failure: refusal.message, blocks: [
            .text("Nothing was changed."),
        ]), status: HTTPResponse.Status(code: refusal.status == 404 ? 404 : 409))
    }

    func errorPage(_ u: PortalUser, _ e: DomainError, current: String) -> Response {
        switch e {
        case let .notFound(kind, id):
            return render(PortalPage(title: "Not found", chrome: chrome(u, current: navSection(current)), blocks: [
                .text("There is no \(kind) '\(id)' in \(u.publisher.name)."),
            ]), status: .notFound)
        case let .forbidden(_, reason):
            return render(PortalPage(title: "Not allowed", chrome: chrome(u, current: navSection(current)), blocks: [.text("Refused: \(reason).")]),
                          status: .forbidden)
        default:
            return render(PortalPage(title: "That didn't work", chrome: chrome(u, current: navSection(current)), failure: Self.message(e), blocks: [
                .text("Nothing was changed. Go back and correct the form."),
            ]), status: .badRequest)
        }
    }

    /// The nav entry a path belongs to.
    func navSection(_ path: String) -> String {
        for prefix in ["/portal/offers", "/portal/subscriptions", "/portal/usage", "/portal/leads", "/portal/invoices", "/portal/payouts",
                       "/portal/account/users", "/portal/account/groups", "/portal/account/apps", "/portal/account/payout", "/portal/sandbox"]
            where path.hasPrefix(prefix) { return prefix == "/portal/account/groups" ? "/portal/account/users" : prefix }
        return "/portal"
    }

    static func message(_ e: DomainError) -> String {
        switch e {
        case let .invalid(field, reason): "\(field): \(reason)"
        case let .conflict(reason), let .preconditionFailed(reason): reason
        case let .notFound(kind, id): "\(kind) '\(id)' was not found"
        case let .forbidden(_, reason): reason
        }
    }

    static let notices: [String: String] = [
        "saved": "Saved.", "created": "Created.", "published": "Submitted for publishing. Certification runs now; this page shows its steps.",
        "golive": "Go live requested.", "stopped": "Stop distribution requested.", "replayed": "The webhook was queued for another delivery.",
        "advanced": "The clock moved.", "removed": "Removed.", "marked": "Marked.", "rotated": "A new secret was added.",
        "uploaded": "The audience was imported.", "canceled": "Publishing was canceled.",
    ]

    static func redirect(_ path: String, done: String) -> Response { WebSecurity.redirect(path + (path.contains("?") ? "&" : "?") + "done=" + done) }

    // MARK: Sign-in

    func signInPage(_ r: Request, failure: String? = nil, email: String = "", errors: [String: String] = [:], next: String? = nil,
                    status: HTTPResponse.Status = .ok) async throws -> Response {
        let visit = try await security.visit(r)
        let target = Self.safePortalNext(next ?? r.uri.queryParameters.get("next").map { String($0) })
        var emailField = Field("email", "Work e-mail", value: email, type: "email", error: errors["email"])
        emailField.id = "email"
        var password = Field("password", "Password", type: "password", error: errors["password"])
        password.id = "password"
        let page = PortalPage(title: "Sign in to Partner Center", chrome: nil, failure: failure, blocks: [
            .text("Publisher users sign in here to manage offers, subscriptions, payouts and the account."),
            .form(Form(id: "signin", action: "/portal/signin", csrf: visit.csrf, fields: [emailField, password], hidden: [Hidden("next", target)],
                       submit: "Sign in")),
        ])
        return StorefrontController.html(pages.portal(page), status: status).with(cookies: visit.setCookies, private: true)
    }

    func signIn(_ r: Request) async throws -> Response {
        let form = try await WebSecurity.form(r)
        let visit = try await security.visit(r)
        guard security.checkCSRF(form, visit) else {
            return try await signInPage(r, failure: "The form expired. Please sign in again.", status: .forbidden)
        }
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        var errors: [String: String] = [:]
        if !ContactRequest.looksLikeEmail(email) { errors["email"] = "Enter your e-mail address, like name@example.com." }
        if password.isEmpty { errors["password"] = "Enter your password." }
        if !errors.isEmpty { return try await signInPage(r, email: email, errors: errors, next: form["next"], status: .badRequest) }
        guard let (token, _) = try await security.signIn.signIn(email: email, password: password) else {
            return try await signInPage(r, failure: "That e-mail and password don't match a publisher user.", email: email, next: form["next"],
                                        status: .unauthorized)
        }
        return WebSecurity.redirect(Self.safePortalNext(form["next"]), cookies: [security.sessionCookie(token, lifetime: security.signIn.lifetime)])
    }

    func signOut(_ r: Request) async throws -> Response {
        let form = try await WebSecurity.form(r)
        let visit = try await security.visit(r)
        guard security.checkCSRF(form, visit) else { return WebSecurity.redirect("/portal") }
        try await security.signIn.signOut(token: WebSecurity.cookies(r)[security.sessionCookie])
        return WebSecurity.redirect("/portal/signin", cookies: [security.clearedSessionCookie()])
    }

    /// A portal path to return to after signing in (never another site).
    static func safePortalNext(_ next: String?) -> String {
        let safe = WebSecurity.safeNext(next)
        return safe.hasPrefix("/portal") ? safe : "/portal"
    }
}

extension String {
    func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
}
