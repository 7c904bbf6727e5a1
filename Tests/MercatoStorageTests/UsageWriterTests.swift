import Foundation
import Logging
import NIOConcurrencyHelpers
import MercatoApp
import MercatoCore
@testable import MercatoStorage
import MercatoTestSupport
import Testing

/// The SQLite usage writer (its own connection, prepared statements, group commit) and the gate it shares with the
/// general writer.
@Suite("SQLite usage writer")
struct UsageWriterTests {
    static func record(_ i: Int, hour: Int64 = 500_000, resource: String = "r", quantity: String = "1.5") -> UsageRecord {
        let q = Decimal(string: quantity)!
        return UsageRecord(usageEventId: "e\(i)", hour: hour, resourceId: resource, resourceUri: i % 2 == 0 ? nil : "/uri/\(i)", dimension: "d\(i % 7)",
                           quantity: q, quantityText: quantity, effectiveStartTime: "2026-11-24T10:05:00", effectiveAt: Date(millis: 1_000 * Int64(i)),
                           planId: "p", publisherId: "pub", offerId: "o", messageTime: Date(millis: 2_000), azureSubscriptionId: "az")
    }

    @Test("duplicates within one commit and across commits answer with the stored holder; concurrent callers share commits")
    func duplicatesAndGroups() async throws {
        try await withTestEnvironment(.sqlite) { env in
            let writer = try #require(env.db.usageWriter)
            let first = try await writer.insert([Self.record(1), Self.record(8, quantity: "2")]) // d1 twice: 8 % 7 == 1
            #expect(first[0] == nil)
            #expect(first[1]?.usageEventId == "e1" && first[1]?.quantity == Decimal(string: "1.5") && first[1]?.resourceUri == "/uri/1")
            let again = try await writer.insert([Self.record(2), Self.record(1)])
            #expect(again[0] == nil && again[1]?.usageEventId == "e1")
            let before = writer.commits
            let results = try await withThrowingTaskGroup(of: [UsageRecord?].self) { group in
                for t in 0..<40 {
                    group.addTask { try await writer.insert((0..<5).map { Self.record(100 + t * 5 + $0, resource: "res\(t * 5 + $0)") }) }
                }
                return try await group.reduce(into: [UsageRecord?]()) { $0 += $1 }
            }
            #expect(results.count == 200 && results.allSatisfy { $0 == nil })
            #expect(writer.commits - before <= 40 && writer.commits > before)
            let count = try await env.db.sql.raw("SELECT COUNT(*) AS n FROM usage_events").first()?.decode(column: "n", as: Int.self)
            #expect(count == 202)
        }
    }

    @Test("the general writer and the usage writer never hold a transaction at the same time, and neither starves")
    func gateOrdersWriters() async throws {
        try await withTestEnvironment(.sqlite) { env in
            let writer = try #require(env.db.usageWriter)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<20 {
                    group.addTask { _ = try await writer.insert((0..<20).map { Self.record(t * 20 + $0, hour: 600_000 + Int64(t), resource: "res\($0)") }) }
                    group.addTask {
                        // A general write that would fail with SQLITE_BUSY if the usage writer held the file at the same time.
                        try await env.db.write { tx in
                            try await tx.raw("CREATE TABLE IF NOT EXISTS gate_probe (n INTEGER)").run()
                            try await tx.raw("INSERT INTO gate_probe (n) VALUES (\(bind: t))").run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let probes = try await env.db.sql.raw("SELECT COUNT(*) AS n FROM gate_probe").first()?.decode(column: "n", as: Int.self)
            let events = try await env.db.sql.raw("SELECT COUNT(*) AS n FROM usage_events WHERE hour >= 600000").first()?.decode(column: "n", as: Int.self)
            #expect(probes == 20 && events == 400)
        }
    }

    @Test("the gate lets the usage writer ahead of queued general writers, but not twice in a row while one waits")
    func gatePolicy() async throws {
        let gate = WriteGate()
        let log = NIOLockedValueBox<[String]>([])
        func until(_ condition: @escaping () -> Bool) async throws {
            for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(2)) }
            #expect(condition())
        }
        await gate.acquire() // A general writer holds the gate.
        let b = Task { await gate.acquire(); log.withLockedValue { $0.append("B") }; gate.release() }
        try await until { gate.waiting.general == 1 }
        let c = Task { await gate.acquire(); log.withLockedValue { $0.append("C") }; gate.release() }
        try await until { gate.waiting.general == 2 }
        let holdU1 = DispatchSemaphore(value: 0)
        Thread { gate.acquireBlocking(); log.withLockedValue { $0.append("U1") }; holdU1.wait(); gate.release() }.start()
        try await until { gate.waiting.usage == 1 }
        gate.release() // A is done: the usage writer goes before B and C.
        try await until { log.withLockedValue { $0 } == ["U1"] }
        Thread { gate.acquireBlocking(); log.withLockedValue { $0.append("U2") }; gate.release() }.start()
        try await until { gate.waiting.usage == 1 }
        holdU1.signal() // U1 is done: B next (not U2 twice in a row), then U2, then C.
        await b.value
        await c.value
        try await until { log.withLockedValue { $0.count } == 4 }
        #expect(log.withLockedValue { $0 } == ["U1", "B", "U2", "C"])
        #expect(gate.waiting.general == 0 && gate.waiting.usage == 0)
    }

