/// The six Partner Center roles (spec-portal §1.9). Raw values are the names the documents use.
public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
    case owner = "Owner"
    case manager = "Manager"
    case developer = "Developer"
    case businessContributor = "Business contributor"
    case financialContributor = "Financial contributor"
    case marketer = "Marketer"

    /// spec-portal §1.9 [003:1669]: "For the Commercial Marketplace program, the Global admin, Business Contributor,
    /// Financial Contributor, and Marketer roles are not used. Assigning these roles to users has no effect."
    /// We keep them as data; their "(if enabled)" grants switch on with `RolePolicy.contributorRolesEnabled`.
    public var isUsedInCommercialMarketplace: Bool {
        switch self {
        case .owner, .manager, .developer: true
        case .businessContributor, .financialContributor, .marketer: false
        }
    }

    /// Administrators for GOV-ACC-01/02 ("at least two admins", "the last Owner can't be removed").
    public var isAdministrator: Bool { self == .owner }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Accepts the documented name in any case, and the Swift case name ("businessContributor").
    public init?(name: String) {
        let folded = name.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "_", with: "")
        guard let role = Role.allCases.first(where: {
            $0.rawValue.lowercased().replacingOccurrences(of: " ", with: "") == folded
        }) else { return nil }
        self = role
    }
}
