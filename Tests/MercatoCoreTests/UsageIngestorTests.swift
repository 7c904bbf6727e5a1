import Foundation
@testable import MercatoCore
import Testing

/// Group commit on PostgreSQL (`UsageIngestor`) against a repository whose inserts the test releases one by one.
@Suite("Usage ingestor", .timeLimit(.minutes(1)))
struct UsageIngestorTests {
    /// Inserts block until the test releases them; records which groups were inserted together.
    actor HeldRepository: UsageRepository {
        var groups: [[String]] = []
        var waiting: [CheckedContinuation<Void, Never>] = []
        var failNext = false

        nonisolated func insert(_ records: [UsageRecord]) async throws -> [UsageRecord?] {
            try await hold(records)
        }

        private func hold(_ records: [UsageRecord]) async throws -> [UsageRecord?] {
            groups.append(records.map(\.usageEventId))
            await withCheckedContinuation { waiting.append($0) }
            if failNext {
                failNext = false
                throw CancellationError()
            }
            return records.map { _ in nil }
        }

        func release(failing: Bool = false) {
            failNext = failing
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }

        var held: Int { waiting.count }

        nonisolated func records(publisherId: String, from: Date, to: Date) async throws -> [UsageRecord] { [] }
        nonisolated func allRecords(from: Date, to: Date) async throws -> [UsageRecord] { [] }
    }

    static func record(_ id: String) -> UsageRecord {
        UsageRecord(usageEventId: id, hour: 1, resourceId: "r", resourceUri: nil, dimension: id, quantity: 1, quantityText: "1",
                    effectiveStartTime: "2026-11-24T10:00:00", effectiveAt: Date(), planId: "p", publisherId: "pub", offerId: "o",
                    messageTime: Date(), azureSubscriptionId: "az")
    }

    static func eventually(_ condition: @escaping () async -> Bool) async throws {
        for _ in 0..<2_000 where !(await condition()) { try await Task.sleep(nanoseconds: 1_000_000) }
        #expect(await condition())
    }

    @Test("a request is answered when its own group commits, not after the groups queued behind it; later requests share one commit")
    func answeredWithItsGroup() async throws {
        let repository = HeldRepository()
        let ingestor = UsageIngestor(repository: repository, maxInFlight: 1)
        let first = Task { try await ingestor.submit([Self.record("a")]) }
        try await Self.eventually { await repository.held == 1 }
        let second = Task { try await ingestor.submit([Self.record("b")]) }
        let third = Task { try await ingestor.submit([Self.record("c"), Self.record("d")]) }
        try await Self.eventually { await ingestor.pending.count == 2 } // b and c + d queue behind a
        await repository.release()
        #expect(try await first.value == [nil])
        // The flusher has moved on to b + c + d as one group, still held: a was answered without waiting for it.
        try await Self.eventually { await repository.held == 1 }
        #expect(await repository.groups.map { $0.sorted() } == [["a"], ["b", "c", "d"]]) // b and c + d queue in either order
        await repository.release(failing: true)
        await #expect(throws: CancellationError.self) { try await second.value }
        await #expect(throws: CancellationError.self) { try await third.value }
        #expect(await ingestor.transactions == 1)
    }

    @Test("up to maxInFlight groups are written at once")
    func flushersInParallel() async throws {
        let repository = HeldRepository()
        let ingestor = UsageIngestor(repository: repository, maxInFlight: 2)
        let t0 = Task { try await ingestor.submit([Self.record("e0")]) }
        try await Self.eventually { await repository.held == 1 }
        let t1 = Task { try await ingestor.submit([Self.record("e1")]) }
        try await Self.eventually { await repository.held == 2 } // a second group in flight beside the first
        let t2 = Task { try await ingestor.submit([Self.record("e2")]) }
        try await Self.eventually { await ingestor.pending.count == 1 } // no third flusher: it waits
        #expect(await repository.held == 2)
        await repository.release()
        #expect(try await t0.value == [nil])
        try await Self.eventually { await repository.held == 2 } // the freed flusher took e2
        await repository.release()
        await repository.release()
        #expect(try await t1.value == [nil])
        #expect(try await t2.value == [nil])
        #expect(await repository.groups == [["e0"], ["e1"], ["e2"]])
        #expect(await ingestor.transactions == 3)
    }
}
