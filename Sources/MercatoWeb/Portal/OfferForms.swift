import Foundation
import MercatoCore

/// The offer editor's tabs as forms: which fields each tab shows (named by document path) and how a submitted form
/// changes the draft. Pure functions, so the mapping is tested without a server.
enum OfferForms {
    static func fields(_ tab: String, _ o: Offer) -> [Field] {
        switch tab {
        case "setup":
            var f = [
                Field("alias", "Offer alias", value: o.alias, hint: "Internal name; can't change after the offer is published."),
                Field.select("setup.listingOption", "How customers buy", options: o.type.allowedListingOptions.sorted { $0.rawValue < $1.rawValue }.map {
                    ($0.rawValue, optionLabel($0))
                }, selected: o.setup.listingOption.rawValue),
                Field("setup.offerURL", "Offer URL (Get it now)", value: o.setup.offerURL ?? "", type: "url"),
                Field("setup.trialURL", "Trial URL (Free trial)", value: o.setup.trialURL ?? "", type: "url"),
                Field("setup.leadEndpointURL", "Lead endpoint (HTTPS) for customer leads", value: o.setup.leadEndpointURL ?? "", type: "url",
                      hint: "Mercato POSTs every lead here (spec-portal §7.4)."),
            ]
            if o.type.supportsTestDrive { f.append(.checkbox("setup.testDrive", "Enable a test drive", checked: o.setup.testDrive)) }
            return f
        case "properties":
            let categories = (o.type == .saas ? Taxonomy.azureMarketplaceSaaS.keys.sorted() : []).map { ($0, $0) }
            var f: [Field] = []
            for i in 0..<2 {
                let c = o.properties.categories.count > i ? o.properties.categories[i] : nil
                if categories.isEmpty {
                    f.append(Field("properties.categories[\(i)].category", "Category \(i + 1)", value: c?.category ?? ""))
                } else {
                    f.append(.select("properties.categories[\(i)].category", "Category \(i + 1)\(i == 0 ? "" : " (optional)")",
                                     options: [("", "—")] + categories, selected: c?.category ?? ""))
                }
                f.append(Field("properties.categories[\(i)].subcategories", "Subcategories of category \(i + 1) (comma-separated, up to two)",
                               value: c?.subcategories.joined(separator: ", ") ?? ""))
            }
            f += [
                Field("properties.appVersion", "App version", value: o.properties.appVersion ?? ""),
                .checkbox("properties.useStandardContract", "Use the Standard Contract", checked: o.properties.useStandardContract),
                .textarea("properties.termsAndConditions", "Terms and conditions (when not using the Standard Contract)", value: o.properties.termsAndConditions ?? ""),
                .textarea("properties.universalAmendment", "Universal amendment to the Standard Contract", value: o.properties.universalAmendment ?? ""),
            ]
            return f
        case "listing":
            let l = o.listing
            return [
                Field("listing.name", "Name (shown to customers, up to 50 characters)", value: l.name),
                Field("listing.summary", "Search results summary", value: l.summary),
                Field("listing.shortDescription", "Short description", value: l.shortDescription ?? ""),
                .textarea("listing.description", "Description (b, i, em, br, p, ul, ol, li, h1–h6 allowed)", value: l.description),
                .textarea("listing.gettingStartedInstructions", "Getting started instructions", value: l.gettingStartedInstructions ?? ""),
                Field("listing.keywords", "Search keywords (comma-separated, up to three)", value: l.keywords.joined(separator: ", ")),
                Field("listing.privacyPolicyURL", "Privacy policy link (HTTPS)", value: l.privacyPolicyURL, type: "url"),
                Field("listing.supportContact.name", "Support contact name", value: l.supportContact?.name ?? ""),
                Field("listing.supportContact.email", "Support contact e-mail", value: l.supportContact?.email ?? "", type: "email"),
                Field("listing.supportContact.phone", "Support contact phone", value: l.supportContact?.phone ?? ""),
                Field("listing.supportContact.url", "Support website (HTTPS)", value: l.supportContact?.url ?? "", type: "url"),
                Field("listing.engineeringContact.name", "Engineering contact name", value: l.engineeringContact?.name ?? ""),
                Field("listing.engineeringContact.email", "Engineering contact e-mail", value: l.engineeringContact?.email ?? "", type: "email"),
                Field("listing.engineeringContact.phone", "Engineering contact phone", value: l.engineeringContact?.phone ?? ""),
            ]
        case "preview":
            return [.textarea("previewAudience", "Preview audience: one e-mail per line, optionally followed by a comma and a description",
                              value: o.previewAudience.map { $0.id + ($0.description.map { ", " + $0 } ?? "") }.joined(separator: "\n"),
                              hint: "These people see the offer in Preview before it goes live (up to 20 for SaaS).")]
        case "technical":
            let t = o.technicalConfiguration
            return [
                Field("technicalConfiguration.landingPageURL", "Landing page URL", value: t?.landingPageURL ?? "", type: "url",
                      hint: "Customers arrive here with a token after buying."),
                Field("technicalConfiguration.connectionWebhookURL", "Connection webhook", value: t?.connectionWebhookURL ?? "", type: "url",
                      hint: "Mercato POSTs subscription changes here, with a signed bearer token."),
                Field("technicalConfiguration.aadTenantId", "Microsoft Entra tenant ID", value: t?.aadTenantId ?? ""),
                Field("technicalConfiguration.aadAppId", "Microsoft Entra application ID", value: t?.aadAppId ?? "",
                      hint: "The API application that calls the SaaS Fulfillment API (the same for all offers of the account)."),
            ]
        default:
            return []
        }
    }

