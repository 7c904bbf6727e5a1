import Dispatch
import Foundation

/// Mutual exclusion between the two connections that write to one SQLite file in this process: the general writer
/// (async code on any thread) and the usage-event writer thread (`SQLiteUsageWriter`). Without it SQLite's busy
/// handler would make the loser sleep and retry.
///
/// Order: general writers queue first come, first served. The usage writer (one thread) goes ahead of them when a
/// general writer releases, but never twice in a row while a general writer waits, so neither side starves. Why
/// not plain FIFO: under a read-heavy load a general transaction's awaits queue behind the reads on the concurrency
/// pool and hold the gate for tens of milliseconds, and one usage commit (no awaits, a millisecond, many requests'
/// events) queued behind all of them made usage events wait about 150 ms on average (`bench/mixed`, docs/architecture.md).
final class WriteGate: @unchecked Sendable {
    private let lock = NSLock()
    private var held = false
    /// Who holds or last held the gate: the usage writer or a general writer.
    private var usageHolds = false
    private var general: [CheckedContinuation<Void, Never>] = []
    private var head = 0
    /// Usage-writer threads waiting (one per database; a second is refused by its lock file before it gets here).
    private var usage: [DispatchSemaphore] = []

    /// Waits (suspending, not blocking) until the gate is this general writer's.
    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if !held {
                held = true
                usageHolds = false
                lock.unlock()
                c.resume()
            } else {
                general.append(c)
                lock.unlock()
            }
        }
    }

    /// Blocks the calling thread until the gate is its (for the usage writer's own thread only).
    func acquireBlocking() {
        lock.lock()
        if !held {
            held = true
            usageHolds = true
            lock.unlock()
            return
        }
        let semaphore = DispatchSemaphore(value: 0)
        usage.append(semaphore)
        lock.unlock()
        semaphore.wait()
    }

    /// Hands the gate to the next writer (see the type's comment), or opens it.
    func release() {
        lock.lock()
        let generalWaits = head < general.count
        if !usage.isEmpty, !(usageHolds && generalWaits) {
            let waiting = usage.removeFirst()
            usageHolds = true
            lock.unlock()
            waiting.signal()
            return
        }
        guard generalWaits else {
            held = false
            general.removeAll(keepingCapacity: true)
            head = 0
            lock.unlock()
            return
        }
        let next = general[head]
        head += 1
        // Under steady load the gate may never open (where the queue resets): drop the served prefix now and then.
        if head >= 1024 && head * 2 >= general.count {
            general.removeFirst(head)
            head = 0
        }
        usageHolds = false
        lock.unlock()
        next.resume()
    }

    /// Writers waiting now (for tests).
    var waiting: (general: Int, usage: Int) {
        lock.withLock { (general.count - head, usage.count) }
    }
}
