/// Whether text is a GUID in its 36-character form (8-4-4-4-12 hex digits, either case). `UUID(uuidString:)` on Linux
/// runs `sscanf` (a per-request cost on the metering and token paths) and also takes signs and blanks inside a field
/// (GUIDTextTests); this accepts only the strict form. Checks only; callers that need the value still use `UUID`.
public enum GUIDText {
    public static func isWellFormed<S: StringProtocol>(_ text: S) -> Bool {
        // In place when the bytes are contiguous (native strings and their substrings): no UTF8View iteration.
        if let result = text.utf8.withContiguousStorageIfAvailable({ isWellFormed(bytes: $0) }) { return result }
        return isWellFormed(bytes: text.utf8)
    }

    static func isWellFormed<C: Collection<UInt8>>(bytes: C) -> Bool {
        guard bytes.count == 36 else { return false }
        for (i, byte) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard Hex.value(byte) != nil else { return false }
            }
        }
        return true
    }
}
