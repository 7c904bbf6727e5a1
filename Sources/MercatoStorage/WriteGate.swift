import Dispatch
import Foundation

/// Mutual exclusion between the two connections that write to one SQLite file in this process: the general writer
/// (async code on any thread) and the usage-event writer thread (`SQLiteUsageWriter`). First come, first served, so
/// neither starves the other; without it SQLite's busy handler would make the loser sleep and retry, and a steady
/// stream of usage commits could keep a subscription write waiting until its busy timeout.
final class WriteGate: @unchecked Sendable {
    private enum Waiter {
        case task(CheckedContinuation<Void, Never>)
        case thread(DispatchSemaphore)
    }

    private let lock = NSLock()
    private var held = false
    private var waiters: [Waiter] = []
    private var head = 0

    /// Waits (suspending, not blocking) until the gate is this caller's.
    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if !held {
                held = true
                lock.unlock()
                c.resume()
            } else {
                waiters.append(.task(c))
                lock.unlock()
            }
        }
    }

    /// Blocks the calling thread until the gate is its (for the usage writer's own thread only).
    func acquireBlocking() {
        lock.lock()
        if !held {
            held = true
            lock.unlock()
            return
        }
        let semaphore = DispatchSemaphore(value: 0)
        waiters.append(.thread(semaphore))
        lock.unlock()
        semaphore.wait()
    }

    /// Hands the gate to the longest waiter, or opens it.
    func release() {
        lock.lock()
        guard head < waiters.count else {
            held = false
            waiters.removeAll(keepingCapacity: true)
            head = 0
            lock.unlock()
            return
        }
        let next = waiters[head]
        head += 1
        lock.unlock()
        switch next {
        case let .task(c): c.resume()
        case let .thread(s): s.signal()
        }
    }
}
