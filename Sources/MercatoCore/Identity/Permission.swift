/// Capabilities the portal and APIs check. One row each of the derived permission matrix in spec-portal §1.9,
/// with "Offers" split into offer work and pricing because Business contributor may "set pricing details" only.
public enum Permission: String, CaseIterable, Codable, Sendable {
    /// Users / groups / apps / roles.
    case manageUsers = "users.manage"
    /// Tenants (associate, create, remove).
    case manageTenants = "tenants.manage"
    /// Publishers (add).
    case addPublishers = "publishers.add"
    /// Offers: create / edit / submit / go-live / stop.
    case manageOffers = "offers.manage"
    /// Plan prices (part of the offer pages; the only offer capability of Business contributor).
    case setPricing = "offers.pricing"
    /// Private offers.
    case managePrivateOffers = "privateOffers.manage"
    /// Payout & tax profiles, payout hold (GOV-RB-02).
    case managePayoutAndTax = "payout.manage"
    /// Payout reports.
    case viewPayoutReports = "payout.reports"
    /// Analytics (non-financial).
    case viewAnalytics = "analytics.view"
    /// Respond to reviews.
    case respondToReviews = "reviews.respond"
    /// Accept agreements (Owner, "authorized to act on your company's behalf").
    case acceptAgreements = "agreements.accept"
}
