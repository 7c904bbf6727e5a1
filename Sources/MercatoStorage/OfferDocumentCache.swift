import Foundation
import MercatoCore

/// Decoded offer documents (draft, preview, live) per offer, reused while the stored JSON is byte for byte the text
/// they were decoded from. Decoding is a pure function of that text, so a hit can never be stale, whichever process
/// wrote the row; a changed row simply misses. An activation decoded its offer's three documents (30 dimensions in the
/// bench offer) on every call: half of its CPU.
final class OfferDocumentCache: @unchecked Sendable {
    enum Slot: UInt8 { case draft, preview, live }
    struct Key: Hashable {
        let publisherId: String
        let offerId: String
        let slot: Slot
    }

    private let lock = NSLock()
    private var entries: [Key: (text: String, offer: Offer)] = [:]
    /// Past this many documents everything is dropped (a marketplace has far fewer offers than this).
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    var count: Int { lock.withLock { entries.count } }

    func offer(_ key: Key, text: String, decode: (String) throws -> Offer) rethrows -> Offer {
        if let hit = lock.withLock({ entries[key] }), Self.sameBytes(hit.text, text) { return hit.offer }
        let offer = try decode(text)
        lock.withLock {
            if entries.count >= capacity, entries[key] == nil { entries.removeAll() }
            entries[key] = (text, offer)
        }
        return offer
    }

    /// Byte equality (what decoding sees), not `==`'s Unicode canonical equivalence.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in pa.count == pb.count && (pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0) }
        }
    }
}
