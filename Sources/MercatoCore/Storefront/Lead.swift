import Foundation

/// A lead (spec-portal §7): a customer's contact details and what they did, for the publisher's sales team.
public struct Lead: Codable, Sendable, Equatable {
    /// spec-portal §7.4: the `UserDetails` object; any field may be missing.
    public struct UserDetails: Codable, Sendable, Equatable {
        public var FirstName, LastName, Email, Phone, Country, Company, Title: String?

        public init(FirstName: String? = nil, LastName: String? = nil, Email: String? = nil, Phone: String? = nil, Country: String? = nil,
                    Company: String? = nil, Title: String? = nil) {
            self.FirstName = FirstName; self.LastName = LastName; self.Email = Email; self.Phone = Phone
            self.Country = Country; self.Company = Company; self.Title = Title
        }
    }

    public enum DeliveryStatus: String, Codable, Sendable { case pending = "Pending", delivered = "Delivered", failed = "Failed", notConfigured = "NoEndpoint" }

    public var id: String
    public var publisherId: String
    public var offerId: String
    public var offerTitle: String
    /// spec-portal §7.1: PLT for Contact me, INS for a purchase (a free trial is an INS with a description saying so).
    public var actionCode: String
    /// spec-portal §7.2: "Source-Action | publisherid.offerid".
    public var leadSource: String
    public var description: String
    public var userDetails: UserDetails
    public var createdAt: Date
    public var status: DeliveryStatus
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Date?
    public var endpoint: String?

    public init(id: String, publisherId: String, offerId: String, offerTitle: String, actionCode: String, description: String,
                userDetails: UserDetails, createdAt: Date, endpoint: String?) {
        self.id = id
        self.publisherId = publisherId
        self.offerId = offerId
        self.offerTitle = offerTitle
        self.actionCode = actionCode
        self.leadSource = "AzureMarketplace-\(actionCode) | \(publisherId).\(offerId)"
        self.description = description
        // spec-portal §7.1: leads from .edu addresses carry no personal data.
        let edu = userDetails.Email?.lowercased().hasSuffix(".edu") == true
        self.userDetails = edu ? UserDetails(Country: userDetails.Country) : userDetails
        self.createdAt = createdAt
        self.endpoint = endpoint
        self.status = endpoint == nil ? .notConfigured : .pending
        self.attempts = 0
        self.nextAttemptAt = endpoint == nil ? nil : createdAt
    }

