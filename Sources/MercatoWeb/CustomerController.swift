import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// The customer's side of the storefront (issue 9): sign-in, the buy flow that ends on the publisher's landing page,
/// Contact me, and "My subscriptions" (change plan or seats, cancel, reinstate, invoices, Configure account).
/// Every POST checks the CSRF token; every account page requires a session and shows only the customer's own tenant.
public struct CustomerController: Sendable {
    let security: WebSecurity
    let catalog: any CatalogRepository
    let subscriptions: SubscriptionService
    let leads: LeadService
    let invoices: any BillingRepository
    let clock: any MarketplaceClock
    let pages: PageRenderer

    public init(security: WebSecurity, catalog: any CatalogRepository, subscriptions: SubscriptionService, leads: LeadService,
                invoices: any BillingRepository, clock: any MarketplaceClock, pages: PageRenderer) {
        self.security = security
        self.catalog = catalog
        self.subscriptions = subscriptions
        self.leads = leads
        self.invoices = invoices
        self.clock = clock
        self.pages = pages
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/signin") { r, _ in try await signInPage(r) }
        router.post("/signin") { r, _ in try await signIn(r) }
        router.post("/signout") { r, _ in try await signOut(r) }
        router.get("/offers/{publisherId}/{offerId}/buy") { r, c in try await buyPage(r, c.parameters.get("publisherId") ?? "", c.parameters.get("offerId") ?? "") }
        router.post("/offers/{publisherId}/{offerId}/buy") { r, c in try await buy(r, c.parameters.get("publisherId") ?? "", c.parameters.get("offerId") ?? "") }
        router.post("/offers/{publisherId}/{offerId}/contact") { r, c in try await contact(r, c.parameters.get("publisherId") ?? "", c.parameters.get("offerId") ?? "") }
        router.get("/account/subscriptions") { r, _ in try await list(r) }
        router.get("/account/subscriptions/{id}") { r, c in try await detail(r, c.parameters.get("id") ?? "") }
        for action in ["configure", "plan", "seats", "cancel", "reinstate"] {
            router.post("/account/subscriptions/{id}/\(action)") { r, c in try await act(r, c.parameters.get("id") ?? "", action) }
        }
        router.get("/account/invoices/{id}") { r, c in try await invoice(r, c.parameters.get("id") ?? "") }
    }

    // MARK: Helpers

    func html(_ body: String, _ visit: WebSecurity.Visit, status: HTTPResponse.Status = .ok, formTargets: [String] = []) -> Response {
        StorefrontController.html(body, status: status, formTargets: formTargets).with(cookies: visit.setCookies, private: visit.session != nil)
    }

    /// Landing pages the account forms may redirect to ("Configure account").
    func landingPages(_ subs: [Subscription]) async throws -> [String] {
        var out: [String] = []
        for (publisherId, offerIds) in Dictionary(grouping: subs, by: \.publisherId).mapValues({ Set($0.map(\.offerId)) }) {
            for offerId in offerIds {
                if let record = try await catalog.offer(publisherId: publisherId, offerId: offerId),
                   let url = (record.live ?? record.preview)?.technicalConfiguration?.landingPageURL { out.append(url) }
            }
        }
        return out
    }

    func message(_ visit: WebSecurity.Visit, _ status: HTTPResponse.Status, _ heading: String, _ text: String, link: (String, String)? = nil) -> Response {
        html(pages.message(MessagePage(viewer: visit.viewer, title: heading, heading: heading, message: text, linkURL: link?.0, linkText: link?.1)), visit, status: status)
    }

    func expired(_ visit: WebSecurity.Visit) -> Response {
        message(visit, .forbidden, "This form has expired", "For your security each form works once per session. Go back, reload the page and try again.")
    }

    func signInRedirect(_ r: Request) -> Response {
        WebSecurity.redirect("/signin?next=" + FormEncoding.escape(r.uri.path + (r.uri.query.map { "?" + $0 } ?? "")))
    }

    // MARK: Sign-in

