import Foundation
import VaporCSQLite

/// Checkpoints the SQLite WAL on its own thread and connection, so no request waits for one, and keeps the WAL from
/// growing without bound under a steady stream of commits.
///
/// With `wal_autocheckpoint` the connection whose commit crosses the threshold copies the WAL back into the database
/// file (and fsyncs it) inside that commit: for the usage writer that is every request waiting on the commit — the
/// long tail of single-event latency. The usage writer's connection instead reports each commit's WAL size here
/// (`sqlite3_wal_hook`, which also turns its autocheckpoint off) and this thread runs a PASSIVE checkpoint, which
/// takes no write lock: writers keep appending while it copies.
///
/// SQLite starts the WAL over (rather than appending to it) only when a write transaction begins with every frame
/// copied back. Under sustained ingestion a background checkpoint never copies the frames committed while it ran, so
/// the WAL only grew: 700 MB in 7 s of single usage events, with every checkpoint re-copying a larger file and every
/// general write over the threshold checkpointing inline. So once a background checkpoint has finished, the usage
/// writer copies the remainder itself between two of its transactions (`catchUpDue`, `UsageConnection.catchUp`),
/// and its next transaction starts the WAL over. The writer only does so once the remainder is at most `catchUpFrames`
/// (a copy of about a millisecond that the requests queued meanwhile wait for); until then the checkpoint thread runs
/// again over the frames committed during its last run, each run shorter than the one before. At four times the
/// threshold the writer catches up regardless (a reader holding an old snapshot can still stop the restart; the next
/// catch-up retries).
final class WALCheckpointer: @unchecked Sendable {
    private let path: String
    private let thresholdPages: Int32
    private let condition = NSCondition()
    private var requested = false
    private var checkpointing = false
    /// A background checkpoint finished since the writer last looked, having copied the WAL up to this frame.
    private var finishedSinceCatchUp = false
    private var backfilled: Int32 = 0
    /// The most frames left over from a background checkpoint that the writer copies itself.
    let catchUpFrames: Int32 = 256
    private var stopping = false
    private var running = false
    /// The thread could not open its connection: nobody asks it again (the writer's catch-up at four times the
    /// threshold keeps the WAL bounded).
    private var unavailable = false
    private let finished = DispatchSemaphore(value: 0)
    private var completed = 0
    private var restarted = 0
    /// The WAL's size after the last commit (set and read on the usage writer's thread only).
    private var walPages: Int32 = 0

    /// Checkpoints that ran so far (on this thread).
    var checkpoints: Int { condition.withLock { completed } }
    /// Commits that found the WAL started over (smaller than after the commit before).
    var restarts: Int { condition.withLock { restarted } }

    init(path: String, thresholdPages: Int32) {
        self.path = path
        self.thresholdPages = thresholdPages
    }

    /// Installs the commit hook on `db` (the usage writer's connection); the context stays valid while `self` lives,
    /// which the writer guarantees by owning both.
    func watch(_ db: OpaquePointer) {
        sqlite_nio_sqlite3_wal_hook(db, { context, _, _, pages in
            Unmanaged<WALCheckpointer>.fromOpaque(context!).takeUnretainedValue().committed(walPages: pages)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called after each commit with the WAL's size in pages (on the usage writer's thread). Wakes the checkpoint
    /// thread only when it is idle and the writer has no catch-up pending: not once per commit.
    func committed(walPages pages: Int32) {
        if pages < walPages { condition.withLock { restarted += 1 } }
        walPages = pages
        guard pages >= thresholdPages else { return }
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, !unavailable, !requested, !checkpointing, !finishedSinceCatchUp else { return }
        requested = true
        if !running {
            running = true
            let thread = Thread { [self] in run() }
            thread.name = "mercato-wal-checkpoint"
            thread.start()
        }
        condition.broadcast() // broadcast everywhere: the writer thread waits on this condition too (waitForBackgroundAtCap)
    }

    /// Whether the usage writer should copy the rest of the WAL now (on its thread, after each commit, between
    /// transactions). Takes the news of a finished background checkpoint either way, so the news never outlives the
    /// commit after it: a finished checkpoint that left more frames lets the next commit start another.
    func catchUpDue() -> Bool {
        condition.withLock {
            let finished = finishedSinceCatchUp
            finishedSinceCatchUp = false
            return Self.catchUpDue(walPages: walPages, threshold: thresholdPages, finished: finished, backfilled: backfilled, catchUpFrames: catchUpFrames)
        }
    }

    /// Due when the WAL is over the threshold and a background checkpoint of this WAL has just left at most
    /// `catchUpFrames`, or at four times the threshold regardless. A checkpoint that copied more frames than the WAL now
    /// holds was of the WAL before it started over: it says nothing about this one.
    static func catchUpDue(walPages: Int32, threshold: Int32, finished: Bool, backfilled: Int32, catchUpFrames: Int32) -> Bool {
        guard walPages >= threshold else { return false }
        if walPages >= 4 * threshold { return true }
        return finished && backfilled <= walPages && walPages - backfilled <= catchUpFrames
    }

    /// At four times the threshold the writer's catch-up must not lose to a background checkpoint still running (SQLite
    /// runs one checkpoint at a time and a PASSIVE one that finds another gives up at once): under a loaded CPU the
    /// background round can take long enough for the WAL to pass the cap by far. So the writer waits for that round to
    /// end — it commits nothing meanwhile, so the WAL does not grow — and then copies the rest. Called on the writer's
    /// thread, holding nothing.
    func waitForBackgroundAtCap() {
        condition.withLock {
            guard walPages >= 4 * thresholdPages else { return }
            while checkpointing && !stopping { condition.wait() }
        }
    }

    func stop() {
        condition.lock()
        stopping = true
        let wasRunning = running
        condition.broadcast()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func run() {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil) != SQLITE_OK {
            if let handle { sqlite_nio_sqlite3_close_v2(handle) }
            handle = nil
            condition.withLock { unavailable = true } // else every commit over the threshold would wake this thread for nothing
        }
        if let handle {
            sqlite_nio_sqlite3_exec(handle, "PRAGMA busy_timeout = 5000", nil, nil, nil)
            // A connection opens the WAL when it first reads the database; until then a checkpoint does nothing and still
            // returns SQLITE_OK (with -1 frames), which this thread took for success from its start until 2026-11-25.
            sqlite_nio_sqlite3_exec(handle, "SELECT COUNT(*) FROM sqlite_master", nil, nil, nil)
        }
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            let stop = stopping
            requested = false
            checkpointing = !stop
            condition.unlock()
            if stop { break }
            // PASSIVE: copies what no reader still needs, without blocking writers; a busy checkpointer is simply retried
            // after the next commit over the threshold.
            var frames: Int32 = 0, copied: Int32 = 0
            // -1 frames: the checkpoint did not run (no WAL open), whatever the return code says.
            let ok = handle.map { sqlite_nio_sqlite3_wal_checkpoint_v2($0, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied) == SQLITE_OK } ?? false
                && frames >= 0
            condition.withLock {
                checkpointing = false
                if ok {
                    completed += 1
                    finishedSinceCatchUp = true
                    backfilled = copied
                }
                condition.broadcast() // a writer waiting at the cap
            }
        }
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        condition.withLock { running = false } // a second stop() finds nothing to wait for
        finished.signal()
    }
}