    /// The HTTPS endpoint body of spec-portal §7.4 (`UserDetails`, `LeadSource`, `ActionCode`, `OfferTitle`, `Description`).
    public var endpointPayload: String {
        struct Body: Encodable {
            var UserDetails: Lead.UserDetails
            var LeadSource: String
            var ActionCode: String
            var OfferTitle: String
            var Description: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(Body(UserDetails: userDetails, LeadSource: leadSource, ActionCode: actionCode, OfferTitle: offerTitle,
                                             Description: description))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Retry schedule for the HTTPS endpoint: 1 min, doubling, for 24 hours (spec-portal §7.4, derived).
    public static func retryDelay(afterAttempt n: Int) -> TimeInterval { min(60 * pow(2, Double(max(0, n - 1))), 3600) }
    public static let retryWindow: TimeInterval = 24 * 3600
}

public protocol LeadRepository: Sendable {
    func insert(_ lead: Lead) async throws
    func leads(publisherId: String, limit: Int) async throws -> [Lead]
    /// Leads due for delivery, each claimed for `lease` seconds so two replicas never post the same lead at once.
    func claimDue(now: Date, lease: TimeInterval, limit: Int) async throws -> [Lead]
    func update(_ lead: Lead) async throws
}

/// The Contact me form's fields, as typed, and its checks (field-level errors for the page).
public struct ContactRequest: Sendable {
    public var firstName, lastName, email, company, country, phone, title: String
    public var consent: Bool

    public init(firstName: String, lastName: String, email: String, company: String, country: String, phone: String, title: String, consent: Bool) {
        self.firstName = firstName; self.lastName = lastName; self.email = email; self.company = company
        self.country = country; self.phone = phone; self.title = title; self.consent = consent
    }

    public func validate() -> [String: String] {
        var errors: [String: String] = [:]
        func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
        if trimmed(firstName).isEmpty { errors["firstName"] = "Enter your first name." }
        if trimmed(lastName).isEmpty { errors["lastName"] = "Enter your last name." }
        if !ContactRequest.looksLikeEmail(trimmed(email)) { errors["email"] = "Enter an e-mail address like name@example.com." }
        if trimmed(company).isEmpty { errors["company"] = "Enter your company." }
        let c = trimmed(country).uppercased()
        if c.count != 2 || !c.allSatisfy({ $0.isASCII && $0.isLetter }) { errors["country"] = "Choose your country (two letters, e.g. US)." }
        if !trimmed(phone).isEmpty && !trimmed(phone).allSatisfy({ $0.isNumber || " +-()".contains($0) }) { errors["phone"] = "Use digits, spaces, +, - and brackets only." }
        if !consent { errors["consent"] = "Tick the box to let the publisher contact you." }
        for (field, value) in [("firstName", firstName), ("lastName", lastName), ("email", email), ("company", company), ("phone", phone), ("title", title)]
        where value.count > 200 { errors[field] = "Use at most 200 characters." }
        return errors
    }

    public static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && s.count <= 254 && !s.contains(where: { $0.isWhitespace })
    }

    var details: Lead.UserDetails {
        func v(_ s: String) -> String? { let t = s.trimmingCharacters(in: .whitespacesAndNewlines); return t.isEmpty ? nil : t }
        return Lead.UserDetails(FirstName: v(firstName), LastName: v(lastName), Email: v(email)?.lowercased(), Phone: v(phone),
                                Country: v(country)?.uppercased(), Company: v(company), Title: v(title))
    }
}

/// Creates leads (Contact me, purchases) and lists them for the publisher.
public struct LeadService: Sendable {
    public let repository: any LeadRepository
    public let catalog: any CatalogRepository
    public let clock: any MarketplaceClock
    public let ids: any IDGenerator

    public init(repository: any LeadRepository, catalog: any CatalogRepository, clock: any MarketplaceClock, ids: any IDGenerator) {
        self.repository = repository
        self.catalog = catalog
        self.clock = clock
        self.ids = ids
    }

    /// Contact me: a PLT lead. Throws `ValidationFailure`-like field errors via the returned dictionary.
    public func contact(publisherId: String, offerId: String, _ request: ContactRequest) async throws -> (Lead?, [String: String]) {
        let errors = request.validate()
        guard errors.isEmpty else { return (nil, errors) }
        let lead = try await create(publisherId: publisherId, offerId: offerId, action: "PLT", description: "Contact me on the storefront",
                                    details: request.details)
        return (lead, [:])
    }

    /// A purchase (or free trial) on the storefront: an INS lead with what the buyer's directory says about them.
    public func purchased(_ s: Subscription, buyerName: String, freeTrial: Bool) async throws {
        let parts = buyerName.split(separator: " ", maxSplits: 1).map(String.init)
        _ = try await create(publisherId: s.publisherId, offerId: s.offerId, action: "INS",
                             description: freeTrial ? "Free trial of plan \(s.planId)" : "Subscribed to plan \(s.planId)",
                             details: Lead.UserDetails(FirstName: parts.first, LastName: parts.count > 1 ? parts[1] : nil, Email: s.beneficiary.emailId,
                                                       Country: s.market))
    }

    func create(publisherId: String, offerId: String, action: String, description: String, details: Lead.UserDetails) async throws -> Lead {
        guard let record = try await catalog.offer(publisherId: publisherId, offerId: offerId), let live = record.live ?? record.preview else {
            throw DomainError.notFound(kind: "offer", id: offerId)
        }
        let lead = Lead(id: ids.uuidString(), publisherId: publisherId, offerId: offerId, offerTitle: live.listing.name, actionCode: action,
                        description: description, userDetails: details, createdAt: clock.now(), endpoint: live.setup.leadEndpointURL)
        try await repository.insert(lead)
        return lead
    }

    public func leads(publisherId: String) async throws -> [Lead] { try await repository.leads(publisherId: publisherId, limit: 1000) }
}
