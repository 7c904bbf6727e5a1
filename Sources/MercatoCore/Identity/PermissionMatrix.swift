/// The derived permission matrix of spec-portal §1.9, kept as data: one cell per (role, permission).
public enum Grant: String, Sendable, Equatable {
    /// ✓ in the matrix.
    case allowed
    /// "(if enabled)": granted only when `RolePolicy.contributorRolesEnabled` is on.
    case ifEnabled
    /// ✗ or – in the matrix.
    case denied
}

public enum PermissionMatrix {
    /// spec-portal §1.9 "(derived) permission matrix for our implementation". Columns in `Role.allCases` order:
    /// Owner, Manager, Developer, Business contributor, Financial contributor, Marketer.
    public static func grant(_ role: Role, _ permission: Permission) -> Grant {
        let row: [Grant]
        switch permission {
        case .manageUsers, .manageTenants, .addPublishers:
            row = [.allowed, .allowed, .denied, .denied, .denied, .denied]
        case .manageOffers, .managePrivateOffers:
            row = [.allowed, .allowed, .allowed, .denied, .denied, .denied]
        case .setPricing:
            // "Offers: ... Business contrib. (pricing only, if enabled)"
            row = [.allowed, .allowed, .allowed, .ifEnabled, .denied, .denied]
        case .managePayoutAndTax:
            // GOV-RB-02: Managers cannot access tax or payout settings; Developers neither.
            row = [.allowed, .denied, .denied, .denied, .ifEnabled, .denied]
        case .viewPayoutReports:
            row = [.allowed, .denied, .denied, .ifEnabled, .ifEnabled, .denied]
        case .viewAnalytics:
            row = [.allowed, .allowed, .allowed, .allowed, .allowed, .allowed]
        case .respondToReviews:
            row = [.allowed, .allowed, .denied, .denied, .denied, .ifEnabled]
        case .acceptAgreements:
            row = [.allowed, .denied, .denied, .denied, .denied, .denied]
        }
        return row[Role.allCases.firstIndex(of: role)!]
    }
}

/// Switches for the matrix's conditional cells.
public struct RolePolicy: Sendable, Equatable {
    /// Whether Business contributor, Financial contributor and Marketer get their "(if enabled)" grants.
    /// Off by default: [003:1669] says assigning these roles "has no effect" in the commercial marketplace program.
    public var contributorRolesEnabled: Bool

    public init(contributorRolesEnabled: Bool = false) {
        self.contributorRolesEnabled = contributorRolesEnabled
    }

    public static let `default` = RolePolicy()
}