    static func optionLabel(_ o: ListingOption) -> String {
        switch o {
        case .transact: "Sell through Mercato (transactable)"
        case .contactMe: "Contact me"
        case .freeTrial: "Free trial"
        case .getItNow: "Get it now (free)"
        case .byol: "Bring your own license"
        }
    }

    /// Current listing media, and the inputs that add more (PNG sizes are read from the file, not claimed).
    static func media(_ l: OfferListing) -> [Fact] {
        [
            Fact("Large logo", l.largeLogo.map { "\($0.fileName) (\($0.width)×\($0.height))" } ?? "none", id: "media-logo"),
            Fact("Screenshots", l.screenshots.isEmpty ? "none" : l.screenshots.map { "\($0.image.fileName) — \($0.caption)" }.joined(separator: "; "),
                 id: "media-screenshots"),
            Fact("Documents", l.supportingDocuments.isEmpty ? "none" : l.supportingDocuments.map { "\($0.name) (\($0.fileName))" }.joined(separator: "; "),
                 id: "media-documents"),
        ]
    }

    static func mediaFields(_ values: [String: String] = [:]) -> [Field] {
        [
            Field("listing.largeLogo", "Large logo (PNG, square, 216–350 px) — replaces the current one", type: "file"),
            Field("listing.screenshot", "Add a screenshot (PNG, 1280×720)", type: "file"),
            Field("listing.screenshot.caption", "Caption of the new screenshot", value: values["listing.screenshot.caption"] ?? ""),
            Field("listing.document", "Add a supporting document (PDF)", type: "file"),
            Field("listing.document.name", "Name of the new document", value: values["listing.document.name"] ?? ""),
        ]
    }

    /// Puts each error on the field of that name; returns the ones no field shows.
    static func place(_ errors: [String: String], in fields: inout [Field]) -> (placed: Int, leftovers: [String: String]) {
        var left = errors
        for i in fields.indices {
            if let e = errors[fields[i].name] {
                fields[i].fieldError = e
                left[fields[i].name] = nil
            }
        }
        // Errors about a whole object ("listing.supportContact") go on its first field.
        for (key, message) in left {
            if let i = fields.firstIndex(where: { $0.name.hasPrefix(key + ".") || $0.name.hasPrefix(key + "[") }) {
                if fields[i].fieldError == nil { fields[i].fieldError = message }
                left[key] = nil
            }
        }
        return (errors.count - left.count, left)
    }

