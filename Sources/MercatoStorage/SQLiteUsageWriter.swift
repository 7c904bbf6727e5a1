import Dispatch
import Foundation
import MercatoCore
import VaporCSQLite

/// The usage-event writer on SQLite (ARCHITECTURE "Performance shape"; docs/architecture.md "Usage events on SQLite").
///
/// One thread with its own connection and two prepared statements: it takes everything queued, writes it in one
/// transaction (group commit), commits, and only then answers the waiting requests. Concurrent requests therefore share
/// commits without a single hop through the general pool, and no event is acknowledged before it is in the WAL.
/// spec-saas §7.3: the unique (hour, resource_id, dimension) index decides duplicates; a row the index refuses is
/// answered with the row that holds the key (also when the holder came earlier in the same commit).
///
/// The connection is a second writer on the file; `WriteGate` orders it with the general writer.
///
/// It calls SQLite's C API through `VaporCSQLite`, the copy of SQLite that sqlite-nio builds (one SQLite library in
/// the process, so their POSIX file locks agree).
final class SQLiteUsageWriter: @unchecked Sendable {
    private struct Job {
        var records: [UsageRecord]
        var continuation: CheckedContinuation<[UsageRecord?], any Error>
    }

    private enum State { case idle, running, stopped }

    private let path: String
    private let gate: WriteGate
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var state = State.idle
    private let finished = DispatchSemaphore(value: 0)
    private var committed = 0

    /// Transactions committed so far.
    var commits: Int { condition.withLock { committed } }

    init(path: String, gate: WriteGate) {
        self.path = path
        self.gate = gate
    }

