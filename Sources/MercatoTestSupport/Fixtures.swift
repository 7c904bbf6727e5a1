import Foundation
import MercatoApp
import MercatoCore

/// A publisher account with one user per role, for tests.
public struct AccountFixture: Sendable {
    public var enrollment: AccountService.Enrollment
    public var usersByRole: [Role: PublisherUser]
    public var publisherId: String { enrollment.publisher.id }
    public var ownerPrincipal: Principal {
        Principal(kind: .user, id: enrollment.owner.id, publisherId: publisherId, roles: [.owner])
    }

    public func principal(_ role: Role) -> Principal {
        Principal(kind: .user, id: usersByRole[role]!.id, publisherId: publisherId, roles: [role])
    }

    /// Enrolls `publisherId` and adds one user for each role other than Owner.
    public static func make(_ env: MercatoEnvironment, publisherId: String = "fabrikam") async throws -> AccountFixture {
        let enrollment = try await env.accounts.enroll(
            publisherId: publisherId, name: "\(publisherId) Inc.", ownerEmail: "owner@\(publisherId).example",
            ownerName: "Owner of \(publisherId)", tenantName: "\(publisherId).example")
        let owner = Principal(kind: .user, id: enrollment.owner.id, publisherId: publisherId, roles: [.owner])
        var users: [Role: PublisherUser] = [.owner: enrollment.owner]
        for role in Role.allCases where role != .owner {
            let slug = role.rawValue.lowercased().replacingOccurrences(of: " ", with: "-")
            let (user, _) = try await env.accounts.addUser(
                by: owner, publisherId: publisherId, email: "\(slug)@\(publisherId).example",
                displayName: role.rawValue, roles: [role], context: .system)
            users[role] = user
        }
        return AccountFixture(enrollment: enrollment, usersByRole: users)
    }
}
