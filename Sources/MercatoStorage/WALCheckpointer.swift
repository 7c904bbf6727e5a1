import Foundation
import VaporCSQLite

/// Checkpoints the SQLite WAL on its own thread and connection, so no request waits for one.
///
/// With `wal_autocheckpoint` the connection whose commit crosses the threshold copies the WAL back into the database
/// file (and fsyncs it) inside that commit: for the usage writer that is every request waiting on the commit — the
/// long tail of single-event latency. The usage writer's connection instead reports each commit's WAL size here
/// (`sqlite3_wal_hook`, which also turns its autocheckpoint off) and this thread runs a PASSIVE checkpoint, which
/// takes no write lock: writers keep appending while it copies. The general writer keeps its autocheckpoint as a
/// backstop; it rarely reaches the threshold while this runs.
final class WALCheckpointer: @unchecked Sendable {
    private let path: String
    private let thresholdPages: Int32
    private let condition = NSCondition()
    private var requested = false
    private var stopping = false
    private var running = false
    private let finished = DispatchSemaphore(value: 0)
    private var completed = 0

    /// Checkpoints run so far.
    var checkpoints: Int { condition.withLock { completed } }

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

    /// Called after each commit with the WAL's size in pages.
    func committed(walPages: Int32) {
        guard walPages >= thresholdPages else { return }
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return }
        requested = true
        if !running {
            running = true
            let thread = Thread { [self] in run() }
            thread.name = "mercato-wal-checkpoint"
            thread.start()
        }
        condition.signal()
    }

    func stop() {
        condition.lock()
        stopping = true
        let wasRunning = running
        condition.signal()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    private func run() {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil) != SQLITE_OK {
            if let handle { sqlite_nio_sqlite3_close_v2(handle) }
            handle = nil // no checkpoints from here: the general writer's autocheckpoint still keeps the WAL bounded
        }
        if let handle { sqlite_nio_sqlite3_exec(handle, "PRAGMA busy_timeout = 5000", nil, nil, nil) }
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            let stop = stopping
            requested = false
            condition.unlock()
            if stop { break }
            guard let handle else { continue }
            // PASSIVE: copies what no reader still needs, without blocking writers; a busy checkpointer is simply retried
            // after the next commit over the threshold.
            if sqlite_nio_sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) == SQLITE_OK {
                condition.withLock { completed += 1 }
            }
        }
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        condition.withLock { running = false } // a second stop() finds nothing to wait for
        finished.signal()
    }
}
