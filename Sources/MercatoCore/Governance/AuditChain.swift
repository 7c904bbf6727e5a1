import Foundation

/// The hash chain over the audit log (GOV-AUD-03): each record's hash covers its own fields and the hash of its
/// predecessor, so editing or deleting any record breaks verification from that record on.
///
/// The digest function is injected (MercatoCore stays Foundation-only); production passes SHA-256 as lowercase hex.
public struct AuditChain: Sendable {
    public typealias Digest = @Sendable ([UInt8]) -> String

    /// The `previousHash` of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    private let digest: Digest

    public init(digest: @escaping Digest) {
        self.digest = digest
    }

    /// Canonical bytes of a record: every field length-prefixed, in a fixed order, so no two different records
    /// serialise alike. Times are milliseconds since 1970 (what storage keeps).
    public static func canonicalBytes(sequence: Int64, entry e: AuditEntry, previousHash: String) -> [UInt8] {
        let fields: [String?] = [
            String(sequence), previousHash, e.eventId, String(Int64((e.time.timeIntervalSince1970 * 1000).rounded())),
            e.actorType.rawValue, e.actorId, e.onBehalfOf, e.publisherId, e.action, e.targetType, e.targetId,
            e.before, e.after, e.decision.rawValue, e.reason, e.correlationId, e.requestId, e.sourceIP, e.platformVersion,
        ]
        var out: [UInt8] = Array("mercato-audit-v1".utf8)
        for field in fields {
            if let field {
                let bytes = Array(field.utf8)
                out += Array("|\(bytes.count):".utf8) + bytes
            } else {
                out += Array("|-".utf8)
            }
        }
        return out
    }

    public func hash(sequence: Int64, entry: AuditEntry, previousHash: String) -> String {
        digest(Self.canonicalBytes(sequence: sequence, entry: entry, previousHash: previousHash))
    }

    /// Links `entry` after the record with `previous` (nil for the first record).
    public func seal(_ entry: AuditEntry, after previous: (sequence: Int64, hash: String)?) -> AuditRecord {
        let sequence = (previous?.sequence ?? 0) + 1
        let prevHash = previous?.hash ?? Self.genesis
        return AuditRecord(sequence: sequence, entry: entry, previousHash: prevHash,
                           hash: hash(sequence: sequence, entry: entry, previousHash: prevHash))
    }

    /// Verifies records in sequence order. `head` is the independently stored (sequence, hash) of the last record
    /// written, which lets verification notice records deleted from the end.
    public func verify(_ records: [AuditRecord], head: (sequence: Int64, hash: String)?) -> AuditVerification {
        var problems: [AuditProblem] = []
        var expectedSequence: Int64 = 1
        var previousHash = Self.genesis
        for record in records {
            if record.sequence != expectedSequence {
                if record.sequence > expectedSequence {
                    problems.append(.missing(from: expectedSequence, to: record.sequence - 1))
                } else {
                    problems.append(.outOfOrder(sequence: record.sequence))
                }
            }
            if record.previousHash != previousHash {
                problems.append(.brokenLink(sequence: record.sequence, eventId: record.entry.eventId))
            }
            let recomputed = hash(sequence: record.sequence, entry: record.entry, previousHash: record.previousHash)
            if recomputed != record.hash {
                problems.append(.altered(sequence: record.sequence, eventId: record.entry.eventId))
            }
            expectedSequence = record.sequence + 1
            previousHash = record.hash
        }
        let lastSequence = records.last?.sequence ?? 0
        if let head {
            if head.sequence > lastSequence {
                problems.append(.missing(from: lastSequence + 1, to: head.sequence))
            } else if head.sequence == lastSequence, let last = records.last, head.hash != last.hash {
                problems.append(.headMismatch(sequence: head.sequence))
            } else if head.sequence < lastSequence {
                problems.append(.headMismatch(sequence: head.sequence))
            }
        } else if !records.isEmpty {
            problems.append(.headMismatch(sequence: 0))
        }
        return AuditVerification(recordCount: records.count, problems: problems)
    }
}

public enum AuditProblem: Sendable, Equatable, CustomStringConvertible {
    /// The record's fields no longer hash to its stored hash: it was edited.
    case altered(sequence: Int64, eventId: String)
    /// The record does not point at its predecessor's hash: a record before it was edited, replaced or removed.
    case brokenLink(sequence: Int64, eventId: String)
    /// Sequence numbers are missing: records were deleted.
    case missing(from: Int64, to: Int64)
    case outOfOrder(sequence: Int64)
    /// The chain head disagrees with the last record.
    case headMismatch(sequence: Int64)

    public var description: String {
        switch self {
        case let .altered(seq, id): "record #\(seq) (event \(id)) was edited: its content no longer matches its hash"
        case let .brokenLink(seq, id): "record #\(seq) (event \(id)) does not link to the record before it"
        case let .missing(from, to): from == to ? "record #\(from) was deleted" : "records #\(from)–#\(to) were deleted"
        case let .outOfOrder(seq): "record #\(seq) is out of order"
        case let .headMismatch(seq): "the chain head (#\(seq)) does not match the last record"
        }
    }
}

public struct AuditVerification: Sendable, Equatable {
    public var recordCount: Int
    public var problems: [AuditProblem]
    public var isIntact: Bool { problems.isEmpty }
}
