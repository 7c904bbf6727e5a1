/// Whether text is a GUID in its 36-character form (8-4-4-4-12 hex digits, either case). `UUID(uuidString:)` on Linux
/// runs `sscanf` (a per-request cost on the metering and token paths) and also takes signs and blanks inside a field
/// (GUIDTextTests); this accepts only the strict form. Checks only; callers that need the value still use `UUID`.
public enum GUIDText {
    public static func isWellFormed<S: StringProtocol>(_ text: S) -> Bool {
        var count = 0
        for byte in text.utf8 {
            switch count {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return false }
            default:
                guard Hex.value(byte) != nil else { return false }
            }
            count += 1
            if count > 36 { return false }
        }
        return count == 36
    }
}
