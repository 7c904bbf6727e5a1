import ArgumentParser
import Foundation
import Logging
import MercatoApp
import MercatoCore
import MercatoAuth

/// Benchmark helpers (bench/run): data sets too large to create through HTTP in reasonable time.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark helpers: seed large synthetic data sets.",
        subcommands: [SeedBilling.self])

    struct SeedBilling: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seed-billing",
            abstract: "Seed a database for `mercato billing run`: last month's subscriptions and usage.",
            discussion: """
            On an empty database: the demo publisher, --customers customers, --subscriptions Silver subscriptions purchased \
            and activated through the real services on the 1st of last month (marketplace time), and --events usage events \
            (100 hours per subscription, 20 emails each) written through the usage repository in group commits, skipping \
            the API's 24-hour rule. Then `mercato billing run` closes last month.
            """)
        @OptionGroup var storage: StorageOptions
        @Option(help: "Subscriptions.") var subscriptions = 10_000
        @Option(help: "Usage events in all.") var events = 1_000_000
        @Option(help: "Customers the subscriptions are spread over.") var customers = 100

        func run() async throws {
            let configuration = try storage.configuration()
            let lastMonth = BillingPeriod(containing: Date()).previous
            let clock = ManualClock(lastMonth.start.addingTimeInterval(3600))
            var logger = Logger(label: "mercato-bench")
            logger.logLevel = .warning
            let env = try await MercatoEnvironment.open(configuration, logger: logger, clock: clock)
            do {
                let demo = try await DemoSeeder(environment: env).run()
                var emails: [String] = []
                for i in 0..<customers {
                    let email = "bench\(i)@customer\(i).example"
                    if try await env.accounts.repository.customerUser(email: email) == nil {
                        _ = try await env.accounts.registerCustomer(tenantId: nil, name: "Bench customer \(i)", userEmail: email, userName: "Buyer \(i)", context: .cli("bench"))
                    }
                    emails.append(email)
                }
                let started = Date()
                var ids: [String] = []
                for i in 0..<subscriptions {
                    let p = try await env.subscriptions.purchase(.init(buyerEmail: emails[i % emails.count], offerId: demo.offerId, planId: "silver", termUnit: .P1M), context: .cli("bench"))
                    _ = try await env.subscriptions.activate(id: p.subscription.id, publisherId: demo.publisherId, planId: "silver", quantity: nil, context: .cli("bench"))
                    ids.append(p.subscription.id)
                }
                let purchased = Date()
                let perSubscription = max(1, events / max(subscriptions, 1))
                let firstHour = Int64(clock.now().timeIntervalSince1970 / 3600) + 1
                let azure = MeteringService.azureSubscriptionId(tenantId: "bench", digest: SHA256Hex.digest)
                var batch: [UsageRecord] = []
                var written = 0
                for (n, id) in ids.enumerated() {
                    for j in 0..<perSubscription where written + batch.count < events {
                        let hour = firstHour + Int64((n + j * 7) % (24 * 25))
                        let at = Date(timeIntervalSince1970: TimeInterval(hour * 3600))
                        batch.append(UsageRecord(usageEventId: UUID().uuidString.lowercased(), hour: hour, resourceId: id, resourceUri: nil, dimension: "emails",
                                                 quantity: 20, quantityText: "20", effectiveStartTime: WireTime.precise(at), effectiveAt: at, planId: "silver",
                                                 publisherId: demo.publisherId, offerId: demo.offerId, messageTime: at, azureSubscriptionId: azure))
                        if batch.count == 5_000 {
                            _ = try await env.metering.usage.insert(batch)
                            written += batch.count
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                }
                if !batch.isEmpty { _ = try await env.metering.usage.insert(batch); written += batch.count }
                let done = Date()
                print("seeded \(subscriptions) subscriptions in \(String(format: "%.1f", purchased.timeIntervalSince(started))) s and \(written) usage events in \(String(format: "%.1f", done.timeIntervalSince(purchased))) s; period to bill: \(lastMonth)")
                try await env.close()
            } catch {
                try? await env.close()
                throw error
            }
        }
    }
}