    @Test("a gate that never opens (hand-off after hand-off) serves thousands of waiters once each and then opens")
    func gateUnderSteadyLoad() async throws {
        let gate = WriteGate()
        let served = NIOLockedValueBox<Int>(0)
        await gate.acquire()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3000 { group.addTask { await gate.acquire(); served.withLockedValue { $0 += 1 }; gate.release() } }
            for _ in 0..<2000 where gate.waiting.general < 3000 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(gate.waiting.general == 3000)
            gate.release() // from here on every release hands over (the served prefix of the queue is dropped on the way)
            try await group.waitForAll()
        }
        #expect(served.withLockedValue { $0 } == 3000 && gate.waiting.general == 0)
        await gate.acquire() // open again: no waiting
        gate.release()
    }

    @Test("closing the database writes what was queued, then refuses")
    func stopDrains() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let db = try await Self.openMigrated(path)
        let writer = try #require(db.usageWriter)
        async let pending = writer.insert((0..<50).map { Self.record($0, resource: "s\($0)") })
        let stored = try await pending
        try await db.close()
        #expect(stored.count == 50)
        await #expect(throws: (any Error).self) { try await writer.insert([Self.record(999)]) }
        let reopened = try await Database.open(.sqlite(path: path), logger: .init(label: "test"))
        let count = try await reopened.sql.raw("SELECT COUNT(*) AS n FROM usage_events").first()?.decode(column: "n", as: Int.self)
        try await reopened.close()
        #expect(count == 50)
    }

    static func openMigrated(_ path: String) async throws -> Database {
        let db = try await Database.open(.sqlite(path: path), logger: .init(label: "test"))
        _ = try await Migrator.migrate(db, logger: .init(label: "test"))
        return db
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("usage-writer-\(UUID().uuidString).sqlite").path
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-usage.lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test("after a restart the key index is read back from the table: an hour's keys stay duplicates, other hours are new")
    func keysSurviveRestart() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        var db = try await Self.openMigrated(path)
        let first = try await #require(db.usageWriter).insert((0..<30).map { Self.record($0, resource: "s\($0 % 10)") }) // 10 resources × 7 dims
        let keys = Set((0..<30).map { "s\($0 % 10)|d\($0 % 7)" })
        #expect(first.filter { $0 == nil }.count == keys.count)
        try await db.close()
        db = try await Database.open(.sqlite(path: path), logger: .init(label: "test"))
        let writer = try #require(db.usageWriter)
        let again = try await writer.insert((0..<30).map { var r = Self.record($0, resource: "s\($0 % 10)"); r.usageEventId = "again\($0)"; return r } + [Self.record(5_000, hour: 500_001, resource: "s0")])
        try await db.close()
        // Every key of hour 500000 was stored before the restart: each answer is the holder with the original ID.
        #expect(again.dropLast().map { $0?.usageEventId } == (0..<30).map { "e\($0)" })
        #expect(again.last! == nil)
    }

    @Test("keys whose hashes collide are still told apart by the stored rows")
    func collidingHashes() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let db = try await Self.openMigrated(path)
        let writer = SQLiteUsageWriter(path: path, gate: try #require(db.writeGate), keyHash: { _, _ in 42 })
        defer { writer.stop() }
        let records = (0..<12).map { Self.record($0, resource: "c\($0 % 4)") } // 4 resources × 7 dims: 12 distinct keys
        let stored = try await writer.insert(records)
        #expect(stored.allSatisfy { $0 == nil })
        let again = try await writer.insert(records.map { var r = $0; r.usageEventId = "x" + r.usageEventId; return r })
        #expect(again.map { $0?.usageEventId } == records.map(\.usageEventId))
        let count = try await db.sql.raw("SELECT COUNT(*) AS n FROM usage_events").first()?.decode(column: "n", as: Int.self)
        #expect(count == 12)
        writer.stop()
        try await db.close()
    }

    @Test("a second usage writer on the same file is refused with a clear error while the first one runs")
    func oneWriterPerFile() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let db = try await Self.openMigrated(path)
        _ = try await #require(db.usageWriter).insert([Self.record(1)])
        let second = SQLiteUsageWriter(path: path, gate: try #require(db.writeGate))
        do {
            _ = try await second.insert([Self.record(2)])
            Issue.record("the second writer stored an event")
        } catch let error as ServiceUnavailable {
            #expect(error.reason.contains("another process writes the usage events"))
        }
        #expect(throws: ServiceUnavailable.self) { try second.claim() }
        second.stop()
        try await db.close()
        // Once the first has closed, a new one may write.
        let reopened = try await Database.open(.sqlite(path: path), logger: .init(label: "test"))
        #expect(try await #require(reopened.usageWriter).insert([Self.record(2)]) == [nil])
        try await reopened.close()
    }

    @Test("a refused lock closes its own descriptor once: other threads' files stay open")
    func refusedLockClosesOnce() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let db = try await Self.openMigrated(path)
        try db.claimUsageWriter()
        let other = path + "-other"
        defer { try? FileManager.default.removeItem(atPath: other) }
        // One thread is refused the lock again and again while another opens and closes a file: the refused attempt
        // used to close its descriptor twice, and the second close could land on the other thread's newly opened file.
        let lost = LockedCounter()
        let stop = LockedCounter()
        let opener = Thread {
            while stop.value == 0 {
                let fd = open(other, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
                guard fd >= 0 else { continue }
                var info = stat()
                if fstat(fd, &info) != 0 { lost.increment() }
                if close(fd) != 0 { lost.increment() }
            }
            stop.increment()
        }
        opener.start()
        for _ in 0..<20_000 {
            let second = SQLiteUsageWriter(path: path, gate: try #require(db.writeGate))
            #expect(throws: ServiceUnavailable.self) { try second.claim() }
        }
        stop.increment()
        while stop.value < 2 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(lost.value == 0)
        try await db.close()
    }

    @Test("claimUsageWriter takes the lock before any event (a second server stops at start); stop() releases it")
    func claimAtStart() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let first = try await Self.openMigrated(path)
        try first.claimUsageWriter()
        try first.claimUsageWriter() // idempotent
        let second = try await Database.open(.sqlite(path: path), logger: .init(label: "test"))
        #expect(throws: ServiceUnavailable.self) { try second.claimUsageWriter() }
        // The claim holds across the first writer's events, and the refused one holds nothing.
        #expect(try await #require(first.usageWriter).insert([Self.record(1)]) == [nil])
        #expect(throws: ServiceUnavailable.self) { try second.claimUsageWriter() }
        try await first.close()
        try second.claimUsageWriter()
        let again = try await #require(second.usageWriter).insert([Self.record(1)])
        #expect(again.count == 1 && again[0]?.usageEventId == "e1") // a duplicate: the first writer's row holds the key
        try await second.close()
        // A closed database's writer refuses to start again.
        #expect(throws: ServiceUnavailable.self) { try second.claimUsageWriter() }
    }

    @Test("the key index keeps at most maxKeys keys, dropping the oldest hours but never the hour being written")
    func keyIndexBound() {
        var index = UsageKeyIndex(maxKeys: 10, hash: UsageKeyIndex.hash)
        index.load(hour: 5, (0..<4).map { (UInt64($0), Int64($0)) })
        index.load(hour: 7, (0..<4).map { (UInt64($0), Int64(100 + $0)) })
        index.load(hour: 6, (0..<4).map { (UInt64($0), Int64(200 + $0)) }) // 12 keys: hour 5 goes
        #expect(!index.isLoaded(5) && index.isLoaded(6) && index.isLoaded(7))
        for k in 10..<17 { index.add(hour: 7, hash: UInt64(k), rowid: Int64(k)) } // 15 keys: hour 6 goes
        #expect(!index.isLoaded(6) && index.isLoaded(7) && index.rowid(hour: 7, hash: 16) == 16 && index.rowid(hour: 7, hash: 0) == 100)
        index.add(hour: 7, hash: 0, rowid: 999) // a colliding hash keeps the first row
        #expect(index.rowid(hour: 7, hash: 0) == 100)
    }

    @Test("WAL checkpoints run on their own thread once a commit leaves the WAL over the threshold; stopping twice is harmless")
    func checkpointsOffTheWriter() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let db = try await Self.openMigrated(path)
        let writer = SQLiteUsageWriter(path: path, gate: try #require(db.writeGate), checkpointPages: 1)
        for i in 0..<5 { _ = try await writer.insert([Self.record(i, resource: "w\(i)")]) }
        for _ in 0..<2_000 where writer.checkpointer.checkpoints == 0 { try await Task.sleep(nanoseconds: 1_000_000) }
        #expect(writer.checkpointer.checkpoints > 0)
        writer.stop()
        writer.stop()
        let count = try await db.sql.raw("SELECT COUNT(*) AS n FROM usage_events").first()?.decode(column: "n", as: Int.self)
        #expect(count == 5)
        try await db.close()
    }

    @Test("the writer catches up only on a small remainder of this WAL, or at four times the threshold")
    func catchUpDecision() {
        func due(_ wal: Int32, finished: Bool, backfilled: Int32) -> Bool {
            WALCheckpointer.catchUpDue(walPages: wal, threshold: 1_000, finished: finished, backfilled: backfilled, catchUpFrames: 256)
        }
        #expect(due(1_200, finished: true, backfilled: 1_000))
        #expect(!due(1_300, finished: true, backfilled: 1_000)) // 300 left: another background round first
        #expect(!due(1_200, finished: false, backfilled: 1_190))
        #expect(!due(900, finished: true, backfilled: 880)) // under the threshold
        #expect(!due(1_100, finished: true, backfilled: 16_000)) // a checkpoint of the WAL before it started over
        #expect(due(4_000, finished: false, backfilled: 0))
    }

    @Test("under a steady stream of commits the WAL starts over instead of growing: the writer finishes the background checkpoint itself")
    func walStaysBounded() async throws {
        let path = Self.temporaryPath()
        defer { Self.remove(path) }
        let db = try await Self.openMigrated(path)
        let threshold: Int32 = 64
        let writer = SQLiteUsageWriter(path: path, gate: try #require(db.writeGate), checkpointPages: threshold)
        // 16 callers keep the writer busy (a queue behind every commit), so a background checkpoint never sees the
        // last frame: before this fix the WAL only grew, about 5 pages per commit (2,445 pages after 500 commits).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<16 {
                group.addTask {
                    for i in 0..<250 { _ = try await writer.insert([Self.record(t * 1_000 + i, resource: "s\(t)-\(i)")]) }
                }
            }
            try await group.waitForAll()
        }
        let commits = writer.commits
        let walBytes = try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        let walPages = walBytes / (4_096 + 24)
        // The hard cap is 4 × threshold pages; one commit and one background checkpoint's worth of frames may come on top.
        #expect(walPages < 6 * Int(threshold), "WAL \(walPages) pages after \(commits) commits")
        #expect(commits > 100 && writer.checkpointer.checkpoints > 0 && writer.checkpointer.restarts > 0)
        writer.stop()
        let count = try await db.sql.raw("SELECT COUNT(*) AS n FROM usage_events").first()?.decode(column: "n", as: Int.self)
        #expect(count == 4_000)
        try await db.close()
    }
}

/// A counter shared with a plain thread.
private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