    /// Stores `records` in the next commit; per record nil (stored) or the record already holding its key.
    func insert(_ records: [UsageRecord]) async throws -> [UsageRecord?] {
        if records.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            switch state {
            case .stopped:
                condition.unlock()
                continuation.resume(throwing: SQLiteUsageWriterError.stopped)
                return
            case .idle:
                state = .running
                let thread = Thread { [self] in run() }
                thread.name = "mercato-usage-writer"
                thread.start()
            case .running:
                break
            }
            queue.append(Job(records: records, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Writes what is queued, then stops the thread and closes the connection. Later inserts fail.
    func stop() {
        condition.lock()
        let wasRunning = state == .running
        state = .stopped
        condition.signal()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func run() {
        var connection: UsageConnection?
        while true {
            condition.lock()
            while queue.isEmpty && state == .running { condition.wait() }
            let jobs = queue
            queue.removeAll(keepingCapacity: true)
            let done = jobs.isEmpty
            condition.unlock()
            if done { break }
            let records = jobs.count == 1 ? jobs[0].records : jobs.flatMap(\.records)
            let result: Result<[UsageRecord?], any Error>
            do {
                if connection == nil { connection = try UsageConnection(path: path) }
                gate.acquireBlocking()
                defer { gate.release() }
                result = .success(try connection!.write(records))
            } catch {
                result = .failure(error)
                connection = nil // reopen for the next commit rather than reuse a connection in an unknown state
            }
            switch result {
            case let .success(holders):
                condition.withLock { committed += 1 }
                var offset = 0
                for job in jobs {
                    job.continuation.resume(returning: Array(holders[offset..<(offset + job.records.count)]))
                    offset += job.records.count
                }
            case let .failure(error):
                for job in jobs { job.continuation.resume(throwing: error) }
            }
        }
        connection = nil
        finished.signal()
    }
}

enum SQLiteUsageWriterError: Error, CustomStringConvertible {
    case stopped
    case sqlite(String, Int32, String)

    var description: String {
        switch self {
        case .stopped: "the usage writer has stopped (the database is closing)"
        case let .sqlite(step, code, message): "SQLite \(step) failed (\(code)): \(message)"
        }
    }
}

/// The writer's connection and its prepared statements (used from the writer thread only).
private final class UsageConnection {
    private let db: OpaquePointer
    private let insert: OpaquePointer
    private let holder: OpaquePointer
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            if let handle { sqlite_nio_sqlite3_close_v2(handle) }
            throw SQLiteUsageWriterError.sqlite("open", rc, path)
        }
        db = handle
        var prepared: [OpaquePointer] = []
        do {
            for pragma in MercatoSQLiteSource.pragmas { try Self.exec(handle, pragma) }
            for sql in [
                "INSERT INTO usage_events (\(SQLUsageRepository.columns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'Submitted', ?15)"
                    + " ON CONFLICT (hour, resource_id, dimension) DO NOTHING",
                "SELECT \(SQLUsageRepository.columns) FROM usage_events WHERE hour = ?1 AND resource_id = ?2 AND dimension = ?3",
            ] {
                var statement: OpaquePointer?
                let rc = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
                guard rc == SQLITE_OK, let statement else { throw Self.error(handle, "prepare", rc) }
                prepared.append(statement)
            }
        } catch {
            for s in prepared { sqlite_nio_sqlite3_finalize(s) }
            sqlite_nio_sqlite3_close_v2(handle)
            throw error
        }
        insert = prepared[0]
        holder = prepared[1]
    }

    deinit {
        sqlite_nio_sqlite3_finalize(insert)
        sqlite_nio_sqlite3_finalize(holder)
        sqlite_nio_sqlite3_close_v2(db)
    }

    private static func error(_ db: OpaquePointer, _ step: String, _ rc: Int32) -> SQLiteUsageWriterError {
        .sqlite(step, rc, String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }

    private static func exec(_ db: OpaquePointer, _ sql: String) throws {
        let rc = sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(db, sql, rc) }
    }

    /// One transaction: every record inserted (or found to be a duplicate), then COMMIT.
    func write(_ records: [UsageRecord]) throws -> [UsageRecord?] {
        try Self.exec(db, "BEGIN IMMEDIATE")
        do {
            var holders: [UsageRecord?] = []
            holders.reserveCapacity(records.count)
            for r in records {
                bind(insert, 1, r.hour)
                bind(insert, 2, r.resourceId)
                bind(insert, 3, r.dimension)
                bind(insert, 4, r.usageEventId)
                bind(insert, 5, "\(r.quantity)")
                bind(insert, 6, r.quantityText)
                bind(insert, 7, r.effectiveStartTime)
                bind(insert, 8, r.effectiveAt.millis)
                bind(insert, 9, r.planId)
                bind(insert, 10, r.publisherId)
                bind(insert, 11, r.offerId)
                bind(insert, 12, r.messageTime.millis)
                if let uri = r.resourceUri { bind(insert, 13, uri) } else { sqlite_nio_sqlite3_bind_null(insert, 13) }
                bind(insert, 14, r.azureSubscriptionId)
                bind(insert, 15, DailyUsage.micros(r.quantity))
                let rc = sqlite_nio_sqlite3_step(insert)
                sqlite_nio_sqlite3_reset(insert)
                guard rc == SQLITE_DONE else { throw Self.error(db, "insert", rc) }
                holders.append(sqlite_nio_sqlite3_changes(db) == 1 ? nil : try holding(r))
            }
            try Self.exec(db, "COMMIT")
            return holders
        } catch {
            sqlite_nio_sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            throw error
        }
    }

    /// The stored record holding `r`'s (hour, resource, dimension) key.
    private func holding(_ r: UsageRecord) throws -> UsageRecord {
        defer { sqlite_nio_sqlite3_reset(holder) }
        bind(holder, 1, r.hour)
        bind(holder, 2, r.resourceId)
        bind(holder, 3, r.dimension)
        let rc = sqlite_nio_sqlite3_step(holder)
        guard rc == SQLITE_ROW else {
            throw rc == SQLITE_DONE ? SQLiteUsageWriterError.sqlite("duplicate lookup", rc, "usage event \(r.usageEventId) was neither stored nor found as a duplicate")
                : Self.error(db, "duplicate lookup", rc)
        }
        func text(_ i: Int32) -> String { sqlite_nio_sqlite3_column_text(holder, i).map { String(cString: $0) } ?? "" }
        func int(_ i: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(holder, i) }
        return UsageRecord(
            usageEventId: text(3), hour: int(0), resourceId: text(1), resourceUri: sqlite_nio_sqlite3_column_type(holder, 12) == SQLITE_NULL ? nil : text(12),
            dimension: text(2), quantity: Decimal(decimalText: text(4)) ?? 0, quantityText: text(5),
            effectiveStartTime: text(6), effectiveAt: Date(millis: int(7)), planId: text(8), publisherId: text(9), offerId: text(10),
            messageTime: Date(millis: int(11)), azureSubscriptionId: text(13), reconStatus: text(14))
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64) {
        sqlite_nio_sqlite3_bind_int64(statement, index, value)
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { bytes in
            // An empty buffer may have no address, and SQLite stores NULL for a nil pointer: bind "" as a C string.
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, Self.transient, UInt8(SQLITE_UTF8))
                return
            }
            sqlite_nio_sqlite3_bind_text64(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), UInt64(bytes.count),
                                           Self.transient, UInt8(SQLITE_UTF8))
        }
    }
}
