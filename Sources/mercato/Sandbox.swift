import ArgumentParser
import Foundation
import MercatoApp
import MercatoCore

struct Clock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The marketplace clock (sandbox time travel).",
        subcommands: [Show.self, Advance.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the marketplace's current time and offset.")
        @OptionGroup var storage: StorageOptions

        func run() async throws {
            try await withEnvironment(try storage.configuration(), quiet: true) { env in
                let offset = (env.clock as? AdjustableClock)?.currentOffset ?? 0
                print("marketplace time \(ISO8601DateFormatter().string(from: env.clock.now()))  (offset \(Int(offset)) s)")
            }
        }
    }

    struct Advance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the marketplace clock forward and fire everything due on the way, in time order, exactly once.",
            discussion: "Durations: 45s, 90m, 2h, 31d, 2w, 1mo, 1y. Running servers adopt the new time within a second.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "How far to move, e.g. 31d.") var duration: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let configuration = try storage.configuration()
            guard configuration.sandbox else { throw ValidationError("time travel needs sandbox mode (MERCATO_SANDBOX=true)") }
            let (now, fired) = try await withEnvironment(configuration, quiet: true) { env -> (Date, [SubscriptionOperation]) in
                guard let clock = env.clockService else { throw ValidationError("this clock can't move") }
                do {
                    let result = try await clock.advance(by: try clock.duration(duration), context: .cli("clock advance"))
                    return (result.now, result.fired)
                } catch let error as DomainError {
                    throw ValidationError(error.description)
                }
            }
            if json {
                struct Out: Encodable { var now: Date; var fired: [FulfillmentWire.OperationDTO] }
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(Out(now: now, fired: fired.map { FulfillmentWire.OperationDTO($0) })), as: UTF8.self))
            } else {
                print("marketplace time is now \(ISO8601DateFormatter().string(from: now)); \(fired.count) event(s) fired")
                for op in fired { print("  \(op.action.rawValue) \(op.status.rawValue)  subscription \(op.subscriptionId)") }
            }
        }
    }
}

struct Faults: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fault injection for a publisher's tests: failing or slow /api calls and webhooks.",
        subcommands: [List.self, Add.self, Clear.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a publisher's fault rules.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Publisher ID.") var publisher: String

        func run() async throws {
            let rules = try await withEnvironment(try storage.configuration(), quiet: true) { try await $0.faults.rules(publisherId: publisher) }
            try printJSON(rules)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a fault rule.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Publisher ID.") var publisher: String
        @Option(help: "api or webhook.") var scope: String
        @Option(help: "HTTP status to answer (api: 429/500/503; webhook: simulated 4xx/5xx).") var status: Int?
        @Option(help: "Added latency in milliseconds.") var latency: Int?
        @Flag(help: "Webhook deliveries time out.") var timeout = false
        @Option(help: "Share of matching calls, 1–100.") var percent = 100
        @Option(help: "API: only paths starting with this.") var route: String?
        @Option(help: "Webhook: only this offer.") var offer: String?

        func run() async throws {
            guard let s = FaultRule.Scope(rawValue: scope.capitalized) else { throw ValidationError("--scope must be api or webhook") }
            let configuration = try storage.configuration()
            guard configuration.sandbox else { throw ValidationError("fault injection needs sandbox mode (MERCATO_SANDBOX=true)") }
            let rule = try await withEnvironment(configuration, quiet: true) { env -> FaultRule in
                guard try await env.accounts.repository.publisher(id: publisher) != nil else { throw ValidationError("no publisher \(publisher)") }
                let rule = FaultRule(id: env.ids.uuidString(), publisherId: publisher, scope: s, routePrefix: route, offerId: offer, statusCode: status,
                                     latencyMilliseconds: latency, timeout: timeout, percent: percent, createdAt: env.clock.now())
                do { try rule.validate() } catch let error as DomainError { throw ValidationError(error.description) }
                try await env.faults.add(rule, audit: AuditContext.cli("faults add").entry(ids: env.ids, clock: env.clock, publisherId: publisher,
                                                                                            action: "fault.add", targetType: "fault", targetId: rule.id))
                return rule
            }
            try printJSON(rule)
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove all of a publisher's fault rules.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Publisher ID.") var publisher: String

        func run() async throws {
            let n = try await withEnvironment(try storage.configuration(), quiet: true) { env in
                try await env.faults.clear(publisherId: publisher, audit: AuditContext.cli("faults clear").entry(
                    ids: env.ids, clock: env.clock, publisherId: publisher, action: "fault.clear", targetType: "fault", targetId: "*"))
            }
            print("removed \(n) fault rule(s)")
        }
    }
}

struct Webhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The webhook delivery log.",
        subcommands: [List.self, Replay.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries with every attempt.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Publisher ID.") var publisher: String
        @Option(help: "Only this subscription.") var subscription: String?

        func run() async throws {
            let rows = try await withEnvironment(try storage.configuration(), quiet: true) { env -> [(WebhookDelivery, [WebhookAttempt])] in
                var out: [(WebhookDelivery, [WebhookAttempt])] = []
                for d in try await env.webhooks.deliveries(publisherId: publisher, subscriptionId: subscription, limit: 1000) {
                    out.append((d, try await env.webhooks.attempts(deliveryId: d.id)))
                }
                return out
            }
            for (d, attempts) in rows {
                print("\(d.id)  \(d.action.rawValue)  \(d.status.rawValue)  subscription \(d.subscriptionId)  \(attempts.count) attempt(s)")
                for a in attempts {
                    print("    #\(a.number) \(ISO8601DateFormatter().string(from: a.at))  \(a.statusCode.map { "HTTP \($0)" } ?? a.error ?? "-")  \(a.latencyMilliseconds) ms\(a.injectedFault.map { "  [injected \($0)]" } ?? "")")
                }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a delivery again for an immediate attempt.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "Delivery ID.") var id: String

        func run() async throws {
            let d = try await withEnvironment(try storage.configuration(), quiet: true) { env in
                try await env.webhooks.replay(id: id, now: env.clock.now(), audit: AuditContext.cli("webhooks replay").entry(
                    ids: env.ids, clock: env.clock, publisherId: nil, action: "webhook.replay", targetType: "webhookDelivery", targetId: id))
            }
            print("delivery \(d.id) queued for replay")
        }
    }
}