    func signInPage(_ r: Request, failure: String? = nil, email: String = "", emailError: String? = nil, passwordError: String? = nil,
                    next: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let visit = try await security.visit(r)
        let page = SignInPage(viewer: visit.viewer, csrf: visit.csrf, next: WebSecurity.safeNext(next ?? r.uri.queryParameters.get("next").map { String($0) }),
                              failure: failure,
                              email: FormField(id: "email", name: "email", label: "E-mail", type: "email", value: email, error: emailError, autocomplete: "username"),
                              password: FormField(id: "password", name: "password", label: "Password", type: "password", error: passwordError,
                                                  autocomplete: "current-password"))
        return html(pages.signIn(page), visit, status: status)
    }

    func signIn(_ r: Request) async throws -> Response {
        let form = try await WebSecurity.form(r)
        let visit = try await security.visit(r)
        guard security.checkCSRF(form, visit) else { return expired(visit) }
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        let emailError = ContactRequest.looksLikeEmail(email) ? nil : "Enter your e-mail address, like name@example.com."
        let passwordError = password.isEmpty ? "Enter your password." : nil
        if emailError != nil || passwordError != nil {
            return try await signInPage(r, email: email, emailError: emailError, passwordError: passwordError, next: form["next"], status: .badRequest)
        }
        guard let (token, _) = try await security.signIn.signIn(email: email, password: password) else {
            return try await signInPage(r, failure: "That e-mail and password don't match an account.", email: email, next: form["next"], status: .unauthorized)
        }
        return WebSecurity.redirect(WebSecurity.safeNext(form["next"]), cookies: [security.sessionCookie(token, lifetime: security.signIn.lifetime)])
    }

    func signOut(_ r: Request) async throws -> Response {
        let form = try await WebSecurity.form(r)
        let visit = try await security.visit(r)
        guard security.checkCSRF(form, visit) else { return expired(visit) }
        try await security.signIn.signOut(token: WebSecurity.cookies(r)[security.sessionCookie])
        return WebSecurity.redirect("/", cookies: [security.clearedSessionCookie()])
    }

    // MARK: Buy

    func offerFor(_ publisherId: String, _ offerId: String, _ session: WebSession) async throws -> Offer? {
        guard let record = try await catalog.offer(publisherId: publisherId, offerId: offerId),
              let (offer, _) = CatalogSearch.visibleOffer(record, viewerTenantId: session.tenantId, viewerEmail: session.email),
              offer.type == .saas, offer.setup.listingOption == .transact, offer.technicalConfiguration != nil else { return nil }
        return offer
    }

    struct BuyInput {
        var plan: String?
        var seats = ""
        var term: String?
        var name = ""
        var accepted = false
    }

    func buyPage(_ r: Request, _ publisherId: String, _ offerId: String) async throws -> Response {
        let visit = try await security.visit(r)
        guard let session = visit.session else { return signInRedirect(r) }
        guard let offer = try await offerFor(publisherId, offerId, session) else {
            return message(visit, .notFound, "Not for sale here", "This offer can't be bought on the marketplace, or it isn't available to you.")
        }
        return html(pages.buy(buyModel(offer, publisherId, visit, BuyInput(plan: r.uri.queryParameters.get("plan").map { String($0) }), errors: [:])), visit,
                    formTargets: [offer.technicalConfiguration?.landingPageURL].compactMap { $0 })
    }

    func buyModel(_ offer: Offer, _ publisherId: String, _ visit: WebSecurity.Visit, _ input: BuyInput, errors: [String: String]) -> BuyPage {
        let market = "US"
        let now = clock.now()
        let plans = offer.plans.filter { $0.markets.contains(market) && !$0.isStopSell }
        let chosen = plans.first { $0.id == input.plan } ?? plans.first
        let choices = plans.map { p in
            BuyPage.PlanChoice(id: p.id, name: p.name, price: p.billingTerms.compactMap { StorefrontModels.priceText(p, $0, market: market, at: now) }.first ?? "",
                               checked: p.id == chosen?.id, perUser: p.pricing.isPricePerSeat, freeTrial: p.freeTrial)
        }
        let terms = Set(plans.flatMap { $0.billingTerms.map(\.termUnit) }).sorted { $0.months < $1.months }
        let anyPerUser = plans.contains { $0.pricing.isPricePerSeat }
        let url = StorefrontModels.offerURL(publisherId, offer.id)
        return BuyPage(
            viewer: visit.viewer, title: "Subscribe to \(offer.listing.name)", csrf: visit.csrf, offerName: offer.listing.name, offerURL: url,
            action: url + "/buy", formError: errors["form"], plans: choices, planError: errors["plan"],
            seats: anyPerUser ? FormField(id: "seats", name: "seats", label: "Seats (users)", type: "number", value: input.seats, error: errors["seats"],
                                          required: false, hint: "For per-user plans: how many people will use it.", min: "1") : nil,
            terms: terms.map { SelectOption(value: $0.rawValue, label: $0 == .P1M ? "Monthly" : $0 == .P1Y ? "Yearly" : "\($0.months / 12) years",
                                            selected: $0.rawValue == (input.term ?? "P1M")) },
            termError: errors["term"],
            name: FormField(id: "subscription-name", name: "name", label: "Subscription name (optional)", value: input.name, error: errors["name"], required: false),
            accepted: input.accepted, acceptError: errors["accept"])
    }

