import Testing
@testable import MercatoCore

@Suite("Account rules (GOV-ACC-01/02)")
struct AccountRulesTests {
    let snapshot = AccountSnapshot(
        userIds: ["alice", "bob", "carol"],
        groupMembers: ["admins": ["bob"]],
        assignments: [
            RoleAssignment(principal: .user("alice"), role: .owner),
            RoleAssignment(principal: .group("admins"), role: .owner),
            RoleAssignment(principal: .user("carol"), role: .developer),
        ])

    @Test("group roles count: bob is an administrator through his group")
    func effectiveRoles() {
        #expect(snapshot.effectiveRoles(ofUser: "bob") == [.owner])
        #expect(snapshot.administrators == ["alice", "bob"])
        #expect(snapshot.effectiveRoles(ofUser: "nobody").isEmpty)
    }

    @Test("removing one of two Owners is allowed and warns about the single admin left")
    func removeOneOfTwo() throws {
        let warnings = try AccountRules.check(.removeUser(id: "alice"), on: snapshot)
        #expect(warnings.map(\.code) == ["GOV-ACC-01"])
    }

    @Test("the last Owner can't be removed, demoted, ungrouped or have their group deleted", arguments: [
        AccountChange.removeUser(id: "bob"),
        .removeGroupMember(groupId: "admins", userId: "bob"),
        .removeGroup(id: "admins"),
        .unassignRole(.group("admins"), .owner),
    ])
    func lastOwnerProtected(_ change: AccountChange) throws {
        let single = snapshot.applying(.removeUser(id: "alice"))
        #expect(single.administrators == ["bob"])
        #expect(throws: DomainError.conflict(reason: "at least one administrator required: the last Owner of the account can't be removed or demoted")) {
            try AccountRules.check(change, on: single)
        }
    }

    @Test("changes that keep an Owner pass; two Owners give no warning")
    func harmlessChanges() throws {
        #expect(try AccountRules.check(.unassignRole(.user("carol"), .developer), on: snapshot).isEmpty)
        #expect(try AccountRules.check(.assignRole(.user("carol"), .owner), on: snapshot).isEmpty)
        let one = snapshot.applying(.removeUser(id: "alice"))
        #expect(AccountRules.warnings(for: one).count == 1)
        #expect(AccountRules.warnings(for: one.applying(.assignRole(.user("carol"), .owner))).isEmpty)
    }

    @Test("publisher IDs: lowercase letters, digits, - and _, at most 50")
    func publisherIds() throws {
        try AccountRules.validatePublisherId("contoso_ltd-2")
        try AccountRules.validatePublisherId(String(repeating: "a", count: 50))
        #expect(throws: DomainError.self) { try AccountRules.validatePublisherId(String(repeating: "a", count: 51)) }
        #expect(throws: DomainError.self) { try AccountRules.validatePublisherId("Contoso") }
        #expect(throws: DomainError.self) { try AccountRules.validatePublisherId("con toso") }
        #expect(throws: DomainError.self) { try AccountRules.validatePublisherId("") }
    }

    @Test("e-mail addresses", arguments: [
        ("a@b.co", true), ("first.last@contoso.example", true), ("no-at.example", false), ("a@b", false),
        ("a b@c.de", false), ("@c.de", false), ("a@.de", false), ("a@b.de.", false), ("<a>@b.de", false),
    ])
    func emails(_ pair: (String, Bool)) {
        let valid = (try? AccountRules.validateEmail(pair.0)) != nil
        #expect(valid == pair.1)
    }
}
