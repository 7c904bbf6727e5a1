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

@Suite("Wire timestamps")
struct WireTimeTests {
    @Test("fast formatting matches DateFormatter", arguments: [0.0, 1_795_000_000.123_456_7, 951_782_400.5, 4_102_444_799.999_999_9, 1_709_164_800, -86_400.25])
    func matches(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let base = f.string(from: date)
        #expect(WireTime.precise(date).hasPrefix(base + "."))
        #expect(WireTime.precise(date).count == 28 && WireTime.precise(date).hasSuffix("Z"))
        f.dateFormat = "yyyy-MM-dd'T'00:00:00'Z'"
        #expect(WireTime.day(date) == f.string(from: date))
    }

    @Test("fractions are 100 ns ticks")
    func ticks() {
        #expect(WireTime.precise(Date(timeIntervalSince1970: 1_615_849_564.25)) == "2021-03-15T23:06:04.2500000Z")
    }
}
