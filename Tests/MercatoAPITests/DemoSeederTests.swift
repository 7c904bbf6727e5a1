import MercatoApp
import MercatoCore
import MercatoTestSupport
import Testing

@Suite("mercato demo")
struct DemoSeederTests {
    @Test("is idempotent and issues a fresh, working secret each run", arguments: TestBackend.available)
    func idempotent(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let first = try await DemoSeeder(environment: env).run()
            let second = try await DemoSeeder(environment: env).run()
            #expect(first.created && !second.created)
            #expect(first.publisherId == "contoso" && second.publisherId == first.publisherId)
            #expect(first.clientId == second.clientId && first.tenantId == second.tenantId)
            #expect(first.clientSecret != second.clientSecret)
            #expect(first.baseUrl == env.configuration.baseURL)
            #expect(first.warnings.isEmpty) // two Owners: no GOV-ACC-01 warning
            #expect(try await env.accounts.authenticate(clientId: first.clientId, secret: first.clientSecret) != nil)
            #expect(try await env.accounts.authenticate(clientId: second.clientId, secret: second.clientSecret) != nil)
            let third = try await DemoSeeder(environment: env).run()
            #expect(try await env.accounts.authenticate(clientId: first.clientId, secret: first.clientSecret) == nil)
            #expect(try await env.accounts.authenticate(clientId: third.clientId, secret: third.clientSecret) != nil)
            #expect(try await env.accounts.repository.applications(publisherId: "contoso").count == 1)
            #expect(try await env.audit.verify().isIntact)
            // issue 4: a live SaaS offer with a metered flat-rate plan, a per-user plan and a private plan.
            #expect(first.offerId == "contoso-analytics" && third.offerId == first.offerId)
            let models = Dictionary(uniqueKeysWithValues: first.plans.map { ($0.planId, $0.pricingModel) })
            #expect(models["silver"] == "FlatRate" && models["per-seat"] == "PerUser")
            #expect(first.plans.first { $0.planId == "silver" }?.dimensions?.first?.includedMonthly == "1000")
            #expect(first.plans.contains { $0.visibility == "Private" })
            let record = try await env.catalog.repository.offer(publisherId: "contoso", offerId: "contoso-analytics")
            #expect(record?.state.status == .live)
        }
    }
}
