import ArgumentParser
import MercatoAPI
import Foundation
import MercatoApp
import MercatoCore
import MercatoWeb

struct BillingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "Billing runs, invoices and payout reports.",
        subcommands: [Run.self, Invoice.self, Report.self, Payouts.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close every billing month that has ended on the marketplace clock, then run due payout dates.",
            discussion: "Idempotent: a closed month is never billed twice. With --period, runs (or shows) that month only.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "A month to close, e.g. 2026-11 (it must be over).") var period: String?

        func run() async throws {
            let summaries = try await withEnvironment(try storage.configuration(), quiet: true) { env -> [BillingRunSummary] in
                do {
                    if let period {
                        guard let p = BillingPeriod(period) else { throw ValidationError("'\(period)' is not a month like 2026-11") }
                        let s = try await env.billing.run(p)
                        try await env.billingScheduler.runDue()
                        return [s]
                    }
                    let ran = try await env.billing.runDue()
                    try await env.billingScheduler.runDue()
                    return ran
                } catch let error as BillingService.BillingError {
                    throw ValidationError(error.description)
                }
            }
            if summaries.isEmpty { print("nothing to bill: no month has ended since the last run") }
            for s in summaries {
                print("\(s.period): \(s.ranNow ? "closed" : "already closed")  charges \(s.charges)  invoices \(s.invoices)  collected \(s.collected)  earnings \(s.earnings)  usage events rated \(s.usageEventsRated)")
            }
        }
    }

    struct Invoice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a customer's invoice as JSON, or as a printable HTML page.")
        @OptionGroup var storage: StorageOptions
        @Argument(help: "Invoice ID, e.g. INV-202611-1A2B3C4D5E.") var id: String
        @Flag(help: "Print the printable HTML page.") var html = false

        func run() async throws {
            let invoice = try await withEnvironment(try storage.configuration(), quiet: true) { env in
                do { return try await env.billing.invoice(id: id) } catch let e as DomainError { throw ValidationError(e.description) }
            }
            if html { print(try PageRenderer().invoice(InvoicePage(invoice))) } else { try printJSON(InvoiceView(invoice)) }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The transaction-to-payout report of a publisher, as CSV (default) or JSON.")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Publisher ID.") var publisher: String
        @Flag(help: "Print JSON instead of CSV.") var json = false

        func run() async throws {
            let rows = try await withEnvironment(try storage.configuration(), quiet: true) { try await $0.payoutReports.transactions(publisherId: publisher) }
            if json {
                print(OrderedJSON.array(rows.map { r in .object(r.values.map { ($0.0, .string($0.1)) }) }).text)
            } else {
                print(TransactionReport.csv(rows), terminator: "")
            }
        }
    }

    struct Payouts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A publisher's payout statements (payments and carried-forward months).")
        @OptionGroup var storage: StorageOptions
        @Option(help: "Publisher ID.") var publisher: String

        func run() async throws {
            let list = try await withEnvironment(try storage.configuration(), quiet: true) { try await $0.payouts.statements(publisherId: publisher) }
            try printJSON(list)
        }
    }
}
