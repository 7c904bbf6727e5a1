import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// Offers: the list, the editor's tabs (spec-portal §2–§3), plans with pricing and dimensions, private audiences from
/// CSV, and publishing (spec-portal §4: publish, go live, stop distribution, status, history, compare). Form fields
/// are named by the offer document's paths (`listing.summary`, `technicalConfiguration.landingPageURL`), so the
/// validator's issues land on the field they are about.
extension PortalController {
    static let tabs: [(key: String, label: String, page: ValidationIssue.Page?)] = [
        ("overview", "Overview", nil), ("setup", "Offer setup", .offerSetup), ("properties", "Properties", .properties),
        ("listing", "Offer listing", .offerListing), ("preview", "Preview audience", .previewAudience),
        ("technical", "Technical configuration", .technicalConfiguration), ("plans", "Plan overview", .planOverview),
    ]

    func addOfferRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/portal/offers") { r, _ in try await page(r, .viewAnalytics) { try await offersList($0) } }
        router.get("/portal/offers/new") { r, _ in try await page(r, .manageOffers, current: "/portal/offers") { newOfferPage($0, values: [:], errors: [:]) } }
        router.post("/portal/offers/new") { r, _ in try await action(r, .manageOffers, current: "/portal/offers") { try await createOffer($0, $1) } }
        router.get("/portal/offers/{offerId}") { r, c in
            try await page(r, .viewAnalytics, current: "/portal/offers") { try await offerOverview($0, c.parameters.get("offerId") ?? "") }
        }
        router.get("/portal/offers/{offerId}/compare") { r, c in
            try await page(r, .viewAnalytics, current: "/portal/offers") { try await comparePage($0, c.parameters.get("offerId") ?? "") }
        }
        for tab in ["setup", "properties", "listing", "preview", "technical", "plans"] {
            router.get("/portal/offers/{offerId}/\(tab)") { r, c in
                try await page(r, .viewAnalytics, current: "/portal/offers") { u in
                    let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: c.parameters.get("offerId") ?? "")
                    return tabPage(u, record, tab, offer: record.draft, errors: [:])
                }
            }
            router.post("/portal/offers/{offerId}/\(tab)") { r, c in try await saveTab(r, c.parameters.get("offerId") ?? "", tab) }
        }
        router.post("/portal/offers/{offerId}/plans/new") { r, c in
            try await action(r, .manageOffers, current: "/portal/offers") { try await addPlan($0, c.parameters.get("offerId") ?? "", $1) }
        }
        router.post("/portal/offers/{offerId}/dimensions") { r, c in
            try await action(r, .manageOffers, current: "/portal/offers") { try await addDimension($0, c.parameters.get("offerId") ?? "", $1) }
        }
        router.post("/portal/offers/{offerId}/dimensions/remove") { r, c in
            try await action(r, .manageOffers, current: "/portal/offers") { try await removeDimension($0, c.parameters.get("offerId") ?? "", $1) }
        }
        router.get("/portal/offers/{offerId}/plans/{planId}") { r, c in
            try await page(r, .viewAnalytics, current: "/portal/offers") { u in
                let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: c.parameters.get("offerId") ?? "")
                let planId = c.parameters.get("planId") ?? ""
                guard record.draft.plan(planId) != nil else { throw DomainError.notFound(kind: "plan", id: planId) }
                return planPage(u, record, planId: planId, offer: record.draft, errors: [:])
            }
        }
        router.post("/portal/offers/{offerId}/plans/{planId}") { r, c in try await savePlan(r, c.parameters.get("offerId") ?? "", c.parameters.get("planId") ?? "") }
        router.post("/portal/offers/{offerId}/plans/{planId}/audience") { r, c in
            try await uploadAudience(r, c.parameters.get("offerId") ?? "", c.parameters.get("planId") ?? "")
        }
        router.post("/portal/offers/{offerId}/plans/{planId}/sync") { r, c in
            try await action(r, .manageOffers, current: "/portal/offers") { u, _ in
                let (offerId, planId) = (c.parameters.get("offerId") ?? "", c.parameters.get("planId") ?? "")
                _ = try await services.catalog.syncPrivateAudience(by: u.principal, publisherId: u.publisherId, offerId: offerId, planId: planId, context: u.audit)
                return Self.redirect("/portal/offers/\(FormEncoding.escape(offerId))/plans/\(FormEncoding.escape(planId))", done: "saved")
            }
        }
        for (verb, done) in [("publish", "published"), ("golive", "golive"), ("stop", "stopped"), ("cancel", "canceled")] {
            router.post("/portal/offers/{offerId}/\(verb)") { r, c in try await publishing(r, c.parameters.get("offerId") ?? "", verb, done) }
        }
    }

    func offerPath(_ offerId: String, _ tail: String = "") -> String { "/portal/offers/\(FormEncoding.escape(offerId))\(tail)" }

    // MARK: List and create

    func offersList(_ u: PortalUser) async throws -> PortalPage {
        let records = try await services.catalog.offers(by: u.principal, publisherId: u.publisherId)
        let rows = records.sorted { $0.offerId < $1.offerId }.map { r in
            Row([Cell(r.draft.alias, href: offerPath(r.offerId)), Cell(r.offerId), Cell(r.type.rawValue),
                 Cell(Self.statusText(r.state.status), status: Self.statusPill(r.state.status)), Cell(String(r.draft.plans.count)),
                 Cell(PortalFormat.time(r.updatedAt))], id: "offer-\(r.offerId)")
        }
        var blocks: [Block] = []
        if u.can(.manageOffers, services.policy) { blocks.append(.links([NavLink("/portal/offers/new", "+ New offer", id: "new-offer")])) }
        blocks.append(.table(Table(id: "offers", columns: ["Offer", "Offer ID", "Type", "Status", "Plans", "Last change"], rows: rows,
                                   empty: "No offers yet. Create one to start selling.")))
        return PortalPage(title: "Offers", chrome: nil, blocks: blocks)
    }

    func newOfferPage(_ u: PortalUser, values: [String: String], errors: [String: String]) -> PortalPage {
        let types = OfferType.allCases.map { ($0.rawValue, $0.rawValue) }
        var fields = [
            Field("id", "Offer ID", value: values["id"] ?? "", error: errors["id"],
                  hint: "Lower-case letters, digits, '-' and '_'; part of the offer's web address and can't change later."),
            Field("alias", "Offer alias", value: values["alias"] ?? "", error: errors["alias"], hint: "Your internal name for the offer (not shown to customers)."),
            Field.select("type", "Offer type", options: types, selected: values["type"] ?? OfferType.saas.rawValue, error: errors["type"]),
        ]
        if services.sandbox {
            fields.append(.checkbox("isSandbox", "Sandbox offer (for testing: landing page and webhook may be http on loopback)",
                                    checked: values.isEmpty || values["isSandbox"] == "yes"))
        }
        return PortalPage(title: "New offer", chrome: nil, blocks: [
            .form(Form(id: "new-offer-form", action: "/portal/offers/new", csrf: u.csrf, fields: fields, submit: "Create")),
        ])
    }

    func createOffer(_ u: PortalUser, _ form: [String: String]) async throws -> Response {
        let id = (form["id"] ?? "").trimmingCharacters(in: .whitespaces)
        let alias = (form["alias"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let type = OfferType(rawValue: form["type"] ?? "") else {
            return render(withChrome(u, newOfferPage(u, values: form, errors: ["type": "Choose an offer type."])), status: .badRequest)
        }
        let option: ListingOption = type.allowedListingOptions.contains(.transact) ? .transact : type.allowedListingOptions.sorted { $0.rawValue < $1.rawValue }.first!
        let offer = Offer(id: id, type: type, alias: alias, isSandbox: services.sandbox && form["isSandbox"] == "yes",
                          setup: OfferSetup(listingOption: option), listing: OfferListing(name: String(alias.prefix(50))))
        do {
            _ = try await services.catalog.create(by: u.principal, publisherId: u.publisherId, offer: offer, context: u.audit)
        } catch let failure as ValidationFailure {
            return render(withChrome(u, newOfferPage(u, values: form, errors: Self.errors(failure.issues))), status: .badRequest)
        } catch DomainError.conflict(let reason) {
            return render(withChrome(u, newOfferPage(u, values: form, errors: ["id": reason])), status: .conflict)
        }
        return Self.redirect(offerPath(id, "/setup"), done: "created")
    }

    func withChrome(_ u: PortalUser, _ page: PortalPage, current: String = "/portal/offers") -> PortalPage {
        var p = page
        p.chrome = chrome(u, current: current)
        return p
    }

    static func errors(_ issues: [ValidationIssue]) -> [String: String] {
        var out: [String: String] = [:]
        for issue in issues where out[issue.field] == nil { out[issue.field] = issue.message.prefix(1).uppercased() + issue.message.dropFirst() + "." }
        return out
    }

    static func statusText(_ s: OfferStatus) -> String {
        switch s {
        case .draft: "Draft"
        case .publishInProgress: "Publish in progress"
        case .attentionNeeded: "Attention needed"
        case .preview: "Preview"
        case .live: "Live"
        case .pendingStopDistribution: "Stopping distribution"
        case .notAvailable: "Not available"
        }
    }

    static func statusPill(_ s: OfferStatus) -> String {
        switch s {
        case .live: "ok"
        case .preview, .publishInProgress, .attentionNeeded, .pendingStopDistribution: "warn"
        case .draft, .notAvailable: "off"
        }
    }

    func tabLinks(_ record: OfferRecord, current: String) -> [NavLink] {
        Self.tabs.map { t in
            NavLink(t.key == "overview" ? offerPath(record.offerId) : offerPath(record.offerId, "/\(t.key)"), t.label, current: t.key == current, id: "tab-\(t.key)")
        }
    }

    // MARK: Overview, publishing, history

    func offerOverview(_ u: PortalUser, _ offerId: String) async throws -> PortalPage {
        let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
        let history = try await services.catalog.history(by: u.principal, publisherId: u.publisherId, offerId: offerId)
        let operations = try await services.catalog.repository.operations(publisherId: u.publisherId, offerId: offerId)
        let draft = record.draft
        let issues = OfferValidator.formatIssues(draft) + OfferValidator.completenessIssues(draft)
            + ((record.live ?? record.preview).map { OfferValidator.changeIssues(published: $0, draft: draft) } ?? [])
        var blocks: [Block] = [
            .facts([
                Fact("Status", Self.statusText(record.state.status), id: "offer-status"),
                Fact("Offer ID", record.offerId), Fact("Type", record.type.rawValue),
                Fact("Listing option", draft.setup.listingOption.rawValue), Fact("Sandbox offer", draft.isSandbox ? "Yes" : "No"),
                Fact("Version", String(record.version)), Fact("Last change", PortalFormat.time(record.updatedAt)),
            ]),
            .heading("Review and publish"),
            .table(Table(id: "page-status", columns: ["Page", "Status"], rows: Self.tabs.compactMap { t in
                guard let page = t.page else { return nil }
                let incomplete = issues.contains { $0.page == page }
                return Row([Cell(t.label, href: offerPath(offerId, "/\(t.key)")), Cell(incomplete ? "Incomplete" : "Complete", status: incomplete ? "warn" : "ok")])
            }, empty: "")),
        ]
        if !issues.isEmpty {
            blocks.append(.heading("What publishing needs"))
            blocks.append(.issues(issues.map { i in
                IssueLine(page: i.page.rawValue, field: i.field, message: i.message,
                          issueLink: Self.tabs.first { $0.page == i.page }.map { offerPath(offerId, "/\($0.key)") })
            }))
        }
        let allowed = PublishingWorkflow.allowedEvents(from: record.state)
        var actions: [ButtonForm] = []
        if u.can(.manageOffers, services.policy) {
            if allowed.contains(.publish) { actions.append(ButtonForm(action: offerPath(offerId, "/publish"), label: "Publish", csrf: u.csrf, id: "publish")) }
            if allowed.contains(.goLive) { actions.append(ButtonForm(action: offerPath(offerId, "/golive"), label: "Go live", csrf: u.csrf, id: "golive")) }
            if allowed.contains(.cancelPublish) { actions.append(ButtonForm(action: offerPath(offerId, "/cancel"), label: "Cancel publishing", csrf: u.csrf, id: "cancel-publish")) }
            if allowed.contains(.stopDistribution) {
                actions.append(ButtonForm(action: offerPath(offerId, "/stop"), label: "Stop distribution", csrf: u.csrf, id: "stop-distribution", danger: true))
            }
        }
        if !actions.isEmpty { blocks.append(.table(Table(id: "offer-actions", columns: ["Actions"], rows: [Row([Cell("", actions: actions)])], empty: ""))) }
        if record.live != nil || record.preview != nil {
            blocks.append(.links([NavLink(offerPath(offerId, "/compare"), "Compare draft with \(record.live != nil ? "live" : "preview")", id: "compare")]))
        }
        blocks.append(.heading("Publishing operations", id: "operations-heading"))
        blocks.append(.table(Table(id: "operations", columns: ["Started", "Kind", "Status", "Steps"], rows: operations.sorted { $0.createdAt > $1.createdAt }.map { op in
            Row([Cell(PortalFormat.time(op.createdAt)), Cell(op.kind.rawValue),
                 Cell(op.status.rawValue, status: op.status == .succeeded ? "ok" : op.status == .failed ? "warn" : "off"),
                 Cell(op.steps.map { "\($0.name): \($0.status.rawValue)" + ($0.messages.isEmpty ? "" : " (\($0.messages.joined(separator: "; ")))") }
                    .joined(separator: " · "))], id: "operation-\(op.id)")
        }, empty: "Not published yet.")))
        blocks.append(.heading("History"))
        blocks.append(.table(Table(id: "history", columns: ["Time", "Event", "By", "Details"], rows: history.reversed().map {
            Row([Cell(PortalFormat.time($0.time)), Cell($0.event), Cell($0.initiatedBy ?? "—"), Cell($0.details ?? "")])
        }, empty: "No history.")))
        return PortalPage(title: draft.alias, chrome: nil, tabs: tabLinks(record, current: "overview"), blocks: blocks)
    }

    func publishing(_ r: Request, _ offerId: String, _ verb: String, _ done: String) async throws -> Response {
        try await action(r, .manageOffers, current: "/portal/offers") { u, _ in
            let c = services.catalog
            do {
                switch verb {
                case "publish": _ = try await c.publish(by: u.principal, publisherId: u.publisherId, offerId: offerId, context: u.audit)
                case "golive": _ = try await c.goLive(by: u.principal, publisherId: u.publisherId, offerId: offerId, context: u.audit)
                case "stop": _ = try await c.stopDistribution(by: u.principal, publisherId: u.publisherId, offerId: offerId, context: u.audit)
                default: _ = try await c.cancelPublish(by: u.principal, publisherId: u.publisherId, offerId: offerId, context: u.audit)
                }
            } catch let failure as PublishValidationFailure {
                var page = try await offerOverview(u, offerId)
                page.failure = "The offer can't be published yet: \(failure.issues.count) thing\(failure.issues.count == 1 ? "" : "s") to fix (listed below)."
                return render(withChrome(u, page), status: .unprocessableContent)
            }
            return Self.redirect(offerPath(offerId), done: done)
        }
    }

    func comparePage(_ u: PortalUser, _ offerId: String) async throws -> PortalPage {
        let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
        let slot = record.live != nil ? "live" : "preview"
        let diffs = try await services.catalog.compare(by: u.principal, publisherId: u.publisherId, offerId: offerId, with: slot)
        return PortalPage(title: "Draft compared with \(slot)", chrome: nil, tabs: tabLinks(record, current: "overview"), blocks: [
            .table(Table(id: "differences", columns: ["Field", "Change", slot.capitalized, "Draft"], rows: diffs.map {
                Row([Cell($0.field), Cell($0.kind.rawValue), Cell($0.before ?? ""), Cell($0.after ?? "")])
            }, empty: "The draft is the same as the \(slot) version.")),
        ])
    }

    // MARK: Tabs

    func tabPage(_ u: PortalUser, _ record: OfferRecord, _ tab: String, offer: Offer, errors: [String: String], failure: String? = nil,
                 values: [String: String] = [:]) -> PortalPage {
        let canEdit = u.can(.manageOffers, services.policy)
        let page = Self.tabs.first { $0.key == tab }?.page
        let pending = page.map { p in OfferValidator.completenessIssues(offer).filter { $0.page == p && errors[$0.field] == nil } } ?? []
        var blocks: [Block] = []
        var fields = OfferForms.fields(tab, offer)
        var multipart = false
        if tab == "listing" {
            blocks.append(.facts(OfferForms.media(record.draft.listing)))  // what is saved, not what failed to save
            fields += OfferForms.mediaFields(values)
            multipart = true
        }
        let (placed, leftovers) = OfferForms.place(errors, in: &fields)
        _ = placed
        if !leftovers.isEmpty { blocks.append(.issues(leftovers.sorted { $0.key < $1.key }.map { IssueLine(page: "This page", field: $0.key, message: $0.value) })) }
        if tab == "plans" {
            blocks += plansTabBlocks(u, record, offer, errors: errors, canEdit: canEdit)
        } else if canEdit {
            blocks.append(.form(Form(id: "tab-form", action: offerPath(record.offerId, "/\(tab)"), multipart: multipart, csrf: u.csrf, fields: fields,
                                     hidden: [Hidden("etag", record.eTag)], submit: "Save draft")))
        } else {
            blocks.append(.facts(fields.map { Fact($0.label, $0.isCheckbox ? ($0.checked ? "Yes" : "No") : $0.value) }))
        }
        if !pending.isEmpty {
            blocks.append(.heading("Still needed before publishing"))
            blocks.append(.issues(pending.map { IssueLine(page: $0.page.rawValue, field: $0.field, message: $0.message) }))
        }
        return PortalPage(title: "\(offer.alias) · \(Self.tabs.first { $0.key == tab }?.label ?? tab)", chrome: nil, failure: failure,
                          tabs: tabLinks(record, current: tab), blocks: blocks)
    }

    func plansTabBlocks(_ u: PortalUser, _ record: OfferRecord, _ offer: Offer, errors: [String: String], canEdit: Bool) -> [Block] {
        var blocks: [Block] = [
            .table(Table(id: "plans", columns: ["Plan", "Plan ID", "Pricing", "Visibility", "Prices"], rows: offer.plans.map { p in
                Row([Cell(p.name, href: offerPath(record.offerId, "/plans/\(FormEncoding.escape(p.id))")), Cell(p.id), Cell(p.pricing.kind.rawValue),
                     Cell(p.visibility.rawValue), Cell(p.billingTerms.map { "\($0.termUnit.rawValue) \($0.price)" }.joined(separator: ", "))],
                    id: "plan-\(p.id)")
            }, empty: "No plans yet.")),
        ]
        if canEdit {
            blocks.append(.heading("Create a plan"))
            blocks.append(.form(Form(id: "new-plan-form", action: offerPath(record.offerId, "/plans/new"), csrf: u.csrf, fields: [
                Field("planId", "Plan ID", value: "", error: errors["planId"], hint: "Lower-case letters, digits, '-' and '_'; can't change later."),
                Field("planName", "Plan name", value: "", error: errors["planName"]),
            ], submit: "Create plan")))
        }
        blocks.append(.heading("Metered billing dimensions"))
        blocks.append(.table(Table(id: "dimensions", columns: ["Dimension ID", "Display name", "Unit of measure"], rows: offer.dimensions.map { d in
            Row([Cell(d.id), Cell(d.displayName), Cell(d.unitOfMeasure, actions: canEdit ? [
                ButtonForm(action: offerPath(record.offerId, "/dimensions/remove"), label: "Remove", csrf: u.csrf, id: "remove-dimension-\(d.id)",
                           danger: true, hidden: [Hidden("dimensionId", d.id), Hidden("etag", record.eTag)]),
            ] : [])], id: "dimension-\(d.id)")
        }, empty: "No dimensions. Add one to bill usage beyond a plan's flat price.")))
        if canEdit {
            blocks.append(.form(Form(id: "new-dimension-form", action: offerPath(record.offerId, "/dimensions"), csrf: u.csrf, fields: [
                Field("dimension.id", "Dimension ID", error: errors["dimension.id"], hint: "Used by the Metering API ('dimension'); letters, digits, '-', '_', '.'."),
                Field("dimension.displayName", "Display name", error: errors["dimension.displayName"]),
                Field("dimension.unitOfMeasure", "Unit of measure", error: errors["dimension.unitOfMeasure"], hint: "For example: per email, per 1000 API calls."),
            ], hidden: [Hidden("etag", record.eTag)], submit: "Add dimension")))
        }
        return blocks
    }

    /// Saves one tab: the form is applied to the draft and saved with the ETag the page was rendered with (a change by
    /// someone else meanwhile is reported, not overwritten). Invalid values come back on the same page, field by field.
    func saveTab(_ r: Request, _ offerId: String, _ tab: String) async throws -> Response {
        guard let body = try await MultipartForm.read(r) else {
            return StorefrontController.html("<p>The upload is too large (4 MB at most) or malformed.</p>", status: .contentTooLarge)
        }
        return try await action(r, .manageOffers, current: "/portal/offers", form: body.fields) { u, form in
            let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
            var offer = record.draft
            var errors: [String: String] = [:]
            OfferForms.apply(tab, form, files: body.files, to: &offer, errors: &errors)
            if errors.isEmpty {
                do {
                    _ = try await services.catalog.put(by: u.principal, publisherId: u.publisherId, offer: offer,
                                                       precondition: .eTag(form["etag"] ?? ""), context: u.audit)
                    return Self.redirect(offerPath(offerId, "/\(tab)"), done: "saved")
                } catch let failure as ValidationFailure {
                    errors = Self.errors(failure.issues)
                } catch DomainError.preconditionFailed {
                    return render(withChrome(u, tabPage(u, record, tab, offer: record.draft, errors: [:],
                                                        failure: "Someone changed this offer after you opened the page. Their version is shown; make your change again.")),
                                  status: .preconditionFailed)
                }
            }
            let reattach = body.files.values.contains { !$0.bytes.isEmpty } ? " Files you chose were not saved: choose them again." : ""
            return render(withChrome(u, tabPage(u, record, tab, offer: offer, errors: errors, failure: "Please correct the fields marked below." + reattach,
                                                values: form)), status: .badRequest)
        }
    }

    // MARK: Plans and dimensions

    func addPlan(_ u: PortalUser, _ offerId: String, _ form: [String: String]) async throws -> Response {
        let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
        let id = (form["planId"] ?? "").trimmingCharacters(in: .whitespaces)
        let name = (form["planName"] ?? "").trimmingCharacters(in: .whitespaces)
        var offer = record.draft
        offer.plans.append(Plan(id: id, name: name, markets: ["US"], pricing: .flatRate, billingTerms: [BillingTerm(termUnit: .P1M, price: Money(0, "USD"))]))
        do {
            _ = try await services.catalog.put(by: u.principal, publisherId: u.publisherId, offer: offer, precondition: .eTag(record.eTag), context: u.audit)
        } catch let failure as ValidationFailure {
            let prefix = "plans[\(offer.plans.count - 1)]."
            var errors: [String: String] = [:]
            for (field, message) in Self.errors(failure.issues) {
                if field == prefix + "id" { errors["planId"] = message } else if field == prefix + "name" { errors["planName"] = message } else { errors[field] = message }
            }
            return render(withChrome(u, tabPage(u, record, "plans", offer: record.draft, errors: errors, failure: "The plan could not be created.")), status: .badRequest)
        }
        return Self.redirect(offerPath(offerId, "/plans/\(FormEncoding.escape(id))"), done: "created")
    }

    func addDimension(_ u: PortalUser, _ offerId: String, _ form: [String: String]) async throws -> Response {
        let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
        var offer = record.draft
        offer.dimensions.append(MeteredDimension(id: (form["dimension.id"] ?? "").trimmingCharacters(in: .whitespaces),
                                                 displayName: (form["dimension.displayName"] ?? "").trimmingCharacters(in: .whitespaces),
                                                 unitOfMeasure: (form["dimension.unitOfMeasure"] ?? "").trimmingCharacters(in: .whitespaces)))
        do {
            _ = try await services.catalog.put(by: u.principal, publisherId: u.publisherId, offer: offer, precondition: .eTag(form["etag"] ?? ""), context: u.audit)
        } catch let failure as ValidationFailure {
            let prefix = "dimensions[\(offer.dimensions.count - 1)]."
            var errors: [String: String] = [:]
            for (field, message) in Self.errors(failure.issues) {
                errors[field.hasPrefix(prefix) ? "dimension." + field.dropFirst(prefix.count) : field] = message
            }
            return render(withChrome(u, tabPage(u, record, "plans", offer: record.draft, errors: errors, failure: "The dimension could not be added.")),
                          status: .badRequest)
        } catch DomainError.preconditionFailed {
            return render(withChrome(u, tabPage(u, record, "plans", offer: record.draft, errors: [:], failure: "The offer changed meanwhile; try again.")),
                          status: .preconditionFailed)
        }
        return Self.redirect(offerPath(offerId, "/plans"), done: "saved")
    }

    func removeDimension(_ u: PortalUser, _ offerId: String, _ form: [String: String]) async throws -> Response {
        let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
        let id = form["dimensionId"] ?? ""
        var offer = record.draft
        offer.dimensions.removeAll { $0.id == id }
        for i in offer.plans.indices { offer.plans[i].dimensions.removeAll { $0.dimensionId == id } }
        do {
            _ = try await services.catalog.put(by: u.principal, publisherId: u.publisherId, offer: offer, precondition: .eTag(form["etag"] ?? ""), context: u.audit)
        } catch let failure as ValidationFailure {
            return render(withChrome(u, tabPage(u, record, "plans", offer: record.draft, errors: Self.errors(failure.issues),
                                                failure: "The dimension can't be removed.")), status: .badRequest)
        }
        return Self.redirect(offerPath(offerId, "/plans"), done: "removed")
    }

    func planPage(_ u: PortalUser, _ record: OfferRecord, planId: String, offer: Offer, errors: [String: String], failure: String? = nil) -> PortalPage {
        guard let plan = offer.plan(planId) else {
            return PortalPage(title: "Plan not found", chrome: nil, tabs: tabLinks(record, current: "plans"), blocks: [.text("There is no plan '\(planId)'.")])
        }
        var fields = PlanForm.fields(plan, offer: offer)
        let (_, leftovers) = OfferForms.place(errors, in: &fields)
        var blocks: [Block] = []
        if !leftovers.isEmpty { blocks.append(.issues(leftovers.sorted { $0.key < $1.key }.map { IssueLine(page: "Plan", field: $0.key, message: $0.value) })) }
        let canEdit = u.can(.manageOffers, services.policy)
        let path = offerPath(record.offerId, "/plans/\(FormEncoding.escape(planId))")
        if canEdit {
            blocks.append(.form(Form(id: "plan-form", action: path, csrf: u.csrf, fields: fields, hidden: [Hidden("etag", record.eTag)], submit: "Save plan")))
        } else {
            blocks.append(.facts(fields.map { Fact($0.label, $0.isCheckbox ? ($0.checked ? "Yes" : "No") : $0.value) }))
        }
        blocks.append(.heading("Private audience"))
        blocks.append(.text(plan.visibility == .private
            ? "\(plan.privateAudience.count) tenant\(plan.privateAudience.count == 1 ? "" : "s") can see this plan."
            : "This plan is public. Uploading an audience makes it private (a published public plan can never become private)."))
        blocks.append(.table(Table(id: "audience", columns: ["Tenant ID", "Description"], rows: plan.privateAudience.prefix(200).map {
            Row([Cell($0.id), Cell($0.description ?? "")])
        }, empty: "No audience.")))
        if canEdit {
            var file = Field("csv", "Audience CSV file", type: "file", hint: "Columns: ID,Description,Type — with Type TenantID. Replaces the current audience.")
            file.id = "audience-csv"
            blocks.append(.form(Form(id: "audience-form", action: path + "/audience", multipart: true, csrf: u.csrf, fields: [file], submit: "Upload audience")))
            if record.live?.plan(planId) != nil || record.preview?.plan(planId) != nil {
                blocks.append(.table(Table(id: "audience-sync", columns: ["Published plan"], rows: [Row([Cell("Publish only the audience change, without certification:",
                    actions: [ButtonForm(action: path + "/sync", label: "Sync private audience", csrf: u.csrf, id: "sync-audience")])])], empty: "")))
            }
        }
        return PortalPage(title: "\(offer.alias) · \(plan.name)", chrome: nil, failure: failure, tabs: tabLinks(record, current: "plans"), blocks: blocks)
    }

    func savePlan(_ r: Request, _ offerId: String, _ planId: String) async throws -> Response {
        try await action(r, .manageOffers, current: "/portal/offers") { u, form in
            let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
            guard let index = record.draft.plans.firstIndex(where: { $0.id == planId }) else { throw DomainError.notFound(kind: "plan", id: planId) }
            var offer = record.draft
            var errors: [String: String] = [:]
            PlanForm.apply(form, to: &offer.plans[index], offer: offer, errors: &errors)
            if errors.isEmpty {
                do {
                    _ = try await services.catalog.put(by: u.principal, publisherId: u.publisherId, offer: offer,
                                                       precondition: .eTag(form["etag"] ?? ""), context: u.audit)
                    return Self.redirect(offerPath(offerId, "/plans/\(FormEncoding.escape(planId))"), done: "saved")
                } catch let failure as ValidationFailure {
                    errors = PlanForm.errors(failure.issues, planIndex: index, plan: offer.plans[index])
                } catch DomainError.preconditionFailed {
                    return render(withChrome(u, planPage(u, record, planId: planId, offer: record.draft, errors: [:],
                                                         failure: "Someone changed this offer after you opened the page. Their version is shown.")),
                                  status: .preconditionFailed)
                }
            }
            return render(withChrome(u, planPage(u, record, planId: planId, offer: offer, errors: errors, failure: "Please correct the fields marked below.")),
                          status: .badRequest)
        }
    }

    func uploadAudience(_ r: Request, _ offerId: String, _ planId: String) async throws -> Response {
        guard let body = try await MultipartForm.read(r) else {
            return StorefrontController.html("<p>The upload is too large (4 MB at most) or malformed.</p>", status: .contentTooLarge)
        }
        return try await action(r, .manageOffers, current: "/portal/offers", form: body.fields) { u, _ in
            let record = try await services.catalog.offer(by: u.principal, publisherId: u.publisherId, offerId: offerId)
            guard let file = body.files["csv"], !file.bytes.isEmpty else {
                return render(withChrome(u, planPage(u, record, planId: planId, offer: record.draft, errors: ["csv": "Choose a CSV file to upload."])),
                              status: .badRequest)
            }
            do {
                _ = try await services.catalog.importPrivateAudience(by: u.principal, publisherId: u.publisherId, offerId: offerId, planId: planId,
                                                                     csv: String(decoding: file.bytes, as: UTF8.self), context: u.audit)
            } catch let e as DomainError {
                return render(withChrome(u, planPage(u, record, planId: planId, offer: record.draft, errors: ["csv": Self.message(e)])), status: .badRequest)
            } catch let failure as ValidationFailure {
                return render(withChrome(u, planPage(u, record, planId: planId, offer: record.draft,
                                                     errors: ["csv": failure.issues.map(\.description).joined(separator: "; ")])), status: .badRequest)
            }
            return Self.redirect(offerPath(offerId, "/plans/\(FormEncoding.escape(planId))"), done: "uploaded")
        }
    }
}
