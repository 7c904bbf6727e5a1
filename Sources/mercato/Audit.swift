import ArgumentParser
import Foundation
import MercatoApp

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the hash-chained audit log.",
        subcommands: [Verify.self, List.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the audit chain; exits 1 and names each edited or deleted record if it was tampered with.")

        @OptionGroup var storage: StorageOptions

        func run() async throws {
            let configuration = try storage.configuration()
            let result = try await withEnvironment(configuration, quiet: true) { env in try await env.audit.verify() }
            if result.isIntact {
                print("audit log intact: \(result.recordCount) records verified")
            } else {
                print("audit log TAMPERED: \(result.problems.count) problem(s) in \(result.recordCount) records")
                for problem in result.problems { print("  - \(problem)") }
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print audit records as JSON lines.")

        @OptionGroup var storage: StorageOptions
        @Option(help: "Only this publisher's records.") var publisher: String?
        @Option(help: "Maximum number of records.") var limit = 100

        func run() async throws {
            let configuration = try storage.configuration()
            let records = try await withEnvironment(configuration, quiet: true) { env in
                try await env.audit.records(publisherId: publisher, afterSequence: 0, limit: limit)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            for record in records { print(String(decoding: try encoder.encode(record), as: UTF8.self)) }
        }
    }
}
