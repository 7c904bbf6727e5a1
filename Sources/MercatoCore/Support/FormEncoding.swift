import Foundation

/// `application/x-www-form-urlencoded` (OAuth2 token requests, HTML forms): the first value of each name wins.
public enum FormEncoding {
    public static func decode(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = unescape(String(kv[0]))
            guard !key.isEmpty, fields[key] == nil else { continue }
            fields[key] = kv.count > 1 ? unescape(String(kv[1])) : ""
        }
        return fields
    }

    public static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }

    /// Percent-encodes a query value.
    public static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }
}
