import Foundation

/// One offer document: the content of an offer's draft, preview or live slot (spec-portal §2–§3; Appendix B).
/// Field names are the partner API's wire names.
public struct Offer: Codable, Sendable, Equatable {
    public var id: String
    public var type: OfferType
    public var alias: String
    /// A sandbox offer may point its technical configuration at http://127.0.0.1 (local development).
    public var isSandbox: Bool
    public var setup: OfferSetup
    public var properties: OfferProperties
    public var listing: OfferListing
    public var previewAudience: [AudienceMember]
    public var technicalConfiguration: TechnicalConfiguration?
    /// Offer-level metered dimensions (spec-portal §3.4): ID, name, unit; ≤ 30.
    public var dimensions: [MeteredDimension]
    public var plans: [Plan]
    /// Type-specific fields the documents name (e.g. consulting duration), validated per type.
    public var typeSpecific: [String: String]

    public init(id: String, type: OfferType, alias: String, isSandbox: Bool = false, setup: OfferSetup,
                properties: OfferProperties = OfferProperties(), listing: OfferListing = OfferListing(),
                previewAudience: [AudienceMember] = [], technicalConfiguration: TechnicalConfiguration? = nil,
                dimensions: [MeteredDimension] = [], plans: [Plan] = [], typeSpecific: [String: String] = [:]) {
        self.id = id
        self.type = type
        self.alias = alias
        self.isSandbox = isSandbox
        self.setup = setup
        self.properties = properties
        self.listing = listing
        self.previewAudience = previewAudience
        self.technicalConfiguration = technicalConfiguration
        self.dimensions = dimensions
        self.plans = plans
        self.typeSpecific = typeSpecific
    }

    public func plan(_ id: String) -> Plan? { plans.first { $0.id == id } }
}

public struct OfferSetup: Codable, Sendable, Equatable {
    public var listingOption: ListingOption
    /// "Get it now (Free)": the Offer URL (http/https).
    public var offerURL: String?
    /// "Free trial" listing: the Trial URL (http/https).
    public var trialURL: String?
    public var testDrive: Bool
    /// HTTPS endpoint that receives leads (spec-portal §7.3); optional.
    public var leadEndpointURL: String?

    public init(listingOption: ListingOption, offerURL: String? = nil, trialURL: String? = nil, testDrive: Bool = false, leadEndpointURL: String? = nil) {
        self.listingOption = listingOption
        self.offerURL = offerURL
        self.trialURL = trialURL
        self.testDrive = testDrive
        self.leadEndpointURL = leadEndpointURL
    }

    enum CodingKeys: String, CodingKey { case listingOption, offerURL, trialURL, testDrive, leadEndpointURL }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listingOption = try c.decode(ListingOption.self, forKey: .listingOption)
        offerURL = try c.decodeIfPresent(String.self, forKey: .offerURL)
        trialURL = try c.decodeIfPresent(String.self, forKey: .trialURL)
        testDrive = try c.decodeIfPresent(Bool.self, forKey: .testDrive) ?? false
        leadEndpointURL = try c.decodeIfPresent(String.self, forKey: .leadEndpointURL)
    }
}

public struct CategorySelection: Codable, Sendable, Equatable {
    public var store: Store
    public var category: String
    public var subcategories: [String]

    public init(store: Store, category: String, subcategories: [String] = []) {
        self.store = store
        self.category = category
        self.subcategories = subcategories
    }
}

public struct IndustrySelection: Codable, Sendable, Equatable {
    public var industry: String
    public var verticals: [String]

    public init(industry: String, verticals: [String]) {
        self.industry = industry
        self.verticals = verticals
    }
}

public struct CustomAmendment: Codable, Sendable, Equatable {
    public var terms: String
    public var tenantIds: [String]

    public init(terms: String, tenantIds: [String]) {
        self.terms = terms
        self.tenantIds = tenantIds
    }
}

/// Properties tab (spec-portal §2.6).
public struct OfferProperties: Codable, Sendable, Equatable {
    public var categories: [CategorySelection]
    public var industries: [IndustrySelection]
    public var appVersion: String?
    public var useStandardContract: Bool
    public var universalAmendment: String?
    public var customAmendments: [CustomAmendment]
    /// Own terms when the Standard Contract is not used (≤ 10,000).
    public var termsAndConditions: String?

