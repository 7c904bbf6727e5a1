import ArgumentParser
import Foundation
import MercatoApp
import MercatoCore

struct PurchaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purchase",
        abstract: "Buy a plan of a live SaaS offer as a customer (for scripted tests).",
        discussion: """
        Creates a PendingFulfillmentStart subscription and prints the landing page URL with its marketplace token.
        With --json: {"subscriptionId", "token", "landingPageUrl", ...}; with --count N, a JSON array of N.
        """)

    @OptionGroup var storage: StorageOptions
    @Option(help: "Offer ID.") var offer: String
    @Option(help: "Plan ID.") var plan: String
    @Option(help: "Seats (per-user plans).") var quantity: Int?
    @Option(help: "Buyer e-mail (a customer user; created in a new tenant when unknown).") var customer = "buyer@northwind.example"
    @Option(help: "Billing term: P1M, P1Y, P2Y, P3Y, P4Y or P5Y (default: the plan's first).") var term: String?
    @Option(help: "Market (country code).") var market = "US"
    @Option(help: "How many subscriptions to buy.") var count = 1
    @Flag(inversion: .prefixedNo, help: "Renew automatically at the end of the term.") var autoRenew = true
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let termUnit = try term.map { value -> TermUnit in
            guard let unit = TermUnit(rawValue: value.uppercased()) else { throw ValidationError("--term must be P1M, P1Y, P2Y, P3Y, P4Y or P5Y") }
            return unit
        }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be 1…10000") }
        struct Output: Encodable { var subscriptionId: String; var token: String; var landingPageUrl: String; var offerId: String; var planId: String; var status: String }
        let purchases: [Output]
        do {
            purchases = try await withEnvironment(try storage.configuration(), quiet: true) { env in
                if try await env.accounts.repository.customerUser(email: customer.lowercased()) == nil {
                    let domain = customer.split(separator: "@").last.map(String.init) ?? "customer"
                    _ = try await env.accounts.registerCustomer(tenantId: nil, name: domain, userEmail: customer, userName: customer, context: .cli("purchase"))
                }
                var out: [Output] = []
                for _ in 0..<count {
                    let p = try await env.subscriptions.purchase(.init(buyerEmail: customer, offerId: offer, planId: plan, quantity: quantity,
                                                                       termUnit: termUnit, autoRenew: autoRenew, market: market), context: .cli("purchase"))
                    out.append(Output(subscriptionId: p.subscription.id, token: p.token, landingPageUrl: p.landingPageURL, offerId: p.subscription.offerId,
                                      planId: p.subscription.planId, status: p.subscription.status.rawValue))
                }
                return out
            }
        } catch let error as DomainError {
            throw ValidationError(error.description)
        } catch let refusal as TransitionRefusal {
            throw ValidationError(refusal.message)
        }
        if json {
            if count == 1 { try printJSON(purchases[0]) } else { try printJSON(purchases) }
        } else {
            for p in purchases { print("\(p.subscriptionId)  \(p.status)  \(p.landingPageUrl)") }
        }
    }
}
