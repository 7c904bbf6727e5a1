import Foundation

/// Fast UTC timestamp text for the wire ("2021-03-15T23:06:04.2795727Z", "2022-03-04T00:00:00Z"). DateFormatter is
/// slow on Linux and these are written for every subscription and usage event on the hot paths.
public enum WireTime {
    /// Civil date from days since 1970 (proleptic Gregorian).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func pad(_ n: Int, _ width: Int, into out: inout [UInt8]) {
        // In place, right to left (no array per field: every response with a timestamp writes seven of them).
        let start = out.count
        out.append(contentsOf: repeatElement(48, count: width))
        var v = n
        var i = start + width - 1
        while i >= start { out[i] = UInt8(48 + v % 10); v /= 10; i -= 1 }
    }

    /// With 7 fractional digits (100 ns), as the service writes `messageTime`, `created`, `timeStamp`.
    public static func precise(_ date: Date) -> String {
        let ticks = Int64((date.timeIntervalSince1970 * 10_000_000).rounded(.down))
        var seconds = ticks / 10_000_000
        var fraction = ticks % 10_000_000
        if fraction < 0 { fraction += 10_000_000; seconds -= 1 }
        return text(seconds: seconds, fraction: Int(fraction))
    }

    /// Midnight of the date's UTC day: "2022-03-04T00:00:00Z" (term dates, usage dates).
    public static func day(_ date: Date) -> String {
        let seconds = Int64((date.timeIntervalSince1970).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return text(seconds: days * 86_400, fraction: nil)
    }

    static func text(seconds: Int64, fraction: Int?) -> String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secs = Int(seconds - Int64(days) * 86_400)
        let (y, m, d) = civil(days)
        var out: [UInt8] = []
        out.reserveCapacity(28)
        pad(y, 4, into: &out); out.append(45)
        pad(m, 2, into: &out); out.append(45)
        pad(d, 2, into: &out); out.append(84)
        pad(secs / 3600, 2, into: &out); out.append(58)
        pad(secs / 60 % 60, 2, into: &out); out.append(58)
        pad(secs % 60, 2, into: &out)
        if let fraction { out.append(46); pad(fraction, 7, into: &out) }
        out.append(90)
        return String(decoding: out, as: UTF8.self)
    }
}
