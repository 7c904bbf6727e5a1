@preconcurrency import AsyncKit
import Foundation
import Logging
import MercatoCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit

/// The one storage handle of the application: SQLKit over SQLite (default) or PostgreSQL.
///
/// Reads go to `sql` (a pool; on SQLite in WAL mode readers never wait for the writer). Writes go through
/// `write { }`, a transaction on one session. On SQLite all writes share one connection, so they are serialised
/// (SQLite has one writer anyway); on PostgreSQL they take pooled connections and rely on row locks.
public final class Database: Sendable {
    public enum Kind: String, Sendable { case sqlite, postgres }

    public let kind: Kind
    public let location: DatabaseLocation
    /// For reads.
    public let sql: any SQLDatabase
    private let writer: any SQLDatabase
    /// SQLite only: orders the general writer with `usageWriter`, the usage events' own connection.
    let writeGate: WriteGate?
    let usageWriter: SQLiteUsageWriter?
    private let shutdownHandlers: @Sendable () async throws -> Void
    private let closed = NIOLockedValueBox(false)

    private init(kind: Kind, location: DatabaseLocation, sql: any SQLDatabase, writer: any SQLDatabase, writeGate: WriteGate? = nil,
                 usageWriter: SQLiteUsageWriter? = nil, shutdown: @escaping @Sendable () async throws -> Void) {
        self.writeGate = writeGate
        self.usageWriter = usageWriter
        self.kind = kind
        self.location = location
        self.sql = sql
        self.writer = writer
        self.shutdownHandlers = shutdown
    }

    /// Opens (and for SQLite creates) the database. Does not migrate; see `Migrator`.
    public static func open(_ location: DatabaseLocation, logger: Logger, readConnections: Int = 4) async throws -> Database {
        switch location {
        case let .sqlite(path):
            let url = URL(fileURLWithPath: path)
            let dir = url.deletingLastPathComponent()
            if !FileManager.default.fileExists(atPath: dir.path) {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            }
            let source = MercatoSQLiteSource(path: url.path)
            let group = MultiThreadedEventLoopGroup.singleton
            let writerPool = EventLoopConnectionPool(source: source, maxConnections: 1, requestTimeout: .seconds(30), pruneInterval: nil,
                                                     logger: logger, on: group.any())
            let readerPool = EventLoopConnectionPool(source: source, maxConnections: readConnections, requestTimeout: .seconds(30), pruneInterval: nil,
                                                     logger: logger, on: group.any())
            let writer = SQLitePoolDatabase(pool: writerPool, logger: logger).sql(queryLogLevel: .trace)
            let reader = SQLitePoolDatabase(pool: readerPool, logger: logger).sql(queryLogLevel: .trace)
            // Touch the writer once so the file and WAL mode exist before anything reads.
            try await writer.raw("SELECT 1").run()
            let gate = WriteGate()
            let usageWriter = SQLiteUsageWriter(path: url.path, gate: gate)
            return Database(kind: .sqlite, location: location, sql: reader, writer: writer, writeGate: gate, usageWriter: usageWriter) {
                usageWriter.stop()
                try await readerPool.close().get()
                try await writerPool.close().get()
            }
        case let .postgres(url):
            let configuration = try SQLPostgresConfiguration(url: url)
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: configuration),
                maxConnectionsPerEventLoop: max(2, readConnections), requestTimeout: .seconds(30),
                pruneInterval: .seconds(60), logger: logger, on: MultiThreadedEventLoopGroup.singleton)
            let db = pool.database(logger: logger).sql(queryLogLevel: .trace)
            do {
                try await db.raw("SELECT 1").run()
            } catch {
                try? await pool.shutdownAsync()
                throw StorageError.unreachable(location.description, String(reflecting: error))
            }
            return Database(kind: .postgres, location: location, sql: db, writer: db) {
                try await pool.shutdownAsync()
            }
        }
    }

    /// Runs `body` in one transaction on one session; commits when it returns, rolls back when it throws.
    public func write<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        // A write transaction holds the database's write lock across all its awaits. At the callers' priority, every
        // await queues behind the reads on the concurrency pool, so under a read-heavy load one transaction held the
        // lock for tens of milliseconds and every other writer waited (docs/architecture.md, "Usage events on SQLite"). At high
        // priority its jobs go to their own queue. It runs to the end even if the caller is cancelled: a transaction
        // either commits or rolls back, never stops halfway.
        try await Task(priority: .high) { try await self.transaction(body) }.value
    }

    private func transaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        await writeGate?.acquire()
        defer { writeGate?.release() }
        return try await writer.withSession { session in
            try await session.raw(self.kind == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
            do {
                let result = try await body(session)
                try await session.raw("COMMIT").run()
                return result
            } catch {
                try? await session.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// `FOR UPDATE` where the dialect has row locks (PostgreSQL); SQLite's transactions are already exclusive.
    public var forUpdate: String { kind == .postgres ? " FOR UPDATE" : "" }

    /// For the process that serves the database: on SQLite, take the usage writer's lock file now, so a second server
    /// on the same file fails at start with the reason (`ServiceUnavailable`). Nothing to do on PostgreSQL.
    public func claimUsageWriter() throws {
        try usageWriter?.claim()
    }

    /// Whether the database answers.
    public func ping() async -> Bool {
        do {
            try await sql.raw("SELECT 1").run()
            return true
        } catch {
            return false
        }
    }

    /// Closes the pools. Idempotent: a second close is a no-op (closing SQLite handles twice would free them twice).
    public func close() async throws {
        let first = closed.withLockedValue { wasClosed in
            defer { wasClosed = true }
            return !wasClosed
        }
        guard first else { return }
        try await shutdownHandlers()
    }
}

public enum StorageError: Error, CustomStringConvertible {
    case unreachable(String, String)
    case migrationFailed(version: Int, name: String, underlying: String)
    case corrupt(String)

    public var description: String {
        switch self {
        case let .unreachable(location, error): "database \(location) is not reachable: \(error)"
        case let .migrationFailed(version, name, underlying): "migration \(version) (\(name)) failed: \(underlying)"
        case let .corrupt(what): "stored data is inconsistent: \(what)"
        }
    }
}

extension Date {
    /// Milliseconds since 1970: how every time is stored, identically on SQLite and PostgreSQL.
    public var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    public init(millis: Int64) { self.init(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}
