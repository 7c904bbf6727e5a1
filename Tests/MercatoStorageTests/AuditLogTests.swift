import Foundation
import MercatoApp
import MercatoCore
import MercatoStorage
import MercatoTestSupport
import SQLKit
import Testing

@Suite("Audit log storage (GOV-AUD-01/03)")
struct AuditLogTests {
    @Test("every account change writes one chained record with the mandatory fields", arguments: TestBackend.available)
    func recordsWritten(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let f = try await AccountFixture.make(env)
            let ctx = AuditContext(actorType: .user, actorId: f.enrollment.owner.id, requestId: "req-1", correlationId: "corr-1", sourceIP: "127.0.0.1")
            _ = try await env.accounts.assignRole(by: f.ownerPrincipal, publisherId: f.publisherId,
                                                  to: .user(f.usersByRole[.marketer]!.id), role: .developer, context: ctx)
            let records = try await env.audit.records(publisherId: f.publisherId, afterSequence: 0, limit: 100)
            // enrollment + 5 users + 1 role assignment
            #expect(records.map(\.entry.action) == ["publisher.create"] + Array(repeating: "user.add", count: 5) + ["role.assign"])
            let last = try #require(records.last)
            #expect(last.entry.actorId == f.enrollment.owner.id && last.entry.actorType == .user)
            #expect(last.entry.requestId == "req-1" && last.entry.correlationId == "corr-1" && last.entry.sourceIP == "127.0.0.1")
            #expect(last.entry.targetType == "user" && last.entry.targetId == f.usersByRole[.marketer]!.id)
            #expect(last.entry.after == "{\"role\":\"Developer\"}")
            #expect(last.entry.platformVersion == MercatoVersion.current)
            #expect(try await env.audit.verify().isIntact)
            // Another publisher's slice does not include these.
            #expect(try await env.audit.records(publisherId: "contoso", afterSequence: 0, limit: 100).isEmpty)
        }
    }

    @Test("a refused change writes no record and changes nothing", arguments: TestBackend.available)
    func refusedChangeIsAtomic(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            let f = try await AccountFixture.make(env)
            let before = try await env.audit.records(publisherId: nil, afterSequence: 0, limit: 1000).count
            _ = try? await env.accounts.removeUser(by: f.ownerPrincipal, publisherId: f.publisherId, userId: f.enrollment.owner.id, context: .system)
            #expect(try await env.audit.records(publisherId: nil, afterSequence: 0, limit: 1000).count == before)
            #expect(try await env.accounts.repository.user(id: f.enrollment.owner.id) != nil)
        }
    }

    @Test("editing a stored record is detected at that record", arguments: TestBackend.available)
    func editDetected(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            _ = try await AccountFixture.make(env)
            try await env.db.sql.raw("UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 3").run()
            let result = try await env.audit.verify()
            #expect(!result.isIntact)
            #expect(result.problems.count == 1)
            guard case let .altered(sequence, _) = result.problems.first else { Issue.record("expected altered"); return }
            #expect(sequence == 3)
        }
    }

    @Test("deleting a stored record is detected and named", arguments: TestBackend.available)
    func deletionDetected(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            _ = try await AccountFixture.make(env)
            try await env.db.sql.raw("DELETE FROM audit_log WHERE seq = 2").run()
            let result = try await env.audit.verify()
            #expect(result.problems.contains(.missing(from: 2, to: 2)))
            try await env.db.sql.raw("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)").run()
            let again = try await env.audit.verify()
            #expect(again.problems.contains(.missing(from: 6, to: 6)))
        }
    }

    @Test("concurrent appends form one unbroken chain", arguments: TestBackend.available)
    func concurrentAppends(_ backend: TestBackend) async throws {
        try await withTestEnvironment(backend) { env in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<40 {
                    group.addTask {
                        try await env.audit.append(AuditEntry(eventId: "evt-\(n)", time: env.clock.now(), actorType: .system, actorId: "t",
                                                              publisherId: nil, action: "test.append", targetType: "test", targetId: "\(n)"))
                    }
                }
                try await group.waitForAll()
            }
            let records = try await env.audit.records(publisherId: nil, afterSequence: 0, limit: 100)
            #expect(records.map(\.sequence) == Array(1...40))
            #expect(try await env.audit.verify().isIntact)
        }
    }
}
