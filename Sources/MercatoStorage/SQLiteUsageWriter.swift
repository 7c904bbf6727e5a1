import Dispatch
import Foundation
import MercatoCore
import VaporCSQLite

/// The usage-event writer on SQLite (ARCHITECTURE "Performance shape"; docs/architecture.md "Usage events on SQLite").
///
/// One thread with its own connection and two prepared statements: it takes everything queued, writes it in one
/// transaction (group commit), commits, and only then answers the waiting requests. Concurrent requests therefore share
/// commits without a single hop through the general pool, and no event is acknowledged before it is in the WAL.
/// spec-saas §7.3: one event per (hour, resource_id, dimension). On SQLite this writer is the only code that inserts
/// usage rows, so it decides duplicates itself with `UsageKeyIndex` (the keys of the hours it has touched, loaded from
/// the table on first touch) instead of a unique index whose random-order pages every small commit would rewrite into
/// the WAL (docs/architecture.md "Usage events on SQLite"). A duplicate is answered with the row that holds the key
/// (also when the holder came earlier in the same commit). A lock file (`<database>-usage.lock`, flock) makes it the
/// only such writer on the file across processes.
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
    private let keyHash: @Sendable (String, String) -> UInt64
    let checkpointer: WALCheckpointer
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var state = State.idle
    private let finished = DispatchSemaphore(value: 0)
    private var committed = 0
    private var fileLock: UsageWriterLock?

    /// Transactions committed so far.
    var commits: Int { condition.withLock { committed } }

    /// `keyHash` hashes (resource, dimension) for the in-memory key index (tests pass a colliding one);
    /// `checkpointPages` is the WAL size after which `WALCheckpointer` checkpoints.
    init(path: String, gate: WriteGate, keyHash: @escaping @Sendable (String, String) -> UInt64 = UsageKeyIndex.hash,
         checkpointPages: Int32 = 16_384) {
        self.path = path
        self.gate = gate
        self.keyHash = keyHash
        self.checkpointer = WALCheckpointer(path: path, thresholdPages: checkpointPages)
    }

    /// Takes the lock file now rather than at the first usage event, so that a second `mercato serve` on the same file
    /// stops at start with the reason instead of answering every usage event 503. Idempotent.
    func claim() throws {
        try condition.withLock {
            guard state != .stopped else { throw Self.stoppedError }
            try takeLock()
        }
    }

    /// Called with `condition` held (by `claim`, and by the writer thread before it opens its connection, also while
    /// it drains the queue after `stop()`).
    private func takeLock() throws {
        if fileLock == nil { fileLock = try UsageWriterLock(path: path) }
    }

    private static let stoppedError = ServiceUnavailable(reason: "the usage writer has stopped (the database is closing)")

    /// Stores `records` in the next commit; per record nil (stored) or the record already holding its key.
    func insert(_ records: [UsageRecord]) async throws -> [UsageRecord?] {
        if records.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            switch state {
            case .stopped:
                condition.unlock()
                continuation.resume(throwing: Self.stoppedError)
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
        condition.withLock { fileLock = nil }
        checkpointer.stop()
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
                if connection == nil {
                    try condition.withLock { try takeLock() }
                    connection = try UsageConnection(path: path, keyHash: keyHash, checkpointer: checkpointer)
                }
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
            // After the answers, before the next transaction: the WAL starts over only if that transaction begins with
            // every frame copied back (WALCheckpointer). Requests arriving meanwhile wait for one short copy.
            if let connection, checkpointer.catchUpDue() {
                checkpointer.waitForBackgroundAtCap()
                gate.acquireBlocking()
                connection.catchUp()
                gate.release()
            }
        }
        connection = nil
        finished.signal()
    }
}

enum SQLiteUsageWriterError: Error, CustomStringConvertible {
    case sqlite(String, Int32, String)

    var description: String {
        switch self {
        case let .sqlite(step, code, message): "SQLite \(step) failed (\(code)): \(message)"
        }
    }
}

/// The flock on `<database>-usage.lock`: one usage writer per database file, across processes, because the key
/// index is only complete if nobody else inserts usage rows. Closing the descriptor (deinit) releases it.
private final class UsageWriterLock {
    private let descriptor: Int32