    public init(categories: [CategorySelection] = [], industries: [IndustrySelection] = [], appVersion: String? = nil,
                useStandardContract: Bool = true, universalAmendment: String? = nil, customAmendments: [CustomAmendment] = [],
                termsAndConditions: String? = nil) {
        self.categories = categories
        self.industries = industries
        self.appVersion = appVersion
        self.useStandardContract = useStandardContract
        self.universalAmendment = universalAmendment
        self.customAmendments = customAmendments
        self.termsAndConditions = termsAndConditions
    }
}

public struct Contact: Codable, Sendable, Equatable {
    public var name: String
    public var email: String
    public var phone: String
    /// Public support URL (support contact only).
    public var url: String?

    public init(name: String, email: String, phone: String, url: String? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.url = url
    }
}

public struct Link: Codable, Sendable, Equatable {
    public var title: String
    public var url: String

    public init(title: String, url: String) {
        self.title = title
        self.url = url
    }
}

/// Media are kept as metadata (file name, pixel size, format); Mercato does not host the files.
public struct Image: Codable, Sendable, Equatable {
    public var fileName: String
    public var width: Int
    public var height: Int

    public init(fileName: String, width: Int, height: Int) {
        self.fileName = fileName
        self.width = width
        self.height = height
    }
}

public struct Screenshot: Codable, Sendable, Equatable {
    public var image: Image
    public var caption: String

    public init(image: Image, caption: String) {
        self.image = image
        self.caption = caption
    }
}

public struct Video: Codable, Sendable, Equatable {
    public var name: String
    public var url: String
    public var thumbnail: Image

    public init(name: String, url: String, thumbnail: Image) {
        self.name = name
        self.url = url
        self.thumbnail = thumbnail
    }
}

public struct Document: Codable, Sendable, Equatable {
    public var name: String
    public var fileName: String

    public init(name: String, fileName: String) {
        self.name = name
        self.fileName = fileName
    }
}

/// Offer listing tab (spec-portal §2.7).
public struct OfferListing: Codable, Sendable, Equatable {
    public var name: String
    public var summary: String
    public var shortDescription: String?
    /// HTML limited to the allowed tags (spec-portal §2.7).
    public var description: String
    public var gettingStartedInstructions: String?
    public var keywords: [String]
    public var privacyPolicyURL: String
    public var usefulLinks: [Link]
    public var supportContact: Contact?
    public var engineeringContact: Contact?
    public var cspContact: Contact?
    public var supportingDocuments: [Document]
    public var largeLogo: Image?
    public var screenshots: [Screenshot]
    public var videos: [Video]

    public init(name: String = "", summary: String = "", shortDescription: String? = nil, description: String = "",
                gettingStartedInstructions: String? = nil, keywords: [String] = [], privacyPolicyURL: String = "",
                usefulLinks: [Link] = [], supportContact: Contact? = nil, engineeringContact: Contact? = nil,
                cspContact: Contact? = nil, supportingDocuments: [Document] = [], largeLogo: Image? = nil,
                screenshots: [Screenshot] = [], videos: [Video] = []) {
        self.name = name
        self.summary = summary
        self.shortDescription = shortDescription
        self.description = description
        self.gettingStartedInstructions = gettingStartedInstructions
        self.keywords = keywords
        self.privacyPolicyURL = privacyPolicyURL
        self.usefulLinks = usefulLinks
        self.supportContact = supportContact
        self.engineeringContact = engineeringContact
        self.cspContact = cspContact
        self.supportingDocuments = supportingDocuments
        self.largeLogo = largeLogo
        self.screenshots = screenshots
        self.videos = videos
    }
}

/// A preview-audience member (MSA/AAD e-mail or UPN) or a private-audience entry (tenant / subscription ID).
public struct AudienceMember: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var description: String?

    public init(id: String, description: String? = nil) {
        self.id = id
        self.description = description
    }
}

/// Technical configuration tab, SaaS transactable only (spec-portal §2.9).
public struct TechnicalConfiguration: Codable, Sendable, Equatable {
    public var landingPageURL: String
    public var connectionWebhookURL: String
    public var aadTenantId: String
    public var aadAppId: String

    public init(landingPageURL: String, connectionWebhookURL: String, aadTenantId: String, aadAppId: String) {
        self.landingPageURL = landingPageURL
        self.connectionWebhookURL = connectionWebhookURL
        self.aadTenantId = aadTenantId
        self.aadAppId = aadAppId
    }
}

public struct MeteredDimension: Codable, Sendable, Equatable {
    public var id: String
    public var displayName: String
    public var unitOfMeasure: String

    public init(id: String, displayName: String, unitOfMeasure: String) {
        self.id = id
        self.displayName = displayName
        self.unitOfMeasure = unitOfMeasure
    }
}
