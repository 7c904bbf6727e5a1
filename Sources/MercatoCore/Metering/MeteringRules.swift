import Foundation

/// The metering rules of spec-saas §7 as pure functions.
public enum MeteringRules {
    public static let window: TimeInterval = 24 * 3600
    public static let maxBatch = 25

    /// Parses an ISO 8601 UTC timestamp: "2018-12-01T08:30:14", "…Z", fractions up to 7 digits, or an offset.
    /// A timestamp without an offset is UTC (spec-saas §13.18).
    public static func parseTime(_ s: String) -> Date? {
        let chars = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= chars.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                let c = chars[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard chars.count >= 19, chars[4] == 45, chars[7] == 45, chars[10] == 84 || chars[10] == 116 || chars[10] == 32, chars[13] == 58, chars[16] == 58,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let se = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < chars.count, chars[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 { fraction += Double(chars[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start, i - start <= 9 else { return nil }
        }
        var offset = 0
        if i < chars.count {
            if chars[i] == 90 || chars[i] == 122 { i += 1 } else if chars[i] == 43 || chars[i] == 45 {
                let sign = chars[i] == 43 ? 1 : -1
                guard let oh = num(i + 1, 2), let om = num(i + 4, 2), i + 3 < chars.count, chars[i + 3] == 58 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
                i += 6
            } else { return nil }
        }
        guard i == chars.count else { return nil }
        // Days from civil (proleptic Gregorian), UTC.
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        guard d <= daysInMonth(y, mo) else { return nil }
        let seconds = Double(days * 86_400 + h * 3600 + mi * 60 + se - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The UTC calendar hour of a time, as hours since 1970 (spec-saas §7.3: 10:59:59 and 11:00:00 differ).
    public static func hour(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 3600).rounded(.down)) }

    /// Checks one event against everything but duplicates (which storage decides). Returns the failure, or nil.
    public static func check(_ e: UsageEventInput, resource: MeteredResource?, callerPublisherId: String, now: Date)
        -> (status: UsageStatus, message: String, target: String?)? {
        if let m = e.malformed { return (.badArgument, m.message, m.field) }
        if e.resourceId != nil && e.resourceUri != nil { return (.badArgument, "Use either resourceId or resourceUri, not both.", "resourceId") }
        guard e.resourceId != nil || e.resourceUri != nil else { return (.badArgument, "The resourceId is required.", "resourceId") }
        if let id = e.resourceId, !GUIDText.isWellFormed(id) { return (.badArgument, "The resourceId must be a GUID.", "resourceId") }
        guard let quantity = e.quantity else { return (.badArgument, "The quantity is required.", "quantity") }
        guard let dimension = e.dimension, !dimension.isEmpty else { return (.badArgument, "The dimension is required.", "dimension") }
        guard let planId = e.planId, !planId.isEmpty else { return (.badArgument, "The planId is required.", "planId") }
        guard let text = e.effectiveStartTime else { return (.badArgument, "The effectiveStartTime is required.", "effectiveStartTime") }
        guard let at = parseTime(text) else { return (.badArgument, "The effectiveStartTime '\(text)' is not a valid UTC date and time.", "effectiveStartTime") }
        guard quantity > 0 else { return (.invalidQuantity, "The quantity must be greater than 0.", "quantity") }
        guard at <= now else { return (.badArgument, "The effectiveStartTime is in the future.", "effectiveStartTime") }
        guard now.timeIntervalSince(at) <= window else { return (.expired, "Event has expired.", "effectiveStartTime") }
        guard let r = resource else { return (.resourceNotFound, "The usage resource provided is invalid.", e.resourceId != nil ? "resourceId" : "resourceUri") }
        guard r.publisherId == callerPublisherId else { return (.resourceNotAuthorized, "You are not authorized to provide usage for this resource.", "resourceId") }
        switch r.status {
        case .subscribed: break
        case .unsubscribed:
            // [DOCS+ FAQ]: usage for the hours before the cancellation, within the 24-hour window.
            guard let canceled = r.canceledAt, at < canceled else {
                return (.resourceNotActive, "The resource is canceled; only usage from before the cancellation can be reported.", "resourceId")
            }
        default:
            return (.resourceNotActive, "The resource is suspended or was never activated.", "resourceId")
        }
        guard planId == r.planId else { return (.badArgument, "The planId '\(planId)' is not the resource's plan ('\(r.planId)').", "planId") }
        guard r.dimensions.contains(dimension) else {
            return (.invalidDimension, "The dimension '\(dimension)' is invalid for this offer/plan.", "dimension")
        }
        return nil
    }
}