    func buy(_ r: Request, _ publisherId: String, _ offerId: String) async throws -> Response {
        let form = try await WebSecurity.form(r)
        let visit = try await security.visit(r)
        guard let session = visit.session else { return signInRedirect(r) }
        guard security.checkCSRF(form, visit) else { return expired(visit) }
        guard let offer = try await offerFor(publisherId, offerId, session) else {
            return message(visit, .notFound, "Not for sale here", "This offer can't be bought on the marketplace, or it isn't available to you.")
        }
        let input = BuyInput(plan: form["plan"], seats: (form["seats"] ?? "").trimmingCharacters(in: .whitespaces), term: form["term"],
                             name: form["name"] ?? "", accepted: form["accept"] == "yes")
        var errors: [String: String] = [:]
        let plan = offer.plans.first { $0.id == input.plan }
        if plan == nil { errors["plan"] = "Choose a plan." }
        var seats: Int?
        if let plan, plan.pricing.isPricePerSeat {
            if let n = Int(input.seats), n >= 1 {
                seats = n
                if n < plan.pricing.effectiveMinUsers { errors["seats"] = "This plan needs at least \(plan.pricing.effectiveMinUsers) seats." }
                if let max = plan.pricing.maxUsers, n > max { errors["seats"] = "This plan allows at most \(max) seats." }
            } else {
                errors["seats"] = "Enter the number of seats, a whole number of at least 1."
            }
        }
        let term = input.term.flatMap(TermUnit.init(rawValue:))
        if let plan, term.flatMap({ plan.term($0) }) == nil { errors["term"] = "This plan isn't sold with that billing term; choose another." }
        if input.name.count > 100 { errors["name"] = "Use at most 100 characters." }
        if !input.accepted { errors["accept"] = "Accept the terms to subscribe." }
        guard errors.isEmpty, let plan else {
            return html(pages.buy(buyModel(offer, publisherId, visit, input, errors: errors)), visit, status: .badRequest,
                        formTargets: [offer.technicalConfiguration?.landingPageURL].compactMap { $0 })
        }
        do {
            let purchase = try await subscriptions.purchase(
                .init(buyerEmail: session.email, publisherId: publisherId, offerId: offer.id, planId: plan.id, quantity: seats, termUnit: term,
                      name: input.name.isEmpty ? nil : input.name),
                context: AuditContext(actorType: .customer, actorId: session.userId))
            try await leads.purchased(purchase.subscription, buyerName: session.displayName, freeTrial: purchase.subscription.isFreeTrial)
            // The buyer goes on to the publisher's landing page with the token (spec-saas §3.1).
            return WebSecurity.redirect(purchase.landingPageURL)
        } catch let e as DomainError {
            errors["form"] = "\(e)"
            return html(pages.buy(buyModel(offer, publisherId, visit, input, errors: errors)), visit, status: .badRequest)
        }
    }

    // MARK: Contact me

