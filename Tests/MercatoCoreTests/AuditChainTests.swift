import Foundation
import Testing
@testable import MercatoCore

/// A stand-in digest for the pure chain logic (FNV-1a, 64-bit, hex); production uses SHA-256 (tested in MercatoAuthTests).
let fnvDigest: AuditChain.Digest = { bytes in
    var hash: UInt64 = 0xcbf29ce484222325
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
    return String(format: "%016llx", hash)
}

@Suite("Audit hash chain (GOV-AUD-03)")
struct AuditChainTests {
    let chain = AuditChain(digest: fnvDigest)

    func entry(_ n: Int) -> AuditEntry {
        AuditEntry(eventId: "e\(n)", time: Date(timeIntervalSince1970: 1_700_000_000 + Double(n)), actorType: .user,
                   actorId: "u\(n % 3)", publisherId: "contoso", action: "role.assign", targetType: "user", targetId: "t\(n)",
                   after: "{\"role\":\"Developer\"}")
    }

    func build(_ count: Int) -> [AuditRecord] {
        var records: [AuditRecord] = []
        for n in 1...count {
            records.append(chain.seal(entry(n), after: records.last.map { ($0.sequence, $0.hash) }))
        }
        return records
    }

    func head(_ records: [AuditRecord]) -> (Int64, String)? { records.last.map { ($0.sequence, $0.hash) } }

    @Test("an untouched chain verifies")
    func intact() {
        let records = build(10)
        #expect(records.map(\.sequence) == Array(1...10))
        #expect(records[0].previousHash == AuditChain.genesis)
        #expect(chain.verify(records, head: head(records)).isIntact)
        #expect(chain.verify([], head: nil).isIntact)
    }

    @Test("editing any field of record 5 is reported at record 5", arguments: [
        "actorId", "action", "targetId", "after", "time", "decision",
    ])
    func editDetected(_ field: String) {
        var records = build(8)
        let original = records
        switch field {
        case "actorId": records[4].entry.actorId = "mallory"
        case "action": records[4].entry.action = "role.unassign"
        case "targetId": records[4].entry.targetId = "other"
        case "after": records[4].entry.after = "{\"role\":\"Owner\"}"
        case "time": records[4].entry.time = records[4].entry.time.addingTimeInterval(1)
        default: records[4].entry.decision = .blocked
        }
        let result = chain.verify(records, head: head(original))
        #expect(result.problems == [.altered(sequence: 5, eventId: "e5")])
    }

    @Test("re-hashing an edited record still breaks the link of the next one")
    func rehashDetected() {
        var records = build(6)
        let original = records
        records[2].entry.actorId = "mallory"
        records[2].hash = chain.hash(sequence: 3, entry: records[2].entry, previousHash: records[2].previousHash)
        let result = chain.verify(records, head: head(original))
        #expect(result.problems == [.brokenLink(sequence: 4, eventId: "e4")])
    }

    @Test("deleting a record in the middle is reported with its number")
    func deletionDetected() {
        var records = build(6)
        let original = records
        records.remove(at: 3)
        let result = chain.verify(records, head: head(original))
        #expect(result.problems.contains(.missing(from: 4, to: 4)))
        #expect(result.problems.contains(.brokenLink(sequence: 5, eventId: "e5")))
    }

    @Test("deleting records from the end is caught by the head")
    func tailDeletionDetected() {
        let records = build(6)
        let result = chain.verify(Array(records.prefix(4)), head: head(records))
        #expect(result.problems == [.missing(from: 5, to: 6)])
        #expect(result.problems.first?.description == "records #5–#6 were deleted")
    }

    @Test("canonical bytes tell a missing field from an empty one")
    func canonicalAmbiguity() {
        var a = entry(1); a.reason = nil
        var b = entry(1); b.reason = ""
        #expect(AuditChain.canonicalBytes(sequence: 1, entry: a, previousHash: "x") != AuditChain.canonicalBytes(sequence: 1, entry: b, previousHash: "x"))
        var c = entry(1); c.actorId = "ab"; c.onBehalfOf = "c"
        var d = entry(1); d.actorId = "a"; d.onBehalfOf = "bc"
        #expect(AuditChain.canonicalBytes(sequence: 1, entry: c, previousHash: "x") != AuditChain.canonicalBytes(sequence: 1, entry: d, previousHash: "x"))
    }
}
