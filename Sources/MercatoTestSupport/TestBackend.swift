import Foundation
import Logging
import MercatoApp
import MercatoCore
import MercatoStorage
import PostgresKit

/// The databases a repository test runs on: SQLite always; PostgreSQL when `MERCATO_TEST_POSTGRES_URL` is set.
public enum TestBackend: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// The backends available in this run.
    public static var available: [TestBackend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    public static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["MERCATO_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }
}

/// A fresh, migrated database of one backend: a temp SQLite file, or a new PostgreSQL database created for the
/// test and dropped afterwards.
public struct TestDatabase: Sendable {
    public let location: DatabaseLocation
    let cleanup: @Sendable () async throws -> Void

    public static func make(_ backend: TestBackend) async throws -> TestDatabase {
        switch backend {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mercato-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return TestDatabase(location: .sqlite(path: dir.appendingPathComponent("test.sqlite").path)) {
                try? FileManager.default.removeItem(at: dir)
            }
        case .postgres:
            guard let admin = TestBackend.postgresURL, var components = URLComponents(string: admin) else {
                throw DomainError.invalid(field: "MERCATO_TEST_POSTGRES_URL", reason: "is not set")
            }
            let name = "mercato_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            try await Self.adminExecute(admin, "CREATE DATABASE \(name)")
            components.path = "/\(name)"
            return TestDatabase(location: .postgres(url: components.string!)) {
                try await Self.adminExecute(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
    }

    public func drop() async throws {
        try await cleanup()
    }

    static func adminExecute(_ url: String, _ statement: String) async throws {
        let db = try await Database.open(.postgres(url: url), logger: Logger(label: "test-admin"), readConnections: 1)
        do {
            try await db.sql.raw(SQLQueryString(statement)).run()
        } catch {
            try? await db.close()
            throw error
        }
        try await db.close()
    }
}

/// Builds the real application environment on a fresh test database, runs `body`, and tears everything down.
public func withTestEnvironment<R>(
    _ backend: TestBackend = .sqlite,
    clock: any MarketplaceClock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000)),
    tokenClock: any MarketplaceClock = SystemClock(),
    probe: any URLProbe = FakeProbe(),
    configure: (inout MercatoConfiguration) -> Void = { _ in },
    _ body: (MercatoEnvironment) async throws -> R
) async throws -> R {
    let database = try await TestDatabase.make(backend)
    var configuration = MercatoConfiguration(database: database.location, logLevel: .warning)
    configuration.runWorkers = false // tests run the workers by hand, deterministically
    configuration.passwordRounds = 1000 // the minimum: tests sign in often; production default is 210,000
    configure(&configuration)
    var logger = Logger(label: "mercato-test")
    logger.logLevel = .warning
    let env = try await MercatoEnvironment.open(configuration, logger: logger, clock: clock, tokenClock: tokenClock, probe: probe)
    do {
        let result = try await body(env)
        try await env.close()
        try await database.drop()
        return result
    } catch {
        try? await env.close()
        try? await database.drop()
        throw error
    }
}