    init(path: String) throws {
        let lockPath = path + "-usage.lock"
        // `descriptor` is set only once the lock is held: a class whose init throws after every stored property is set
        // still runs its deinit, which closed the descriptor a second time — by then possibly another thread's newly
        // opened file or socket (it broke a concurrent test's SQLite connection).
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SQLiteUsageWriterError.sqlite("open lock file", errno, lockPath) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ServiceUnavailable(reason: "another process writes the usage events of \(path) (only one mercato process may serve an SQLite database; use PostgreSQL for replicas)")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}

/// The writer's connection and its prepared statements (used from the writer thread only).
private final class UsageConnection {
    private let db: OpaquePointer
    private let insert: OpaquePointer
    private let byRowid: OpaquePointer
    private let byKey: OpaquePointer
    private let hourKeys: OpaquePointer
    private var keys: UsageKeyIndex
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(path: String, keyHash: @escaping @Sendable (String, String) -> UInt64, checkpointer: WALCheckpointer) throws {
        keys = UsageKeyIndex(hash: keyHash)
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
            checkpointer.watch(handle) // checkpoints leave this connection's commits (and the requests waiting on them)
            for sql in [
                "INSERT INTO usage_events (\(SQLUsageRepository.columns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'Submitted', ?15)",
                "SELECT \(SQLUsageRepository.columns) FROM usage_events WHERE rowid = ?1",
                "SELECT rowid FROM usage_events WHERE hour = ?1 AND resource_id = ?2 AND dimension = ?3",
                "SELECT rowid, resource_id, dimension FROM usage_events WHERE hour = ?1",
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
        byRowid = prepared[1]
        byKey = prepared[2]
        hourKeys = prepared[3]
    }

    deinit {
        for s in [insert, byRowid, byKey, hourKeys] { sqlite_nio_sqlite3_finalize(s) }
        sqlite_nio_sqlite3_close_v2(db)
    }

    private static func error(_ db: OpaquePointer, _ step: String, _ rc: Int32) -> SQLiteUsageWriterError {
        .sqlite(step, rc, String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }

    private static func exec(_ db: OpaquePointer, _ sql: String) throws {
        let rc = sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(db, sql, rc) }
    }

    /// Copies the WAL's remaining frames into the database (PASSIVE: a reader's snapshot or a concurrent checkpoint
    /// may leave some; the next catch-up retries, so the result is not an error).
    func catchUp() {
        _ = sqlite_nio_sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }

    /// One transaction: every record inserted (or found to be a duplicate), then COMMIT.
    func write(_ records: [UsageRecord]) throws -> [UsageRecord?] {
        try Self.exec(db, "BEGIN IMMEDIATE")
        do {
            // Through the buffer: each record is borrowed in place (iterating the array copied every record, a
            // retain and a release per string, ~3% of a batch's CPU in perf, session 9).
            let holders = try records.withUnsafeBufferPointer { buffer in
                var holders: [UsageRecord?] = []
                holders.reserveCapacity(buffer.count)
                for i in buffer.indices { holders.append(try insertOrFindHolder(buffer[i])) }
                return holders
            }
            try Self.exec(db, "COMMIT")
            return holders
        } catch {
            sqlite_nio_sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
            keys.removeAll() // keys of the rolled-back rows are gone with them; hours reload on next touch
            throw error
        }
    }

    /// Inserts `r` (nil) or answers the stored record holding its key (spec-saas §7.3).
    private func insertOrFindHolder(_ r: UsageRecord) throws -> UsageRecord? {
        if !keys.isLoaded(r.hour) { try loadKeys(hour: r.hour) }
        let hash = keys.hash(r.resourceId, r.dimension)
        if let rowid = keys.rowid(hour: r.hour, hash: hash) {
            let held = try row(rowid)
            if held.resourceId == r.resourceId && held.dimension == r.dimension { return held }
            // Two keys with one hash (practically never): ask the table.
            if let exact = try rowidByKey(r) { return try row(exact) }
        }
        let quantity = r.storedQuantity
        bind(insert, 1, r.hour)
        bind(insert, 2, r.resourceId)
        bind(insert, 3, r.dimension)
        bind(insert, 4, r.usageEventId)
        bind(insert, 5, quantity.text)
        bind(insert, 6, r.quantityText)
        bind(insert, 7, r.effectiveStartTime)
        bind(insert, 8, r.effectiveAt.millis)
        bind(insert, 9, r.planId)
        bind(insert, 10, r.publisherId)
        bind(insert, 11, r.offerId)
        bind(insert, 12, r.messageTime.millis)
        if let uri = r.resourceUri { bind(insert, 13, uri) } else { sqlite_nio_sqlite3_bind_null(insert, 13) }
        bind(insert, 14, r.azureSubscriptionId)
        bind(insert, 15, quantity.micros)
        let rc = sqlite_nio_sqlite3_step(insert)
        sqlite_nio_sqlite3_reset(insert)
        guard rc == SQLITE_DONE else { throw Self.error(db, "insert", rc) }
        keys.add(hour: r.hour, hash: hash, rowid: sqlite_nio_sqlite3_last_insert_rowid(db))
        return nil
    }

    /// Reads the keys of `hour` from the table (the `usage_events_hour` index) into the key index.
    private func loadKeys(hour: Int64) throws {
        defer { sqlite_nio_sqlite3_reset(hourKeys) }
        bind(hourKeys, 1, hour)
        var entries: [(UInt64, Int64)] = []
        while true {
            let rc = sqlite_nio_sqlite3_step(hourKeys)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw Self.error(db, "usage key load", rc) }
            entries.append((keys.hash(text(hourKeys, 1), text(hourKeys, 2)), sqlite_nio_sqlite3_column_int64(hourKeys, 0)))
        }
        keys.load(hour: hour, entries)
    }

