import Foundation

/// Persistence of usage events. `insert` writes a batch in one transaction and reports, per record, nil when it
/// was stored or the previously stored record holding the same (hour, resource, dimension) key.
public protocol UsageRepository: Sendable {
    func insert(_ records: [UsageRecord]) async throws -> [UsageRecord?]
    func records(publisherId: String, from: Date, to: Date) async throws -> [UsageRecord]
    /// Every publisher's records in a time range (for the anomaly detector and billing).
    func allRecords(from: Date, to: Date) async throws -> [UsageRecord]
    /// When `insert` already shares commits between concurrent callers (then `UsageIngestor` is not used): how many
    /// commits it has made. nil when it does not.
    var groupCommits: Int? { get }
}

extension UsageRepository {
    public var groupCommits: Int? { nil }
}

/// Group commit for usage events (ARCHITECTURE "Performance shape"): concurrent requests' events share one
/// transaction. Submitters queue their records; up to `maxInFlight` flushers each take everything queued, insert it
/// in one statement or transaction, answer those requests, and take the next group. Nobody is answered before the
/// transaction holding their events has committed, and nobody waits for groups queued after their own (a flusher
/// is not a request: a request never stays behind to drain the queue). Several flushers keep the database busy while
/// one waits for its commit's WAL flush — PostgreSQL then flushes their commits together.
public actor UsageIngestor {
    let repository: any UsageRepository
    let maxInFlight: Int
    var pending: [(records: [UsageRecord], continuation: CheckedContinuation<[UsageRecord?], any Error>)] = []
    var flushers = 0
    public private(set) var transactions = 0

    public init(repository: any UsageRepository, maxInFlight: Int = 2) {
        self.repository = repository
        self.maxInFlight = max(1, maxInFlight)
    }

    public func submit(_ records: [UsageRecord]) async throws -> [UsageRecord?] {
        if records.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append((records, continuation))
            if flushers < maxInFlight {
                flushers += 1
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll()
            do {
                let results = try await repository.insert(batch.flatMap(\.records))
                transactions += 1
                var offset = 0
                for item in batch {
                    item.continuation.resume(returning: Array(results[offset..<(offset + item.records.count)]))
                    offset += item.records.count
                }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        flushers -= 1
    }
}