    static func text(_ form: [String: String], _ key: String) -> String { (form[key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
    static func optional(_ form: [String: String], _ key: String) -> String? { text(form, key).isEmpty ? nil : text(form, key) }
    static func list(_ form: [String: String], _ key: String) -> [String] {
        text(form, key).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Applies a submitted tab to the draft. Values the form can't even express (a file that is not a PNG) become errors.
    static func apply(_ tab: String, _ form: [String: String], files: [String: MultipartForm.File], to o: inout Offer, errors: inout [String: String]) {
        switch tab {
        case "setup":
            o.alias = text(form, "alias")
            if let option = ListingOption(rawValue: form["setup.listingOption"] ?? "") { o.setup.listingOption = option }
            o.setup.offerURL = optional(form, "setup.offerURL")
            o.setup.trialURL = optional(form, "setup.trialURL")
            o.setup.leadEndpointURL = optional(form, "setup.leadEndpointURL")
            if o.type.supportsTestDrive { o.setup.testDrive = form["setup.testDrive"] == "yes" }
        case "properties":
            var categories: [CategorySelection] = []
            for i in 0..<2 {
                let key = text(form, "properties.categories[\(i)].category")
                let subs = list(form, "properties.categories[\(i)].subcategories")
                if key.isEmpty {
                    if !subs.isEmpty { errors["properties.categories[\(i)].category"] = "Choose the category these subcategories belong to." }
                    continue
                }
                categories.append(CategorySelection(store: o.type.stores.contains(.azureMarketplace) ? .azureMarketplace : (o.type.stores.first ?? .azureMarketplace), category: key, subcategories: subs))
            }
            o.properties.categories = categories
            o.properties.appVersion = optional(form, "properties.appVersion")
            o.properties.useStandardContract = form["properties.useStandardContract"] == "yes"
            o.properties.termsAndConditions = optional(form, "properties.termsAndConditions")
            o.properties.universalAmendment = optional(form, "properties.universalAmendment")
        case "listing":
            o.listing.name = text(form, "listing.name")
            o.listing.summary = text(form, "listing.summary")
            o.listing.shortDescription = optional(form, "listing.shortDescription")
            o.listing.description = text(form, "listing.description")
            o.listing.gettingStartedInstructions = optional(form, "listing.gettingStartedInstructions")
            o.listing.keywords = list(form, "listing.keywords")
            o.listing.privacyPolicyURL = text(form, "listing.privacyPolicyURL")
            for (name, keyPath) in [("supportContact", \OfferListing.supportContact), ("engineeringContact", \OfferListing.engineeringContact)] {
                let p = "listing.\(name)."
                let values = ["name", "email", "phone", "url"].map { text(form, p + $0) }
                if values.allSatisfy(\.isEmpty) {
                    o.listing[keyPath: keyPath] = nil
                } else {
                    o.listing[keyPath: keyPath] = Contact(name: values[0], email: values[1], phone: values[2], url: values[3].isEmpty ? nil : values[3])
                }
            }
            if let logo = files["listing.largeLogo"], !logo.bytes.isEmpty {
                if let size = PNGInfo.size(logo.bytes) {
                    o.listing.largeLogo = Image(fileName: logo.fileName, width: size.width, height: size.height)
                } else { errors["listing.largeLogo"] = "That file is not a PNG image." }
            }
            if let shot = files["listing.screenshot"], !shot.bytes.isEmpty {
                if text(form, "listing.screenshot.caption").isEmpty { errors["listing.screenshot.caption"] = "Give the screenshot a caption (up to 100 characters)." }
                if let size = PNGInfo.size(shot.bytes) {
                    o.listing.screenshots.append(Screenshot(image: Image(fileName: shot.fileName, width: size.width, height: size.height),
                                                            caption: text(form, "listing.screenshot.caption")))
                } else { errors["listing.screenshot"] = "That file is not a PNG image." }
            }
            if let doc = files["listing.document"], !doc.bytes.isEmpty {
                if text(form, "listing.document.name").isEmpty { errors["listing.document.name"] = "Give the document a name." }
                if doc.bytes.starts(with: Array("%PDF".utf8)) {
                    o.listing.supportingDocuments.append(Document(name: text(form, "listing.document.name"), fileName: doc.fileName))
                } else { errors["listing.document"] = "That file is not a PDF document." }
            }
        case "preview":
            o.previewAudience = text(form, "previewAudience").split(whereSeparator: \.isNewline).compactMap { line in
                let parts = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard let id = parts.first, !id.isEmpty else { return nil }
                return AudienceMember(id: id, description: parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil)
            }
        case "technical":
            let keys = ["landingPageURL", "connectionWebhookURL", "aadTenantId", "aadAppId"].map { text(form, "technicalConfiguration." + $0) }
            if keys.allSatisfy(\.isEmpty) {
                o.technicalConfiguration = nil
            } else {
                for (key, value) in zip(["landingPageURL", "connectionWebhookURL", "aadTenantId", "aadAppId"], keys) where value.isEmpty {
                    errors["technicalConfiguration." + key] = "Is required."
                }
                o.technicalConfiguration = TechnicalConfiguration(landingPageURL: keys[0], connectionWebhookURL: keys[1], aadTenantId: keys[2], aadAppId: keys[3])
            }
        default:
            break
        }
    }
}

/// The plan editor: name, description, visibility, markets, pricing model with user limits, monthly and yearly
/// prices in USD, free trial, and each offer dimension's price and included quantities.
enum PlanForm {
    static func fields(_ p: Plan, offer: Offer) -> [Field] {
        func price(_ unit: TermUnit) -> String { p.billingTerms.first { $0.termUnit == unit }.map { "\($0.price.amount)" } ?? "" }
        var f: [Field] = [
            Field("name", "Plan name", value: p.name),
            .textarea("description", "Plan description", value: p.description),
            .select("visibility", "Visibility", options: [("Public", "Public"), ("Private", "Private (only the audience below sees it)")],
                    selected: p.visibility.rawValue),
            Field("markets", "Markets (comma-separated codes, e.g. US, GB, DE)", value: p.markets.joined(separator: ", ")),
            .select("pricing.kind", "Pricing model", options: offer.type.allowedPricingModels.sorted { $0.rawValue < $1.rawValue }.map { ($0.rawValue, $0.rawValue) },
                    selected: p.pricing.kind.rawValue),
            Field("pricing.minUsers", "Minimum users (per-user plans)", value: p.pricing.minUsers.map(String.init) ?? "", type: "number"),
            Field("pricing.maxUsers", "Maximum users (per-user plans)", value: p.pricing.maxUsers.map(String.init) ?? "", type: "number"),
            Field("price.P1M", "Price per month, USD (leave empty for no monthly term)", value: price(.P1M)),
            Field("price.P1Y", "Price per year, USD (leave empty for no yearly term)", value: price(.P1Y)),
            .checkbox("freeTrial", "One-month free trial", checked: p.freeTrial),
        ]
        for d in offer.dimensions {
            let pd = p.dimensions.first { $0.dimensionId == d.id }
            func included(_ q: IncludedQuantity?) -> String {
                switch q { case let .quantity(n)?: String(n); case .unlimited?: "unlimited"; case nil: "0" }
            }
            f += [
                .checkbox("dim.\(d.id).enabled", "Bill \(d.displayName) (\(d.unitOfMeasure)) on this plan", checked: pd?.enabled ?? false),
                Field("dim.\(d.id).price", "\(d.displayName): price per unit, USD", value: pd.map { "\($0.pricePerUnit.amount)" } ?? ""),
                Field("dim.\(d.id).includedMonthly", "\(d.displayName): included per month (number or 'unlimited')", value: included(pd?.includedMonthly)),
                Field("dim.\(d.id).includedAnnual", "\(d.displayName): included per year (number or 'unlimited')", value: included(pd?.includedAnnual)),
            ]
        }
        return f
    }

    static func decimal(_ s: String) -> Decimal? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.allSatisfy({ $0.isNumber || $0 == "." }), t.filter({ $0 == "." }).count <= 1 else { return nil }
        return Decimal(decimalText: t)
    }

    static func apply(_ form: [String: String], to p: inout Plan, offer: Offer, errors: inout [String: String]) {
        let t = { (k: String) in OfferForms.text(form, k) }
        p.name = t("name")
        p.description = t("description")
        if let v = PlanVisibility(rawValue: t("visibility")) { p.visibility = v }
        p.markets = OfferForms.list(form, "markets").map { $0.uppercased() }
        if let kind = PricingModel.Kind(rawValue: t("pricing.kind")) { p.pricing.kind = kind }
        for (key, keyPath) in [("pricing.minUsers", \PricingModel.minUsers), ("pricing.maxUsers", \PricingModel.maxUsers)] {
            if t(key).isEmpty { p.pricing[keyPath: keyPath] = nil } else if let n = Int(t(key)) { p.pricing[keyPath: keyPath] = n } else { errors[key] = "Enter a whole number." }
        }
        var terms: [BillingTerm] = []
        for unit in [TermUnit.P1M, .P1Y] where !t("price.\(unit.rawValue)").isEmpty {
            guard let amount = decimal(t("price.\(unit.rawValue)")) else { errors["price.\(unit.rawValue)"] = "Enter an amount like 49.99."; continue }
            let existing = p.billingTerms.first { $0.termUnit == unit }
            terms.append(BillingTerm(termUnit: unit, paymentOption: existing?.paymentOption ?? .upfront, price: Money(amount, "USD"),
                                     marketPrices: existing?.marketPrices ?? [:]))
        }
        p.billingTerms = [.free, .byol].contains(p.pricing.kind) ? [] : terms
        p.freeTrial = form["freeTrial"] == "yes"
        var dimensions: [PlanDimension] = []
        for d in offer.dimensions {
            let k = "dim.\(d.id)."
            guard form[k + "enabled"] == "yes" else { continue }
            guard let price = decimal(t(k + "price")) else { errors[k + "price"] = "Enter the price per unit, like 0.01."; continue }
            func included(_ key: String) -> IncludedQuantity? {
                let v = t(key).lowercased()
                if v.isEmpty { return .quantity(0) }
                if v == "unlimited" { return .unlimited }
                guard let n = Int(v), n >= 0 else { errors[key] = "Enter a whole number of 0 or more, or 'unlimited'."; return nil }
                return .quantity(n)
            }
            guard let monthly = included(k + "includedMonthly"), let annual = included(k + "includedAnnual") else { continue }
            dimensions.append(PlanDimension(dimensionId: d.id, pricePerUnit: Money(price, "USD"), includedMonthly: monthly, includedAnnual: annual))
        }
        p.dimensions = dimensions
    }

    /// Validator issues about `plans[i]` renamed to the plan form's field names.
    static func errors(_ issues: [ValidationIssue], planIndex i: Int, plan: Plan) -> [String: String] {
        var out: [String: String] = [:]
        let prefix = "plans[\(i)]."
        for (field, message) in PortalController.errors(issues) {
            guard field.hasPrefix(prefix) || field == "plans[\(i)]" else { out[field] = message; continue }
            var key = String(field.dropFirst(prefix.count))
            if key.hasPrefix("billingTerms["), let j = Int(key.dropFirst("billingTerms[".count).prefix { $0.isNumber }), j < plan.billingTerms.count {
                key = "price.\(plan.billingTerms[j].termUnit.rawValue)"
            } else if key.hasPrefix("dimensions["), let j = Int(key.dropFirst("dimensions[".count).prefix { $0.isNumber }), j < plan.dimensions.count {
                key = "dim.\(plan.dimensions[j].dimensionId).price"
            } else if key.hasPrefix("markets[") {
                key = "markets"
            }
            if out[key] == nil { out[key] = message }
        }
        return out
    }
}
