import Foundation

/// Every length, count and format rule of spec-portal §2–§3 and spec-saas §10 as one pure function per level:
/// - `formatIssues`: values that are wrong whatever else is filled in; a draft with these is not saved.
/// - `completenessIssues`: what must be present before **Publish** (page completeness, spec-portal §4.2).
/// - `changeIssues`: what may not change once published (spec-portal §4.6).
public enum OfferValidator {
    public static let maxPlans = 100
    public static let maxPrivatePlans = 45
    public static let maxDimensions = 30
    public static let maxMarkets = 141
    public static let maxPrivateAudience = 20_000
    public static let maxManualPreviewAudience = 10

    // MARK: Format

    public static func formatIssues(_ o: Offer) -> [ValidationIssue] {
        var v = Issues()
        checkIdentifier(o.id, "id", &v, page: .offerSetup)
        if o.alias.trimmingCharacters(in: .whitespaces).isEmpty { v.add(.offerSetup, "alias", "is required") }
        if o.alias.count > 256 { v.add(.offerSetup, "alias", "is limited to 256 characters") }

        // Offer setup (spec-portal §2.2, §2.5)
        let option = o.setup.listingOption
        if !o.type.allowedListingOptions.contains(option) {
            v.add(.offerSetup, "setup.listingOption", "\(option.rawValue) is not available for \(o.type.rawValue) offers (allowed: \(o.type.allowedListingOptions.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        if o.setup.testDrive && !o.type.supportsTestDrive { v.add(.offerSetup, "setup.testDrive", "test drives are not available for \(o.type.rawValue) offers") }
        if let url = o.setup.offerURL { checkURL(url, "setup.offerURL", &v, page: .offerSetup, httpsOnly: false) }
        if let url = o.setup.trialURL { checkURL(url, "setup.trialURL", &v, page: .offerSetup, httpsOnly: false) }
        if let url = o.setup.leadEndpointURL { checkURL(url, "setup.leadEndpointURL", &v, page: .offerSetup, httpsOnly: !o.isSandbox, allowLoopbackHTTP: o.isSandbox) }

        // Properties (spec-portal §2.6)
        let p = o.properties
        if p.categories.count > 2 { v.add(.properties, "properties.categories", "at most two categories (got \(p.categories.count))") }
        for (i, c) in p.categories.enumerated() {
            let f = "properties.categories[\(i)]"
            if !o.type.stores.contains(c.store) { v.add(.properties, "\(f).store", "\(o.type.rawValue) offers are not listed in \(c.store.rawValue)") }
            if c.subcategories.count > 2 { v.add(.properties, "\(f).subcategories", "at most two subcategories per category") }
            if o.type == .saas {
                if let subs = Taxonomy.saasSubcategories(c.category, store: c.store) {
                    for (j, s) in c.subcategories.enumerated() where !subs.contains(s) {
                        v.add(.properties, "\(f).subcategories[\(j)]", "'\(s)' is not a subcategory of '\(c.category)'")
                    }
                } else {
                    v.add(.properties, "\(f).category", "'\(c.category)' is not a \(c.store.rawValue) category key")
                }
            }
        }
        if p.industries.count > 2 { v.add(.properties, "properties.industries", "at most two industries") }
        for (i, ind) in p.industries.enumerated() {
            let f = "properties.industries[\(i)]"
            if !(o.type.stores.contains(.appSource) || o.type == .consultingService) {
                v.add(.properties, f, "industries apply only to AppSource offers and consulting services")
            }
            if ind.verticals.isEmpty || ind.verticals.count > 2 { v.add(.properties, "\(f).verticals", "choose one or two verticals") }
            if let verticals = Taxonomy.industries[ind.industry] {
                for (j, vert) in ind.verticals.enumerated() where !verticals.contains(vert) {
                    v.add(.properties, "\(f).verticals[\(j)]", "'\(vert)' is not a vertical of '\(ind.industry)'")
                }
            } else {
                v.add(.properties, "\(f).industry", "'\(ind.industry)' is not an industry key")
            }
        }
        let standardContractTypes: Set<OfferType> = [.azureManagedApplication, .azureSolutionTemplate, .azureContainer, .azureVirtualMachine, .saas]
        if p.useStandardContract && !standardContractTypes.contains(o.type) {
            v.add(.properties, "properties.useStandardContract", "the Standard Contract is not available for \(o.type.rawValue) offers")
        }
        // [003:2624] "limited to 4000 characters" vs [003:16287] "unlimited": we apply 4,000.
        if let a = p.universalAmendment, a.count > 4000 { v.add(.properties, "properties.universalAmendment", "is limited to 4,000 characters (got \(a.count))") }
        if p.customAmendments.count > 10 { v.add(.properties, "properties.customAmendments", "at most 10 custom amendments per offer") }
        for (i, a) in p.customAmendments.enumerated() {
            if a.terms.isEmpty { v.add(.properties, "properties.customAmendments[\(i)].terms", "is required") }
            if a.tenantIds.count > 20 { v.add(.properties, "properties.customAmendments[\(i)].tenantIds", "at most 20 tenant IDs per amendment") }
            for (j, t) in a.tenantIds.enumerated() where !GUIDText.isWellFormed(t) {
                v.add(.properties, "properties.customAmendments[\(i)].tenantIds[\(j)]", "'\(t)' is not a tenant ID (GUID)")
            }
        }
        if let t = p.termsAndConditions, t.count > 10_000 { v.add(.properties, "properties.termsAndConditions", "is limited to 10,000 characters (got \(t.count))") }

        // Offer listing (spec-portal §2.7)
        let l = o.listing
        if l.name.count > 50 { v.add(.offerListing, "listing.name", "is limited to 50 characters (got \(l.name.count))") }
        if containsEmoji(l.name) { v.add(.offerListing, "listing.name", "emojis are not allowed (™ and © are)") }
        // Planning page and most types: ≤ 100; the SaaS listing page's "up to 50" is treated as a typo (spec-portal §11).
        if l.summary.count > o.type.summaryLimit { v.add(.offerListing, "listing.summary", "is limited to \(o.type.summaryLimit) characters (got \(l.summary.count))") }
        if l.summary.contains(where: \.isNewline) { v.add(.offerListing, "listing.summary", "must be one sentence without line breaks") }
        if let s = l.shortDescription, s.count > 256 { v.add(.offerListing, "listing.shortDescription", "is limited to 256 characters (got \(s.count))") }
        if l.description.count > o.type.descriptionLimit {
            v.add(.offerListing, "listing.description", "is limited to \(o.type.descriptionLimit) characters including HTML markup and spaces (got \(l.description.count))")
        }
        for problem in HTMLAllowList.problems(in: l.description) { v.add(.offerListing, "listing.description", problem) }
        if let g = l.gettingStartedInstructions, g.count > 3000 { v.add(.offerListing, "listing.gettingStartedInstructions", "is limited to 3,000 characters (got \(g.count))") }
        if l.keywords.count > 3 { v.add(.offerListing, "listing.keywords", "at most 3 search keywords (got \(l.keywords.count))") }
        for (i, k) in l.keywords.enumerated() where k.isEmpty || k.count > 50 { v.add(.offerListing, "listing.keywords[\(i)]", "must be 1–50 characters") }
        if !l.privacyPolicyURL.isEmpty { checkURL(l.privacyPolicyURL, "listing.privacyPolicyURL", &v, page: .offerListing, httpsOnly: true) }
        for (i, link) in l.usefulLinks.enumerated() {
            if link.title.isEmpty || link.title.count > 255 { v.add(.offerListing, "listing.usefulLinks[\(i)].title", "must be 1–255 characters") }
            checkURL(link.url, "listing.usefulLinks[\(i)].url", &v, page: .offerListing, httpsOnly: true)
        }
        for (name, contact) in [("supportContact", l.supportContact), ("engineeringContact", l.engineeringContact), ("cspContact", l.cspContact)] {
            guard let contact else { continue }
            let f = "listing.\(name)"
            if contact.name.isEmpty { v.add(.offerListing, "\(f).name", "is required") }
            if (try? AccountRules.validateEmail(contact.email)) == nil { v.add(.offerListing, "\(f).email", "'\(contact.email)' is not a valid e-mail address") }
            if !isPhone(contact.phone) { v.add(.offerListing, "\(f).phone", "'\(contact.phone)' is not a phone number (digits, spaces, + - ( ) .)") }
            if let url = contact.url { checkURL(url, "\(f).url", &v, page: .offerListing, httpsOnly: true) }
        }
        if l.supportingDocuments.count > 3 { v.add(.offerListing, "listing.supportingDocuments", "at most three documents") }
        for (i, d) in l.supportingDocuments.enumerated() {
            if d.name.isEmpty { v.add(.offerListing, "listing.supportingDocuments[\(i)].name", "is required") }
            if !d.fileName.lowercased().hasSuffix(".pdf") { v.add(.offerListing, "listing.supportingDocuments[\(i)].fileName", "must be a .PDF file") }
        }
        if let logo = l.largeLogo {
            if !logo.fileName.lowercased().hasSuffix(".png") { v.add(.offerListing, "listing.largeLogo.fileName", "must be a PNG") }
            if !(216...350).contains(logo.width) || !(216...350).contains(logo.height) || logo.width != logo.height {
                v.add(.offerListing, "listing.largeLogo", "must be square, from 216×216 to 350×350 px (got \(logo.width)×\(logo.height))")
            }
        }
        if l.screenshots.count > 5 { v.add(.offerListing, "listing.screenshots", "at most 5 screenshots (got \(l.screenshots.count))") }
        for (i, s) in l.screenshots.enumerated() {
            checkMedia(s.image, "listing.screenshots[\(i)].image", &v)
            if s.caption.isEmpty || s.caption.count > 100 { v.add(.offerListing, "listing.screenshots[\(i)].caption", "must be 1–100 characters") }
        }
        if l.videos.count > 4 { v.add(.offerListing, "listing.videos", "at most 4 videos (got \(l.videos.count))") }
        for (i, video) in l.videos.enumerated() {
            if video.name.isEmpty { v.add(.offerListing, "listing.videos[\(i)].name", "is required") }
            let host = URL(string: video.url)?.host?.lowercased() ?? ""
            let videoHosts = ["youtube.com", "www.youtube.com", "youtu.be", "vimeo.com", "www.vimeo.com", "player.vimeo.com"]
            if !videoHosts.contains(host) || URL(string: video.url)?.scheme != "https" {
                v.add(.offerListing, "listing.videos[\(i)].url", "must be an https YouTube or Vimeo link")
            }
            checkMedia(video.thumbnail, "listing.videos[\(i)].thumbnail", &v)
        }

        // Preview audience (spec-portal §2.8)
        let previewCap = o.type == .saas ? 20 : 100
        if o.previewAudience.count > previewCap { v.add(.previewAudience, "previewAudience", "at most \(previewCap) members (got \(o.previewAudience.count))") }
        for (i, m) in o.previewAudience.enumerated() {
            if o.type == .saas || o.type.stores == [.appSource] {
                if (try? AccountRules.validateEmail(m.id)) == nil { v.add(.previewAudience, "previewAudience[\(i)].id", "'\(m.id)' is not an e-mail address or UPN") }
            } else if !GUIDText.isWellFormed(m.id) {
                v.add(.previewAudience, "previewAudience[\(i)].id", "'\(m.id)' is not an Azure subscription ID (GUID)")
            }
        }

        // Technical configuration (spec-portal §2.9)
        if let t = o.technicalConfiguration {
            if !(o.type == .saas && option == .transact) {
                v.add(.technicalConfiguration, "technicalConfiguration", "applies to transactable SaaS offers only")
            }
            checkURL(t.landingPageURL, "technicalConfiguration.landingPageURL", &v, page: .technicalConfiguration, httpsOnly: true, allowLoopbackHTTP: o.isSandbox)
            if t.landingPageURL.contains("#") { v.add(.technicalConfiguration, "technicalConfiguration.landingPageURL", "must not contain '#'") }
            checkURL(t.connectionWebhookURL, "technicalConfiguration.connectionWebhookURL", &v, page: .technicalConfiguration, httpsOnly: true, allowLoopbackHTTP: o.isSandbox)
            if !GUIDText.isWellFormed(t.aadTenantId) { v.add(.technicalConfiguration, "technicalConfiguration.aadTenantId", "must be a GUID") }
            if !GUIDText.isWellFormed(t.aadAppId) { v.add(.technicalConfiguration, "technicalConfiguration.aadAppId", "must be a GUID") }
        }

        // Dimensions and plans (spec-portal §3)
        if o.dimensions.count > maxDimensions { v.add(.planOverview, "dimensions", "at most \(maxDimensions) dimensions per offer (got \(o.dimensions.count))") }
        var seenDimensions = Set<String>()
        for (i, d) in o.dimensions.enumerated() {
            let f = "dimensions[\(i)]"
            if d.id.isEmpty || d.id.count > 50 || !d.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
                v.add(.planOverview, "\(f).id", "use 1–50 letters, digits, '-', '_' or '.'")
            }
            if !seenDimensions.insert(d.id).inserted { v.add(.planOverview, "\(f).id", "'\(d.id)' is used twice") }
            if d.displayName.isEmpty || d.displayName.count > 50 { v.add(.planOverview, "\(f).displayName", "must be 1–50 characters") }
            if d.unitOfMeasure.isEmpty || d.unitOfMeasure.count > 50 { v.add(.planOverview, "\(f).unitOfMeasure", "must be 1–50 characters") }
        }
        if !o.type.hasPlans && !o.plans.isEmpty { v.add(.planOverview, "plans", "\(o.type.rawValue) offers have no plans") }
        if o.type == .saas && option != .transact && !o.plans.isEmpty {
            v.add(.planOverview, "plans", "a listing-only SaaS offer has no plans (a listing plan and a transactable plan cannot exist in the same offer)")
        }
        if o.plans.count > maxPlans { v.add(.planOverview, "plans", "at most \(maxPlans) plans per offer (got \(o.plans.count))") }
        let privateCount = o.plans.filter { $0.visibility == .private }.count
        if privateCount > maxPrivatePlans { v.add(.planOverview, "plans", "at most \(maxPrivatePlans) private plans (got \(privateCount))") }
        var planIds = Set<String>(), planNames = Set<String>()
        for (i, plan) in o.plans.enumerated() {
            let f = "plans[\(i)]"
            checkIdentifier(plan.id, "\(f).id", &v, page: .planOverview)
            if !planIds.insert(plan.id).inserted { v.add(.planOverview, "\(f).id", "plan ID '\(plan.id)' is used twice") }
            if plan.name.isEmpty || plan.name.count > o.type.planNameLimit { v.add(.planOverview, "\(f).name", "must be 1–\(o.type.planNameLimit) characters") }
            if !planNames.insert(plan.name.lowercased()).inserted { v.add(.planOverview, "\(f).name", "plan names must be unique within the offer") }
            if plan.description.count > o.type.planDescriptionLimit { v.add(.planOverview, "\(f).description", "is limited to \(o.type.planDescriptionLimit) characters (got \(plan.description.count))") }
            checkPlanPricing(plan, offer: o, f, &v)
        }
        return v.issues
    }

    static func checkPlanPricing(_ plan: Plan, offer o: Offer, _ f: String, _ v: inout Issues) {
        if plan.markets.isEmpty || plan.markets.count > maxMarkets { v.add(.planOverview, "\(f).markets", "choose 1–\(maxMarkets) markets") }
        if Set(plan.markets).count != plan.markets.count { v.add(.planOverview, "\(f).markets", "markets are listed twice") }
        for (j, m) in plan.markets.enumerated() where Markets.market(m) == nil { v.add(.planOverview, "\(f).markets[\(j)]", "'\(m)' is not a market") }
        if plan.markets.contains("CN") && ![.free, .byol].contains(plan.pricing.kind) {
            v.add(.planOverview, "\(f).markets", "China allows only Free or BYOL plans")
        }
        if !o.type.allowedPricingModels.contains(plan.pricing.kind) {
            v.add(.planOverview, "\(f).pricing.kind", "\(plan.pricing.kind.rawValue) is not a pricing model of \(o.type.rawValue) plans")
        }
        if plan.pricing.kind == .perUser {
            if let min = plan.pricing.minUsers, min < 1 { v.add(.planOverview, "\(f).pricing.minUsers", "must be at least 1") }
            if let max = plan.pricing.maxUsers, max < plan.pricing.effectiveMinUsers { v.add(.planOverview, "\(f).pricing.maxUsers", "must not be below minUsers") }
        } else if plan.pricing.minUsers != nil || plan.pricing.maxUsers != nil {
            v.add(.planOverview, "\(f).pricing", "user limits apply to per-user plans only")
        }
        let paid = [.flatRate, .perUser].contains(plan.pricing.kind)
        if !paid && !plan.billingTerms.isEmpty { v.add(.planOverview, "\(f).billingTerms", "\(plan.pricing.kind.rawValue) plans have no prices") }
        var terms = Set<TermUnit>()
        for (j, term) in plan.billingTerms.enumerated() {
            let tf = "\(f).billingTerms[\(j)]"
            if !terms.insert(term.termUnit).inserted { v.add(.planOverview, "\(tf).termUnit", "\(term.termUnit.rawValue) is listed twice") }
            if o.type != .saas && term.termUnit != .P1M { v.add(.planOverview, "\(tf).termUnit", "\(o.type.rawValue) plans bill monthly only") }
            if term.termUnit == .P1M && term.paymentOption == .monthly {
                // Same thing for a one-month term; accepted and treated as upfront.
            }
            if term.price.currency != "USD" { v.add(.planOverview, "\(tf).price.currency", "base prices are entered in USD") }
            if term.price.amount < 0 { v.add(.planOverview, "\(tf).price.amount", "must not be negative") }
            for (market, price) in term.marketPrices.sorted(by: { $0.key < $1.key }) {
                guard let m = Markets.market(market), plan.markets.contains(m.code) else {
                    v.add(.planOverview, "\(tf).marketPrices.\(market)", "'\(market)' is not one of the plan's markets"); continue
                }
                if price.currency != m.currency { v.add(.planOverview, "\(tf).marketPrices.\(market).currency", "\(m.name) prices are in \(m.currency)") }
                if price.amount < 0 { v.add(.planOverview, "\(tf).marketPrices.\(market).amount", "must not be negative") }
            }
        }
        let enabledDimensions = plan.dimensions.filter(\.enabled)
        if !plan.dimensions.isEmpty && plan.pricing.kind != .flatRate {
            v.add(.planOverview, "\(f).dimensions", "metered dimensions are allowed only with flat-rate pricing")
        }
        var seen = Set<String>()
        for (j, d) in plan.dimensions.enumerated() {
            let df = "\(f).dimensions[\(j)]"
            if !o.dimensions.contains(where: { $0.id == d.dimensionId }) { v.add(.planOverview, "\(df).dimensionId", "'\(d.dimensionId)' is not a dimension of the offer") }
            if !seen.insert(d.dimensionId).inserted { v.add(.planOverview, "\(df).dimensionId", "'\(d.dimensionId)' is listed twice") }
            if d.pricePerUnit.currency != "USD" { v.add(.planOverview, "\(df).pricePerUnit.currency", "prices per unit are entered in USD") }
            if d.pricePerUnit.amount < 0 { v.add(.planOverview, "\(df).pricePerUnit.amount", "must not be negative") }
            for (name, q) in [("includedMonthly", d.includedMonthly), ("includedAnnual", d.includedAnnual)] {
                if case let .quantity(n) = q, n < 0 { v.add(.planOverview, "\(df).\(name)", "must be 0 or more, or unlimited") }
            }
        }
        if plan.freeTrial {
            if !(o.type == .saas || o.type == .azureVirtualMachine) { v.add(.planOverview, "\(f).freeTrial", "free trials are offered on SaaS and VM plans only") }
            if !enabledDimensions.isEmpty { v.add(.planOverview, "\(f).freeTrial", "a free trial is not compatible with metered dimensions") }
            if !paid { v.add(.planOverview, "\(f).freeTrial", "free trials apply to paid plans") }
        }
        if plan.visibility == .private {
            if !o.type.supportsPrivatePlans { v.add(.planOverview, "\(f).visibility", "\(o.type.rawValue) offers have no private plans") }
            if plan.privateAudience.count > maxPrivateAudience { v.add(.planOverview, "\(f).privateAudience", "at most \(maxPrivateAudience) entries") }
            for (j, a) in plan.privateAudience.enumerated() where !GUIDText.isWellFormed(a.id) {
                v.add(.planOverview, "\(f).privateAudience[\(j)].id", "'\(a.id)' is not a \(o.type.privateAudienceKind == .subscription ? "subscription" : "tenant") ID (GUID)")
            }
        } else if !plan.privateAudience.isEmpty {
            v.add(.planOverview, "\(f).privateAudience", "only private plans have an audience")
        }
    }

    // MARK: Completeness

    /// Required fields missing for Publish, per page.
    public static func completenessIssues(_ o: Offer) -> [ValidationIssue] {
        var v = Issues()
        let option = o.setup.listingOption
        if option == .getItNow && o.type == .saas && (o.setup.offerURL ?? "").isEmpty { v.add(.offerSetup, "setup.offerURL", "is required for Get it now (Free)") }
        if option == .freeTrial && o.type == .saas && (o.setup.trialURL ?? "").isEmpty { v.add(.offerSetup, "setup.trialURL", "is required for a Free trial listing") }
        if o.properties.categories.isEmpty { v.add(.properties, "properties.categories", "choose at least one category") }
        if !o.properties.useStandardContract && (o.properties.termsAndConditions ?? "").isEmpty {
            v.add(.properties, "properties.termsAndConditions", "is required unless the Standard Contract is used")
        }
        let l = o.listing
        if l.name.isEmpty { v.add(.offerListing, "listing.name", "is required") }
        if l.summary.isEmpty { v.add(.offerListing, "listing.summary", "is required") }
        if l.description.isEmpty { v.add(.offerListing, "listing.description", "is required") }
        let needsShort: Set<OfferType> = [.azureManagedApplication, .azureSolutionTemplate, .azureContainer, .iotEdgeModule, .managedService]
        if needsShort.contains(o.type) && (l.shortDescription ?? "").isEmpty { v.add(.offerListing, "listing.shortDescription", "is required") }
        if o.type == .saas && option == .transact && (l.gettingStartedInstructions ?? "").isEmpty {
            v.add(.offerListing, "listing.gettingStartedInstructions", "is required for transactable offers")
        }
        if l.privacyPolicyURL.isEmpty { v.add(.offerListing, "listing.privacyPolicyURL", "is required") }
        if l.supportContact == nil { v.add(.offerListing, "listing.supportContact", "is required") }
        if l.supportContact != nil && (l.supportContact?.url ?? "").isEmpty { v.add(.offerListing, "listing.supportContact.url", "is required") }
        if l.engineeringContact == nil { v.add(.offerListing, "listing.engineeringContact", "is required") }
        if l.supportingDocuments.isEmpty { v.add(.offerListing, "listing.supportingDocuments", "add at least one PDF document") }
        if l.largeLogo == nil { v.add(.offerListing, "listing.largeLogo", "a large logo (PNG, 216–350 px) is required") }
        if l.screenshots.isEmpty { v.add(.offerListing, "listing.screenshots", "add at least one screenshot") }
        if o.type == .saas && option == .transact {
            if o.previewAudience.isEmpty { v.add(.previewAudience, "previewAudience", "add at least one preview audience member") }
            if o.technicalConfiguration == nil { v.add(.technicalConfiguration, "technicalConfiguration", "landing page, webhook, tenant ID and app ID are required") }
        }
        let transactable = option == .transact
        if o.type.hasPlans && (transactable || o.type != .saas) && o.plans.isEmpty { v.add(.planOverview, "plans", "add at least one plan") }
        for (i, plan) in o.plans.enumerated() {
            let paid = [.flatRate, .perUser].contains(plan.pricing.kind)
            if paid && plan.billingTerms.isEmpty { v.add(.planOverview, "plans[\(i)].billingTerms", "a paid plan needs at least one billing term with a price") }
            if o.type == .saas && plan.description.isEmpty { v.add(.planOverview, "plans[\(i)].description", "is required") }
            if plan.visibility == .private && plan.privateAudience.isEmpty { v.add(.planOverview, "plans[\(i)].privateAudience", "a private plan needs at least one tenant ID") }
            for (j, term) in plan.billingTerms.enumerated() {
                for market in plan.markets where term.marketPrices[market] == nil && market != "US"
                    && ExchangeRates.reference.perUSD[Markets.market(market)?.currency ?? ""] == nil {
                    v.add(.planOverview, "plans[\(i)].billingTerms[\(j)].marketPrices.\(market)", "no price for \(market)")
                }
            }
        }
        for (key, value) in requiredTypeSpecific(o.type) where (o.typeSpecific[key] ?? "").isEmpty {
            v.add(.offerSetup, "typeSpecific.\(key)", "is required for \(o.type.rawValue) offers (\(value))")
        }
        return v.issues
    }

    /// Page statuses for "Review and publish".
    public static func pageStatuses(_ o: Offer) -> [ValidationIssue.Page: String] {
        let issues = formatIssues(o) + completenessIssues(o)
        var result: [ValidationIssue.Page: String] = [:]
        for page in ValidationIssue.Page.allCases {
            result[page] = issues.contains { $0.page == page } ? "Incomplete" : "Complete"
        }
        return result
    }

    // MARK: Changes after publish

    /// What the draft may not change relative to the published (live) version (spec-portal §4.6; spec-saas §10.2).
    public static func changeIssues(published p: Offer, draft d: Offer) -> [ValidationIssue] {
        var v = Issues()
        if p.type != d.type { v.add(.offerSetup, "type", "the offer type can't change") }
        if p.alias != d.alias { v.add(.offerSetup, "alias", "the offer alias can't change after Create") }
        if p.setup.listingOption == .transact && d.setup.listingOption != .transact {
            v.add(.offerSetup, "setup.listingOption", "a transactable offer can't become listing-only; create a new offer and stop distribution of this one")
        }
        if p.properties.useStandardContract && !d.properties.useStandardContract {
            v.add(.properties, "properties.useStandardContract", "after publishing with the Standard Contract you can't switch to your own terms")
        }
        for dim in p.dimensions {
            guard let now = d.dimensions.first(where: { $0.id == dim.id }) else {
                v.add(.planOverview, "dimensions", "published dimension '\(dim.id)' can't be removed"); continue
            }
            if now != dim { v.add(.planOverview, "dimensions", "published dimension '\(dim.id)' can't change its name or unit") }
        }
        for old in p.plans {
            guard let (i, plan) = d.plans.enumerated().first(where: { $0.element.id == old.id }) else {
                v.add(.planOverview, "plans", "published plan '\(old.id)' can't be deleted; stop its distribution instead"); continue
            }
            let f = "plans[\(i)]"
            if plan.pricing.kind != old.pricing.kind { v.add(.planOverview, "\(f).pricing.kind", "the pricing model can't change after publish") }
            if old.visibility == .public && plan.visibility == .private { v.add(.planOverview, "\(f).visibility", "a public plan can never become private") }
            if old.freeTrial && !plan.freeTrial { v.add(.planOverview, "\(f).freeTrial", "a published free trial can't be disabled") }
            for term in old.billingTerms where plan.term(term.termUnit) == nil {
                v.add(.planOverview, "\(f).billingTerms", "published billing term \(term.termUnit.rawValue) can't be removed")
            }
            for dim in old.dimensions {
                guard let now = plan.dimensions.first(where: { $0.dimensionId == dim.dimensionId }) else {
                    v.add(.planOverview, "\(f).dimensions", "published dimension '\(dim.dimensionId)' can't be removed from the plan"); continue
                }
                if now.includedMonthly != dim.includedMonthly || now.includedAnnual != dim.includedAnnual || now.enabled != dim.enabled {
                    v.add(.planOverview, "\(f).dimensions", "included quantities and 'enabled' of '\(dim.dimensionId)' are locked once the plan is published")
                }
            }
        }
        return v.issues
    }

    // MARK: Helpers

    static func requiredTypeSpecific(_ type: OfferType) -> [(String, String)] {
        switch type {
        case .consultingService: [("serviceType", "Assessment, Briefing, Implementation, Proof of concept or Workshop"), ("duration", "e.g. 1-Week")]
        case .azureVirtualMachine: [("operatingSystemFamily", "Windows or Linux")]
        case .azureContainer, .iotEdgeModule: [("repository", "the image repository")]
        case .powerBIApp, .powerBIVisual: [("appInstallLink", "the install link")]
        default: []
        }
    }

    struct Issues {
        var issues: [ValidationIssue] = []
        mutating func add(_ page: ValidationIssue.Page, _ field: String, _ message: String) {
            issues.append(ValidationIssue(page, field, message))
        }
    }

    static func checkIdentifier(_ id: String, _ field: String, _ v: inout Issues, page: ValidationIssue.Page) {
        do { try AccountRules.validateIdentifier(id, field: field) } catch let DomainError.invalid(_, reason) {
            v.add(page, field, reason)
        } catch {}
    }

    static func checkURL(_ s: String, _ field: String, _ v: inout Issues, page: ValidationIssue.Page, httpsOnly: Bool, allowLoopbackHTTP: Bool = false) {
        guard let url = URL(string: s), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
              !s.contains(where: \.isWhitespace) else {
            v.add(page, field, "'\(s)' is not a valid URL"); return
        }
        switch scheme {
        case "https": return
        case "http":
            if allowLoopbackHTTP && OutboundURLPolicy.isLoopback(host: host) { return }
            if httpsOnly { v.add(page, field, "must start with https\(allowLoopbackHTTP ? " (http only to loopback for sandbox offers)" : "")") }
        default:
            v.add(page, field, "must be an http or https URL")
        }
    }

    static func checkMedia(_ image: Image, _ field: String, _ v: inout Issues) {
        if !image.fileName.lowercased().hasSuffix(".png") { v.add(.offerListing, "\(field).fileName", "must be a PNG") }
        if image.width != 1280 || image.height != 720 { v.add(.offerListing, field, "must be 1280×720 px (got \(image.width)×\(image.height))") }
    }

    static func isPhone(_ s: String) -> Bool {
        let digits = s.filter(\.isNumber).count
        return (5...32).contains(s.count) && digits >= 5 && s.allSatisfy { $0.isNumber || " +-().".contains($0) }
    }

    static func containsEmoji(_ s: String) -> Bool {
        s.unicodeScalars.contains { scalar in
            if scalar == "™" || scalar == "©" { return false }
            return scalar.properties.isEmojiPresentation || (scalar.properties.isEmoji && scalar.value > 0x2000 && scalar.value != 0x2122)
        }
    }
}