    func contact(_ r: Request, _ publisherId: String, _ offerId: String) async throws -> Response {
        let form = try await WebSecurity.form(r)
        let visit = try await security.visit(r)
        guard security.checkCSRF(form, visit) else { return expired(visit) }
        guard let record = try await catalog.offer(publisherId: publisherId, offerId: offerId),
              let (offer, isPreview) = CatalogSearch.visibleOffer(record, viewerTenantId: visit.session?.tenantId, viewerEmail: visit.session?.email) else {
            return message(visit, .notFound, "Offer not found", "There is no offer '\(offerId)' by '\(publisherId)' on the marketplace.")
        }
        let request = ContactForm.request(form)
        let (_, errors) = try await leads.contact(publisherId: publisherId, offerId: offerId, request)
        var page = StorefrontModels.offerPage(CatalogEntry(publisherId: publisherId, offer: offer, isPreview: isPreview, score: 0), market: nil, now: clock.now())
        page.viewer = visit.viewer
        page.csrf = visit.csrf
        page.contactSent = errors.isEmpty
        page.contactFields = ContactForm.fields(values: form, errors: errors)
        page.consentError = errors["consent"]
        return html(pages.offer(page), visit, status: errors.isEmpty ? .ok : .badRequest)
    }

    // MARK: My subscriptions

    func mine(_ session: WebSession) async throws -> [Subscription] {
        try await subscriptions.repository.subscriptions(customerTenantId: session.tenantId).sorted { $0.created > $1.created }
    }

    func list(_ r: Request, notice: String? = nil) async throws -> Response {
        let visit = try await security.visit(r)
        guard let session = visit.session else { return signInRedirect(r) }
        let subs = try await mine(session)
        let rows = subs.map { s in
            let (status, css) = CustomerLabels.status(s.status)
            return SubscriptionsPage.Row(id: s.id, name: s.name, offer: s.offerId, plan: s.planId, seats: s.quantity.map(String.init) ?? "—", status: status,
                                         statusClass: css, url: "/account/subscriptions/\(s.id)", csrf: visit.csrf, pending: s.status == .pendingFulfillmentStart)
        }
        return html(pages.subscriptions(SubscriptionsPage(viewer: visit.viewer, notice: notice, rows: rows, hasRows: !rows.isEmpty)), visit,
                    formTargets: try await landingPages(subs.filter { $0.status == .pendingFulfillmentStart }))
    }

    func owned(_ id: String, _ session: WebSession) async throws -> Subscription? {
        guard id.count <= 64, let s = try await subscriptions.repository.subscription(id: id.lowercased()),
              s.beneficiary.tenantId == session.tenantId || s.purchaser.tenantId == session.tenantId else { return nil }
        return s
    }

    func detail(_ r: Request, _ id: String, notice: String? = nil, failure: String? = nil, errors: [String: String] = [:],
                seatsValue: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let visit = try await security.visit(r)
        guard let session = visit.session else { return signInRedirect(r) }
        guard let s = try await owned(id, session) else {
            return message(visit, .notFound, "Subscription not found", "You have no subscription with that ID.", link: ("/account/subscriptions", "My subscriptions"))
        }
        let (statusText, css) = CustomerLabels.status(s.status)
        let open = try await subscriptions.repository.operations(subscriptionId: s.id).filter { !$0.status.isFinal }
        var plans: [SelectOption] = []
        var perUser = false
        if s.status == .subscribed, let (_, available, _) = try? await subscriptions.availablePlans(id: s.id, publisherId: s.publisherId, planId: nil) {
            plans = available.map { SelectOption(value: $0.id, label: $0.name, selected: $0.id == s.planId) }
            perUser = available.first { $0.id == s.planId }?.pricing.isPricePerSeat ?? false
        }
        let own = try await invoices.invoices(customerTenantId: session.tenantId)
            .filter { inv in inv.lines.contains { $0.charge.subscriptionId == s.id } }
            .map { SubscriptionPage.InvoiceRow(id: $0.id, url: "/account/invoices/\($0.id)", period: $0.period,
                                               total: "\(Currency.format($0.total.amount, $0.currency)) \($0.currency)", status: $0.status.rawValue) }
        let page = SubscriptionPage(
            viewer: visit.viewer, title: s.name, csrf: visit.csrf, url: "/account/subscriptions/\(s.id)", name: s.name, offer: s.offerId,
            offerURL: StorefrontModels.offerURL(s.publisherId, s.offerId), plan: s.planId, seatsText: s.quantity.map(String.init),
            status: statusText, statusClass: css, term: s.term.termUnit == .P1M ? "Monthly" : s.term.termUnit == .P1Y ? "Yearly" : s.term.termUnit.rawValue,
            autoRenew: s.autoRenew ? "Yes" : "No",
            pendingOperation: open.first.map { "\($0.action.rawValue) — \($0.status.rawValue)" }, notice: notice, failure: failure,
            pending: s.status == .pendingFulfillmentStart, canChange: s.status == .subscribed && open.isEmpty && !plans.isEmpty, plans: plans,
            planError: errors["plan"], hasSeats: perUser,
            seats: perUser ? FormField(id: "seats", name: "seats", label: "Seats", type: "number", value: seatsValue ?? s.quantity.map(String.init) ?? "",
                                       error: errors["seats"], min: "1") : nil,
            suspended: s.status == .suspended, canCancel: s.status == .subscribed || s.status == .suspended || s.status == .pendingFulfillmentStart,
            cancelError: errors["confirm"], invoices: own, hasInvoices: !own.isEmpty)
        return html(pages.subscription(page), visit, status: status, formTargets: s.status == .pendingFulfillmentStart ? try await landingPages([s]) : [])
    }

