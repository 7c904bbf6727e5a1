import Foundation

/// A keyed read cache for hot paths whose stale entries keep serving while one caller reloads them, so an entry
/// expiring under load costs one reload, not one per concurrent request.
///
/// `value(for:now:)` answers the cached value while it is fresh, or stale while another caller reloads it. Otherwise
/// (no entry, or this caller is first to see it stale) it answers nil and the caller must load the value and `store`
/// it, or report `loadFailed`. `invalidate()` drops every entry; a load that began before it is not stored, so a
/// change that invalidates is never hidden by an older read.
public final class RefreshingCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    /// Handed to the caller that must load; `store` and `loadFailed` take it back.
    public struct Load: Sendable {
        let key: Key
        let generation: UInt64
    }

    private let lock = NSLock()
    private var entries: [Key: (value: Value, at: Date)] = [:]
    private var loading: Set<Key> = []
    private var generation: UInt64 = 0
    private let maxAge: TimeInterval
    private let maxEntries: Int

    public init(maxAge: TimeInterval, maxEntries: Int = 10_000) {
        self.maxAge = maxAge
        self.maxEntries = maxEntries
    }

    public enum Lookup: Sendable {
        case hit(Value)
        case load(Load)
    }

    public func lookup(_ key: Key, now: Date) -> Lookup {
        lock.withLock {
            if let (value, at) = entries[key] {
                // A clock moved backwards (time travel) makes the entry stale, never fresher.
                if now >= at && now.timeIntervalSince(at) < maxAge { return .hit(value) }
                if loading.contains(key) { return .hit(value) }
            }
            loading.insert(key)
            return .load(Load(key: key, generation: generation))
        }
    }

    /// The value, loading it with `load` when this caller must (see the type's comment).
    public func value(for key: Key, now: Date, load: () async throws -> Value) async throws -> Value {
        switch lookup(key, now: now) {
        case let .hit(value):
            return value
        case let .load(ticket):
            do {
                let value = try await load()
                store(value, for: ticket, now: now)
                return value
            } catch {
                loadFailed(ticket)
                throw error
            }
        }
    }

    public func store(_ value: Value, for ticket: Load, now: Date) {
        lock.withLock {
            loading.remove(ticket.key)
            guard ticket.generation == generation else { return }
            if entries[ticket.key] == nil && entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
            entries[ticket.key] = (value, now)
        }
    }

    public func loadFailed(_ ticket: Load) {
        _ = lock.withLock { loading.remove(ticket.key) }
    }

    public func invalidate() {
        lock.withLock {
            entries.removeAll()
            loading.removeAll()
            generation &+= 1
        }
    }
}