    private func rowidByKey(_ r: UsageRecord) throws -> Int64? {
        defer { sqlite_nio_sqlite3_reset(byKey) }
        bind(byKey, 1, r.hour)
        bind(byKey, 2, r.resourceId)
        bind(byKey, 3, r.dimension)
        let rc = sqlite_nio_sqlite3_step(byKey)
        if rc == SQLITE_DONE { return nil }
        guard rc == SQLITE_ROW else { throw Self.error(db, "duplicate lookup", rc) }
        return sqlite_nio_sqlite3_column_int64(byKey, 0)
    }

    private func text(_ statement: OpaquePointer, _ i: Int32) -> String {
        sqlite_nio_sqlite3_column_text(statement, i).map { String(cString: $0) } ?? ""
    }

    /// The stored record at `rowid` (a duplicate's holder).
    private func row(_ rowid: Int64) throws -> UsageRecord {
        let holder = byRowid
        defer { sqlite_nio_sqlite3_reset(holder) }
        bind(holder, 1, rowid)
        let rc = sqlite_nio_sqlite3_step(holder)
        guard rc == SQLITE_ROW else {
            throw rc == SQLITE_DONE ? SQLiteUsageWriterError.sqlite("duplicate lookup", rc, "the usage key index names row \(rowid), which is not in the table")
                : Self.error(db, "duplicate lookup", rc)
        }
        func text(_ i: Int32) -> String { self.text(holder, i) }
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

/// The (resource, dimension) keys of recent hours, as a hash → rowid map per hour (spec-saas §7.3 de-duplication on
/// SQLite). An hour is loaded whole from the table the first time the writer touches it and then kept current by the
/// writer's own inserts, so a present hour is complete. A hash hit is confirmed against the row it names. Beyond
/// `maxKeys` (about 24 bytes each) the oldest hours are dropped — live traffic only reaches back 24 hours, while a
/// bulk load over many hours (`mercato bench seed-billing`) must not reload hours batch after batch; a dropped hour is
/// simply loaded again when touched.
struct UsageKeyIndex {
    private var hours: [Int64: [UInt64: Int64]] = [:]
    private var keyCount = 0
    let maxKeys: Int
    let hash: @Sendable (String, String) -> UInt64

    init(maxKeys: Int = 2_000_000, hash: @escaping @Sendable (String, String) -> UInt64) {
        self.maxKeys = maxKeys
        self.hash = hash
    }

    /// The process-local default: Swift's seeded SipHash over both parts.
    @Sendable static func hash(_ resource: String, _ dimension: String) -> UInt64 {
        var h = Hasher()
        h.combine(resource)
        h.combine(dimension)
        return UInt64(bitPattern: Int64(h.finalize()))
    }

    func isLoaded(_ hour: Int64) -> Bool { hours[hour] != nil }

    func rowid(hour: Int64, hash: UInt64) -> Int64? { hours[hour]?[hash] }

    mutating func load(hour: Int64, _ entries: [(UInt64, Int64)]) {
        var map = [UInt64: Int64](minimumCapacity: entries.count)
        for (h, rowid) in entries where map[h] == nil { map[h] = rowid }
        hours[hour] = map
        keyCount += map.count
        trim(keeping: hour)
    }

    /// Records an inserted row; a colliding hash keeps the first row (the other is found through the table).
    mutating func add(hour: Int64, hash: UInt64, rowid: Int64) {
        guard hours[hour] != nil, hours[hour]![hash] == nil else { return }
        hours[hour]![hash] = rowid
        keyCount += 1
        if keyCount > maxKeys { trim(keeping: hour) }
    }

    /// Drops the oldest hours (never `keeping`, the one being written) until the index is within `maxKeys`.
    private mutating func trim(keeping: Int64) {
        while keyCount > maxKeys, let oldest = hours.keys.filter({ $0 != keeping }).min() {
            keyCount -= hours.removeValue(forKey: oldest)?.count ?? 0
        }
    }

    mutating func removeAll() {
        hours.removeAll()
        keyCount = 0
    }
}
