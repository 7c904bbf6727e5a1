import Foundation
import Testing
@testable import MercatoCore

@Suite("Clocks")
struct ClockTests {
    @Test("the adjustable clock only moves forward")
    func adjustable() throws {
        let base = ManualClock(Date(timeIntervalSince1970: 1_000))
        let clock = AdjustableClock(base: base)
        #expect(clock.now() == Date(timeIntervalSince1970: 1_000))
        try clock.advance(by: 31 * 86_400)
        #expect(clock.now() == Date(timeIntervalSince1970: 1_000 + 31 * 86_400))
        #expect(throws: DomainError.self) { try clock.advance(by: -1) }
        #expect(clock.currentOffset == 31 * 86_400)
    }

    @Test("base64url round-trips and never contains + / =")
    func base64url() {
        let ids = SystemIDGenerator()
        for _ in 0..<200 {
            let bytes = ids.randomBytes(Int.random(in: 0...40))
            let encoded = Base64URL.encode(bytes)
            #expect(!encoded.contains("+") && !encoded.contains("/") && !encoded.contains("="))
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }
}