    func act(_ r: Request, _ id: String, _ action: String) async throws -> Response {
        let form = try await WebSecurity.form(r)
        let visit = try await security.visit(r)
        guard let session = visit.session else { return signInRedirect(r) }
        guard security.checkCSRF(form, visit) else { return expired(visit) }
        guard let s = try await owned(id, session) else {
            return message(visit, .notFound, "Subscription not found", "You have no subscription with that ID.", link: ("/account/subscriptions", "My subscriptions"))
        }
        let context = AuditContext(actorType: .customer, actorId: session.userId)
        let back = "/account/subscriptions/\(s.id)"
        do {
            switch action {
            case "configure":
                // "Configure account": a fresh landing-page token on every click (spec-saas §3.1).
                let p = try await subscriptions.newLandingToken(subscriptionId: s.id, buyerTenantId: session.tenantId)
                return WebSecurity.redirect(p.landingPageURL)
            case "plan":
                guard let plan = form["plan"], !plan.isEmpty else { return try await detail(r, id, errors: ["plan": "Choose a plan."], status: .badRequest) }
                guard plan != s.planId else { return try await detail(r, id, errors: ["plan": "That is your current plan; choose another."], status: .badRequest) }
                _ = try await subscriptions.requestChange(id: s.id, publisherId: nil, change: .plan(plan), source: .azure, context: context)
                return WebSecurity.redirect(back + "?done=plan")
            case "seats":
                guard let n = Int((form["seats"] ?? "").trimmingCharacters(in: .whitespaces)), n >= 1 else {
                    return try await detail(r, id, errors: ["seats": "Enter a whole number of at least 1."], seatsValue: form["seats"], status: .badRequest)
                }
                _ = try await subscriptions.requestChange(id: s.id, publisherId: nil, change: .quantity(n), source: .azure, context: context)
                return WebSecurity.redirect(back + "?done=seats")
            case "cancel":
                guard form["confirm"] == "yes" else {
                    return try await detail(r, id, errors: ["confirm": "Tick the box to confirm you want to cancel."], status: .badRequest)
                }
                _ = try await subscriptions.cancel(id: s.id, publisherId: nil, source: .azure, context: context)
                return WebSecurity.redirect(back + "?done=cancel")
            default: // reinstate: the customer fixed their payment method
                _ = try await subscriptions.setPaymentFailing(customerTenantId: session.tenantId, failing: false, context: context)
                return WebSecurity.redirect(back + "?done=reinstate")
            }
        } catch let refusal as TransitionRefusal {
            let field = action == "seats" ? "seats" : action == "plan" ? "plan" : nil
            if let field { return try await detail(r, id, errors: [field: refusal.message], seatsValue: form["seats"], status: .badRequest) }
            return try await detail(r, id, failure: refusal.message, status: .conflict)
        } catch let e as DomainError {
            return try await detail(r, id, failure: "\(e)", status: .badRequest)
        }
    }

    func invoice(_ r: Request, _ id: String) async throws -> Response {
        let visit = try await security.visit(r)
        guard let session = visit.session else { return signInRedirect(r) }
        guard id.count <= 128, let inv = try await invoices.invoice(id: id), inv.customerTenantId == session.tenantId else {
            return message(visit, .notFound, "Invoice not found", "You have no invoice with that number.")
        }
        return html(pages.invoice(InvoicePage(inv)), visit)
    }
}
