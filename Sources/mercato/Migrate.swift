import ArgumentParser
import MercatoApp
import MercatoStorage

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and list the applied versions.",
        discussion: "Migrations are numbered and append-only; `serve` applies them on start as well.")

    @OptionGroup var storage: StorageOptions

    func run() async throws {
        let configuration = try storage.configuration()
        try await withEnvironment(configuration) { env in
            let versions = try await Migrator.appliedVersions(env.db)
            print("database \(configuration.database): schema at version \(versions.last ?? 0) (\(versions.count) migrations applied)")
        }
    }
}
