import Foundation

/// The marketplace's notion of "now". Injected everywhere (ARCHITECTURE rule 3): the domain never calls `Date()`.
///
/// The adjustable implementation is a product feature: publishers move the marketplace's clock forward to walk a
/// subscription through renewals, refund windows and suspensions.
public protocol MarketplaceClock: Sendable {
    func now() -> Date
}

/// Wall-clock time.
public struct SystemClock: MarketplaceClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Wall-clock time shifted by an offset that only ever grows (time travel goes forward).
public final class AdjustableClock: MarketplaceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval
    private let base: any MarketplaceClock

    public init(base: any MarketplaceClock = SystemClock(), offset: TimeInterval = 0) {
        self.base = base
        self.offset = offset
    }

    public func now() -> Date {
        lock.lock(); defer { lock.unlock() }
        return base.now().addingTimeInterval(offset)
    }

    public var currentOffset: TimeInterval {
        lock.lock(); defer { lock.unlock() }
        return offset
    }

    /// Moves the clock forward. Negative amounts are refused: events already fired cannot be un-fired.
    public func advance(by seconds: TimeInterval) throws {
        guard seconds >= 0 else { throw DomainError.invalid(field: "seconds", reason: "the marketplace clock only moves forward") }
        lock.lock(); defer { lock.unlock() }
        offset += seconds
    }
}

/// A clock that stands still until told otherwise; for tests and deterministic runs.
public final class ManualClock: MarketplaceClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { self.current = start }

    public func now() -> Date {
        lock.lock(); defer { lock.unlock() }
        return current
    }

    public func set(_ date: Date) {
        lock.lock(); defer { lock.unlock() }
        current = date
    }

    public func advance(by seconds: TimeInterval) {
        lock.lock(); defer { lock.unlock() }
        current = current.addingTimeInterval(seconds)
    }
}
