import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// Account settings (spec-portal §1, §6): users and roles (the last Owner is protected by `AccountRules` inside the write
/// transaction), groups, API applications (the secret shown once, rotation), payout and tax profiles.
extension PortalController {
    func addAccountRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/portal/account/users") { r, _ in try await page(r, .manageUsers) { try await usersPage($0, values: [:], errors: [:]) } }
        for verb in ["add", "roles", "remove", "groups", "groups/member"] {
            router.post("/portal/account/users/\(verb)") { r, _ in
                try await action(r, .manageUsers, current: "/portal/account/users") { u, form in
                    try await formAction(u, form, current: "/portal/account/users", page: { try await usersPage(u, values: form, errors: $0) }) { try await changeUsers(u, verb, form) }
                }
            }
        }
        router.get("/portal/account/apps") { r, _ in try await page(r, .manageUsers) { try await appsPage($0, values: [:], errors: [:]) } }
        router.post("/portal/account/apps") { r, _ in
            try await action(r, .manageUsers, current: "/portal/account/apps") { u, form in
                var issued: IssuedClientSecret?
                let response = try await formAction(u, form, current: "/portal/account/apps", page: { try await appsPage(u, values: form, errors: $0) }) {
                    guard let role = Role(name: form["role"] ?? "") else { throw DomainError.invalid(field: "role", reason: "choose a role") }
                    issued = try await services.accounts.createApplication(by: u.principal, publisherId: u.publisherId, name: (form["name"] ?? "").trimmingCharacters(in: .whitespaces),
                                                                           roles: [role], context: u.audit)
                    return ""
                }
                guard let issued else { return response }
                return render(withChrome(u, try await appsPage(u, values: [:], errors: [:], issued: issued), current: "/portal/account/apps"), status: .created)
            }
        }
        router.post("/portal/account/apps/{clientId}/rotate") { r, c in
            try await action(r, .manageUsers, current: "/portal/account/apps") { u, _ in
                let clientId = c.parameters.get("clientId") ?? ""
                guard let app = try await services.accounts.repository.application(clientId: clientId), app.publisherId == u.publisherId else {
                    throw DomainError.notFound(kind: "application", id: clientId)
                }
                // Rotation with overlap: the new secret and the newest old one stay valid; older ones are revoked.
                let issued = try await services.accounts.addSecret(by: u.principal, clientId: clientId, keepLatest: 2, context: u.audit)
                return render(withChrome(u, try await appsPage(u, values: [:], errors: [:], issued: issued), current: "/portal/account/apps"))
            }
        }
        router.post("/portal/account/apps/{clientId}/secrets/{secretId}/revoke") { r, c in
            try await action(r, .manageUsers, current: "/portal/account/apps") { u, _ in
                let clientId = c.parameters.get("clientId") ?? ""
                guard let app = try await services.accounts.repository.application(clientId: clientId), app.publisherId == u.publisherId else {
                    throw DomainError.notFound(kind: "application", id: clientId)
                }
                try await services.accounts.revokeSecret(by: u.principal, clientId: clientId, secretId: c.parameters.get("secretId") ?? "", context: u.audit)
                return Self.redirect("/portal/account/apps", done: "removed")
            }
        }
        router.get("/portal/account/payout") { r, _ in try await page(r, .managePayoutAndTax) { try await payoutProfilePage($0, values: [:], errors: [:]) } }
        for verb in ["tax", "account", "hold"] {
            router.post("/portal/account/payout/\(verb)") { r, _ in
                try await action(r, .managePayoutAndTax, current: "/portal/account/payout") { u, form in
                    try await formAction(u, form, current: "/portal/account/payout", page: { try await payoutProfilePage(u, values: form, errors: $0) }) {
                        let p = services.payouts
                        switch verb {
                        case "tax": _ = try await p.setTaxProfile(publisherId: u.publisherId, country: form["countryOfResidence"] ?? "", entityType: form["entityType"] ?? "",
                                                                   form: form["taxForm"] ?? "", context: u.audit)
                        case "account": _ = try await p.setPayoutAccount(publisherId: u.publisherId, method: form["method"] ?? "", holder: form["accountHolderName"] ?? "",
                                                                          country: form["country"] ?? "", currency: form["currency"] ?? "",
                                                                          accountNumber: (form["accountNumber"] ?? "").replacingOccurrences(of: " ", with: ""), context: u.audit)
                        default: _ = try await p.setHold(publisherId: u.publisherId, hold: form["hold"] == "yes", context: u.audit)
                        }
                        return "/portal/account/payout"
                    }
                }
            }
        }
    }

    /// Runs a form's use case: on success redirects to the path it returns (303, "saved"); a `DomainError.invalid` comes
    /// back as a field error on the same page, anything else the domain refuses as a banner on it.
    func formAction(_ u: PortalUser, _ form: [String: String], current: String, page: ([String: String]) async throws -> PortalPage,
                    _ run: () async throws -> String) async throws -> Response {
        do {
            let next = try await run()
            return next.isEmpty ? Response(status: .ok) : Self.redirect(next, done: "saved")
        } catch let e as DomainError {
            var errors: [String: String] = [:]
            var failure: String?
            if case let .invalid(field, reason) = e { errors[field] = reason.prefix(1).uppercased() + reason.dropFirst() + "." } else { failure = Self.message(e) }
            var model = try await page(errors)
            model.chrome = chrome(u, current: current)
            model.failure = failure ?? "Please correct the fields marked below."
            if case .forbidden = e { return render(model, status: .forbidden) }
            return render(model, status: .badRequest)
        }
    }

    // MARK: Users, roles, groups

    func usersPage(_ u: PortalUser, values: [String: String], errors: [String: String]) async throws -> PortalPage {
        let repo = services.accounts.repository
        let users = try await repo.users(publisherId: u.publisherId)
        let groups = try await repo.groups(publisherId: u.publisherId)
        let snapshot = try await repo.snapshot(publisherId: u.publisherId)
        let warnings = try await services.accounts.warnings(publisherId: u.publisherId)
        let roleOptions = Role.allCases.map { ($0.rawValue, $0.rawValue + ($0.isUsedInCommercialMarketplace ? "" : " (no effect in the marketplace)")) }
        let userOptions = users.map { ($0.id, "\($0.displayName) <\($0.email)>") }
        var blocks: [Block] = warnings.map { .text("⚠ \($0.message)") }
        blocks.append(.table(Table(id: "users", columns: ["Name", "E-mail", "Own roles", "Effective roles", ""], rows: users.map { user in
            Row([Cell(user.displayName), Cell(user.email), Cell(snapshot.roles(of: .user(user.id)).sorted().map(\.rawValue).joined(separator: ", ")),
                 Cell(snapshot.effectiveRoles(ofUser: user.id).sorted().map(\.rawValue).joined(separator: ", ")),
                 Cell("", actions: user.id == u.principal.id ? [] : [ButtonForm(action: "/portal/account/users/remove", label: "Remove", csrf: u.csrf,
                                                                                 id: "remove-\(user.id)", danger: true, hidden: [Hidden("userId", user.id)])])],
                id: "user-\(user.email)")
        }, empty: "No users.")))
        blocks.append(.heading("Add a user"))
        blocks.append(.form(Form(id: "add-user", action: "/portal/account/users/add", csrf: u.csrf, fields: [
            Field("email", "E-mail", value: values["email"] ?? "", type: "email", error: errors["email"]),
            Field("displayName", "Name", value: values["displayName"] ?? "", error: errors["displayName"]),
            .select("role", "Role", options: roleOptions, selected: values["role"] ?? Role.developer.rawValue, error: errors["role"]),
            Field("password", "Initial password (at least \(PasswordSignIn.minimumPasswordLength) characters; tell them to change it)", type: "password",
                  error: errors["password"]),
        ], submit: "Add user")))
        blocks.append(.heading("Change a role"))
        blocks.append(.form(Form(id: "change-role", action: "/portal/account/users/roles", csrf: u.csrf, fields: [
            .select("userId", "User", options: userOptions, selected: values["userId"] ?? "", error: errors["userId"]),
            .select("role", "Role", options: roleOptions, selected: values["role"] ?? "", error: errors["role"]),
            .select("change", "Change", options: [("assign", "Assign the role"), ("unassign", "Take the role away")], selected: values["change"] ?? "assign"),
        ], submit: "Apply")))
        blocks.append(.heading("Groups"))
        blocks.append(.table(Table(id: "groups", columns: ["Group", "Roles", "Members"], rows: groups.map { g in
            Row([Cell(g.name), Cell(snapshot.roles(of: .group(g.id)).sorted().map(\.rawValue).joined(separator: ", ")),
                 Cell(g.memberIds.compactMap { id in users.first { $0.id == id }?.email }.joined(separator: ", "))], id: "group-\(g.id)")
        }, empty: "No groups. Members of a group get its roles.")))
        blocks.append(.form(Form(id: "create-group", action: "/portal/account/users/groups", csrf: u.csrf, fields: [
            Field("name", "New group name", value: values["name"] ?? "", error: errors["name"]),
            .select("role", "Role of the group", options: roleOptions, selected: values["role"] ?? Role.developer.rawValue),
        ], submit: "Create group")))
        if !groups.isEmpty {
            blocks.append(.form(Form(id: "group-member", action: "/portal/account/users/groups/member", csrf: u.csrf, fields: [
                .select("groupId", "Group", options: groups.map { ($0.id, $0.name) }, selected: values["groupId"] ?? ""),
                .select("userId", "User", options: userOptions, selected: values["userId"] ?? ""),
                .select("change", "Change", options: [("add", "Add to the group"), ("remove", "Remove from the group")], selected: "add"),
            ], submit: "Update membership")))
        }
        return PortalPage(title: "Users & roles", chrome: nil, blocks: blocks)
    }

    func changeUsers(_ u: PortalUser, _ verb: String, _ form: [String: String]) async throws -> String {
        let a = services.accounts
        let role = { () throws -> Role in
            guard let r = Role(name: form["role"] ?? "") else { throw DomainError.invalid(field: "role", reason: "choose a role") }
            return r
        }
        switch verb {
        case "add":
            let password = form["password"] ?? ""
            guard password.count >= PasswordSignIn.minimumPasswordLength else {
                throw DomainError.invalid(field: "password", reason: "use at least \(PasswordSignIn.minimumPasswordLength) characters")
            }
            let (user, _) = try await a.addUser(by: u.principal, publisherId: u.publisherId, email: (form["email"] ?? "").trimmingCharacters(in: .whitespaces),
                                                displayName: (form["displayName"] ?? "").trimmingCharacters(in: .whitespaces), roles: [try role()], context: u.audit)
            try await security.signIn.setPassword(email: user.email, scope: u.publisherId, password: password, context: u.audit, clock: services.clock)
        case "roles":
            let principal = PrincipalRef.user(form["userId"] ?? "")
            if form["change"] == "unassign" {
                _ = try await a.unassignRole(by: u.principal, publisherId: u.publisherId, from: principal, role: try role(), context: u.audit)
            } else {
                _ = try await a.assignRole(by: u.principal, publisherId: u.publisherId, to: principal, role: try role(), context: u.audit)
            }
        case "remove":
            _ = try await a.removeUser(by: u.principal, publisherId: u.publisherId, userId: form["userId"] ?? "", context: u.audit)
        case "groups":
            _ = try await a.createGroup(by: u.principal, publisherId: u.publisherId, name: (form["name"] ?? "").trimmingCharacters(in: .whitespaces),
                                        roles: [try role()], memberIds: [], context: u.audit)
        default:
            _ = try await a.changeGroupMembership(by: u.principal, publisherId: u.publisherId, groupId: form["groupId"] ?? "", userId: form["userId"] ?? "",
                                                  add: form["change"] != "remove", context: u.audit)
        }
        return "/portal/account/users"
    }

    // MARK: API applications

    func appsPage(_ u: PortalUser, values: [String: String], errors: [String: String], issued: IssuedClientSecret? = nil) async throws -> PortalPage {
        let repo = services.accounts.repository
        let apps = try await repo.applications(publisherId: u.publisherId)
        let snapshot = try await repo.snapshot(publisherId: u.publisherId)
        let now = services.clock.now()
        var blocks: [Block] = []
        if let issued {
            blocks.append(.secret(Secret(label: "Client secret of \(issued.application.name) (client ID \(issued.application.clientId), tenant \(issued.application.tenantId)):",
                                         value: issued.secret, id: "new-secret")))
        }
        var rows: [Row] = []
        for app in apps {
            let secrets = try await repo.secrets(clientId: app.clientId)
            let active = secrets.filter { $0.isActive(at: now) }
            rows.append(Row([Cell(app.name), Cell(app.clientId), Cell(app.tenantId),
                             Cell(snapshot.roles(of: .app(app.clientId)).sorted().map(\.rawValue).joined(separator: ", ")),
                             Cell(active.map { "\($0.hint) (expires \(PortalFormat.day($0.expiresAt)))" }.joined(separator: "; ").ifEmpty("none active"),
                                  actions: active.map { s in ButtonForm(action: "/portal/account/apps/\(app.clientId)/secrets/\(s.id)/revoke", label: "Revoke \(s.hint)",
                                                                        csrf: u.csrf, id: "revoke-\(s.id)", danger: true) }),
                             Cell("", actions: [ButtonForm(action: "/portal/account/apps/\(app.clientId)/rotate", label: "New secret", csrf: u.csrf,
                                                           id: "rotate-\(app.clientId)")])], id: "app-\(app.clientId)"))
        }
        blocks.append(.table(Table(id: "apps", columns: ["Name", "Client ID", "Tenant ID", "Roles", "Active secrets", ""], rows: rows,
                                   empty: "No API applications. Create one to call the SaaS Fulfillment and Metering APIs.")))
        blocks.append(.heading("Create an API application"))
        blocks.append(.form(Form(id: "create-app", action: "/portal/account/apps", csrf: u.csrf, fields: [
            Field("name", "Name", value: values["name"] ?? "", error: errors["name"]),
            .select("role", "Role", options: [Role.manager, .developer, .owner].map { ($0.rawValue, $0.rawValue) }, selected: values["role"] ?? Role.manager.rawValue,
                    error: errors["role"]),
        ], submit: "Create application")))
        return PortalPage(title: "API applications", chrome: nil, blocks: blocks)
    }

    // MARK: Payout and tax

    func payoutProfilePage(_ u: PortalUser, values: [String: String], errors: [String: String]) async throws -> PortalPage {
        let s = try await services.payouts.settings(publisherId: u.publisherId)
        var blocks: [Block] = [
            .facts([
                Fact("Tax profile", s.tax.map { "\($0.taxForm.rawValue), \($0.countryOfResidence), \($0.entityType) — withholding \($0.withholdingPercent)%" } ?? "not submitted",
                     id: "tax-profile"),
                Fact("Payout account", s.account.map { "\($0.method.rawValue) ••••\($0.accountNumberLast4), \($0.accountHolderName), \($0.currency)" } ?? "not submitted",
                     id: "payout-account"),
                Fact("Hold my payment", s.hold ? "On" : "Off", id: "payout-hold"),
                Fact("Payouts", s.blocker?.message ?? "Ready to be paid", id: "payout-state"),
            ]),
            .heading("Tax profile"),
            .form(Form(id: "tax-form", action: "/portal/account/payout/tax", csrf: u.csrf, fields: [
                Field("countryOfResidence", "Country of residence (two letters)", value: values["countryOfResidence"] ?? s.tax?.countryOfResidence ?? "",
                      error: errors["countryOfResidence"]),
                Field("entityType", "Entity type (e.g. Company, Individual)", value: values["entityType"] ?? s.tax?.entityType ?? "", error: errors["entityType"]),
                .select("taxForm", "Tax form", options: TaxProfile.Form.allCases.map { ($0.rawValue, $0.rawValue) },
                        selected: values["taxForm"] ?? s.tax?.taxForm.rawValue ?? "W-9", error: errors["taxForm"], hint: "US persons file W-9; everyone else a W-8 form."),
            ], submit: "Submit tax profile")),
            .heading("Payout account"),
            .form(Form(id: "account-form", action: "/portal/account/payout/account", csrf: u.csrf, fields: [
                .select("method", "Method", options: PayoutAccount.Method.allCases.map { ($0.rawValue, $0.rawValue) }, selected: values["method"] ?? "Bank",
                        error: errors["method"]),
                Field("accountHolderName", "Account holder name", value: values["accountHolderName"] ?? "", error: errors["accountHolderName"]),
                Field("country", "Country of the account (two letters)", value: values["country"] ?? "", error: errors["country"]),
                Field("currency", "Currency (e.g. USD)", value: values["currency"] ?? "", error: errors["currency"]),
                Field("accountNumber", "Account number or IBAN", error: errors["accountNumber"], hint: "Stored as a hash plus its last four characters."),
            ], submit: "Save payout account")),
        ]
        blocks.append(.form(Form(id: "hold-form", action: "/portal/account/payout/hold", csrf: u.csrf, fields: [
            .checkbox("hold", "Hold my payment (earnings keep accruing and are paid when released)", checked: s.hold),
        ], submit: "Save hold setting")))
        return PortalPage(title: "Payout & tax profiles", chrome: nil, blocks: blocks)
    }
}
