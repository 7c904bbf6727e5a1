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
/// transaction. The first submitter becomes the leader and writes everything queued, again and again until the
/// queue is empty; the others wait for their results. Nobody is answered before the transaction has committed.
public actor UsageIngestor {
    let repository: any UsageRepository
    var pending: [(records: [UsageRecord], continuation: CheckedContinuation<[UsageRecord?], any Error>)] = []
    var flushing = false
    public private(set) var transactions = 0

    public init(repository: any UsageRepository) {
        self.repository = repository
    }

    public func submit(_ records: [UsageRecord]) async throws -> [UsageRecord?] {
        if records.isEmpty { return [] }
        if flushing {
            return try await withCheckedThrowingContinuation { pending.append((records, $0)) }
        }
        flushing = true
        defer { flushing = false }
        var mine: Result<[UsageRecord?], any Error>?
        var batch: [(records: [UsageRecord], continuation: CheckedContinuation<[UsageRecord?], any Error>?)] = [(records, nil)]
        while !batch.isEmpty {
            let all = batch.flatMap(\.records)
            do {
                let results = try await repository.insert(all)
                transactions += 1
                var offset = 0
                for item in batch {
                    let slice = Array(results[offset..<(offset + item.records.count)])
                    offset += item.records.count
                    if let c = item.continuation { c.resume(returning: slice) } else { mine = .success(slice) }
                }
            } catch {
                for item in batch {
                    if let c = item.continuation { c.resume(throwing: error) } else { mine = .failure(error) }
                }
            }
            batch = pending.map { ($0.records, Optional($0.continuation)) }
            pending.removeAll()
        }
        return try mine!.get()
    }
}
