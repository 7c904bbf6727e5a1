import Testing
@testable import MercatoCore

/// The derived matrix of spec-portal §1.9, transcribed from the digest's table as text, and checked cell by cell
/// against the one authorisation function. ✓ allowed, ✗/– denied, E "(if enabled)".
@Suite("Permission matrix (spec-portal §1.9)")
struct PermissionMatrixTests {
    //                          Owner Manager Developer BusinessC FinancialC Marketer
    static let table: [(Permission, String)] = [
        (.manageUsers,          "✓ ✓ – – – –"),
        (.manageTenants,        "✓ ✓ – – – –"),
        (.addPublishers,        "✓ ✓ – – – –"),
        (.manageOffers,         "✓ ✓ ✓ – – –"),
        (.setPricing,           "✓ ✓ ✓ E – –"),
        (.managePrivateOffers,  "✓ ✓ ✓ – – –"),
        (.managePayoutAndTax,   "✓ ✗ ✗ – E –"),
        (.viewPayoutReports,    "✓ ✗ ✗ E E –"),
        (.viewAnalytics,        "✓ ✓ ✓ ✓ ✓ ✓"),
        (.respondToReviews,     "✓ ✓ – – – E"),
        (.acceptAgreements,     "✓ – – – – –"),
    ]

    static let roleOrder: [Role] = [.owner, .manager, .developer, .businessContributor, .financialContributor, .marketer]

    struct Cell: Sendable, CustomStringConvertible {
        var role: Role
        var permission: Permission
        var symbol: String
        var description: String { "\(role.rawValue) × \(permission.rawValue) = \(symbol)" }
    }

    static let cells: [Cell] = table.flatMap { permission, row in
        zip(roleOrder, row.split(separator: " ").map(String.init)).map { Cell(role: $0, permission: permission, symbol: $1) }
    }

    @Test("the table covers every role and every permission")
    func tableIsComplete() {
        #expect(Set(Self.table.map(\.0)) == Set(Permission.allCases))
        #expect(Self.cells.count == Role.allCases.count * Permission.allCases.count)
    }

    @Test("each cell, with contributor roles off (the default) and on", arguments: cells)
    func cell(_ cell: Cell) {
        let principal = Principal(kind: .user, id: "u1", publisherId: "contoso", roles: [cell.role])
        let off = Authorization.decide(principal, cell.permission, publisherId: "contoso", policy: .default)
        let on = Authorization.decide(principal, cell.permission, publisherId: "contoso", policy: RolePolicy(contributorRolesEnabled: true))
        switch cell.symbol {
        case "✓":
            #expect(off.allowed && on.allowed)
        case "E":
            #expect(!off.allowed && on.allowed)
        default:
            #expect(!off.allowed && !on.allowed)
        }
    }

    @Test("a Manager cannot open payout and tax settings; a Developer cannot see payout reports (GOV-RB-02)")
    func documentedRefusals() {
        let manager = Principal(kind: .user, id: "m", publisherId: "contoso", roles: [.manager])
        let developer = Principal(kind: .user, id: "d", publisherId: "contoso", roles: [.developer])
        #expect(throws: DomainError.self) { try Authorization.require(manager, .managePayoutAndTax, publisherId: "contoso") }
        #expect(throws: DomainError.self) { try Authorization.require(developer, .viewPayoutReports, publisherId: "contoso") }
        #expect(throws: Never.self) { try Authorization.require(developer, .manageOffers, publisherId: "contoso") }
        let decision = Authorization.decide(manager, .managePayoutAndTax, publisherId: "contoso")
        #expect(decision.reason == "requires role Owner")
        #expect(decision.grantingRoles == [.owner])
    }

    @Test("roles combine: a Developer who is also in a Manager group may manage users")
    func unionOfRoles() {
        let both = Principal(kind: .user, id: "x", publisherId: "contoso", roles: [.developer, .manager])
        #expect(Authorization.decide(both, .manageUsers, publisherId: "contoso").allowed)
        #expect(!Authorization.decide(both, .managePayoutAndTax, publisherId: "contoso").allowed)
    }

    @Test("an Owner of one publisher is refused on another publisher's account")
    func crossPublisher() {
        let owner = Principal(kind: .user, id: "o", publisherId: "contoso", roles: [.owner])
        let decision = Authorization.decide(owner, .viewAnalytics, publisherId: "fabrikam")
        #expect(!decision.allowed)
        #expect(decision.reason.contains("another publisher"))
    }

    @Test("a principal with no roles is refused everything")
    func noRoles() {
        let nobody = Principal(kind: .app, id: "a", publisherId: "contoso", roles: [])
        for permission in Permission.allCases {
            #expect(!Authorization.decide(nobody, permission, publisherId: "contoso").allowed)
        }
    }

    @Test("role names parse as the documents write them")
    func roleNames() {
        #expect(Role(name: "Business contributor") == .businessContributor)
        #expect(Role(name: "financial_contributor") == .financialContributor)
        #expect(Role(name: "OWNER") == .owner)
        #expect(Role(name: "Marketing contributor") == nil) // spec-portal §1.9: that role does not exist
    }
}
