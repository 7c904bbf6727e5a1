import Foundation
import MercatoApp
import MercatoCore
import MercatoStorage
import MercatoTestSupport
import Testing

/// ISV → customer private offers (spec-portal §5.2) and their effect on money: the customer pays the discounted price,
/// the store fee and the payout are computed on it; other customers pay list price.
@Suite("Private offers", .serialized)
struct PrivateOfferBillingTests {
    static func date(_ s: String) -> Date { ISO8601DateFormatter().date(from: s)! }

    @Test("an accepted 20% private offer discounts the fee and the usage, only for its customer and only in its months", arguments: TestBackend.available)
    func discount(_ backend: TestBackend) async throws {
        let clock = ManualClock(Self.date("2026-03-10T09:00:00Z"))
        try await withTestEnvironment(backend, clock: clock) { env in
            let demo = try await DemoSeeder(environment: env).run()
            let owner = Principal(kind: .user, id: "owner", publisherId: demo.publisherId, roles: [.owner])
            let marketer = Principal(kind: .user, id: "m", publisherId: demo.publisherId, roles: [.marketer])
            let request = PrivateOfferService.Request(name: "Northwind 2026", offerId: demo.offerId, customerTenantId: demo.customerTenantId,
                                                      planIds: ["silver"], discountPercent: 20, startMonth: "2026-03", endMonth: "2026-04",
                                                      acceptBy: Self.date("2026-03-20T00:00:00Z"))
            await #expect(throws: DomainError.self) { _ = try await env.privateOffers.create(by: marketer, publisherId: demo.publisherId, request, context: .system) }
            var bad = request
            bad.planIds = ["northwind-private"] // private plans can't be in a private offer
            await #expect(throws: DomainError.self) { _ = try await env.privateOffers.create(by: owner, publisherId: demo.publisherId, bad, context: .system) }
            bad = request
            bad.discountPercent = 100
            await #expect(throws: DomainError.self) { _ = try await env.privateOffers.create(by: owner, publisherId: demo.publisherId, bad, context: .system) }
            let offer = try await env.privateOffers.create(by: owner, publisherId: demo.publisherId, request, context: .system)
            #expect(offer.status == .pendingAcceptance)
            // Not accepted yet: list price.
            let before = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver", termUnit: .P1M), context: .system)
            _ = try await env.subscriptions.activate(id: before.subscription.id, publisherId: demo.publisherId, planId: "silver", quantity: nil, context: .system)
            #expect(try await env.billing.repository.charges(subscriptionId: before.subscription.id).map(\.amountMinor) == [4_900])
            _ = try await env.privateOffers.accept(customerTenantId: demo.customerTenantId, id: offer.id, context: .system)
            await #expect(throws: DomainError.self) { _ = try await env.privateOffers.withdraw(by: owner, publisherId: demo.publisherId, id: offer.id, context: .system) }
            let s = try await env.subscriptions.purchase(.init(buyerEmail: demo.customerEmail, offerId: demo.offerId, planId: "silver", termUnit: .P1M), context: .system)
            _ = try await env.subscriptions.activate(id: s.subscription.id, publisherId: demo.publisherId, planId: "silver", quantity: nil, context: .system)
            #expect(try await env.billing.repository.charges(subscriptionId: s.subscription.id).map(\.amountMinor) == [3_920]) // 49.00 × 0.8
            // 1,500 emails, 1,000 included, 500 × $0.01 × 0.8 = $4.00.
            _ = try await env.metering.submit([UsageEventInput(resourceId: s.subscription.id, quantity: 1500, quantityText: "1500", dimension: "emails",
                                                               effectiveStartTime: WireTime.precise(clock.now().addingTimeInterval(-3600)), planId: "silver")],
                                              publisherId: demo.publisherId)
            _ = try await env.clockService!.advance(by: Self.date("2026-04-02T06:00:00Z").timeIntervalSince(clock.now()), context: .system)
            let lines = try await env.billing.repository.charges(subscriptionId: s.subscription.id)
            #expect(lines.filter { $0.kind == .overage }.map(\.amountMinor) == [400])
            // The store fee is 3% of the discounted price (spec-portal §6.2).
            let earning = try #require(try await env.payouts.repository.earnings(publisherId: demo.publisherId).first { $0.chargeKey == lines[0].key })
            #expect(earning.storeFeeMinor == 118 && earning.earningAmountMinor == 3_802)
            // The April renewal is still discounted; after the end month (May) list price returns.
            _ = try await env.clockService!.advance(by: Self.date("2026-05-12T00:00:00Z").timeIntervalSince(clock.now()), context: .system)
            let recurring = try await env.billing.repository.charges(subscriptionId: s.subscription.id).filter { $0.kind == .recurring }.map(\.amountMinor)
            #expect(recurring == [3_920, 3_920, 4_900])
            let listed = try await env.privateOffers.list(by: owner, publisherId: demo.publisherId)
            #expect(listed.map(\.status) == [.ended])
        }
    }
}
