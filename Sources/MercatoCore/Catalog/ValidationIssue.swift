/// One problem with an offer document, named by field path (e.g. `plans[1].billingTerms[0].price`) and the page of
/// the offer editor it belongs to, so the portal and the API can report it field by field.
public struct ValidationIssue: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Page: String, Codable, Sendable, CaseIterable {
        case offerSetup = "Offer setup"
        case properties = "Properties"
        case offerListing = "Offer listing"
        case previewAudience = "Preview audience"
        case technicalConfiguration = "Technical configuration"
        case planOverview = "Plan overview"
    }

    public var field: String
    public var message: String
    public var page: Page

    public init(_ page: Page, _ field: String, _ message: String) {
        self.page = page
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// Collected issues, thrown when non-empty.
public struct ValidationFailure: Error, Sendable, Equatable {
    public var issues: [ValidationIssue]

    public init(_ issues: [ValidationIssue]) {
        self.issues = issues
    }
}
