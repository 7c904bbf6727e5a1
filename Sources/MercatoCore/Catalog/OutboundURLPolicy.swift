import Foundation

/// Rules for URLs Mercato will call (landing page checks, webhooks, lead pushes): https to public addresses;
/// http only to loopback, and only for sandbox offers (GOV-WH-02; issue 6).
public enum OutboundURLPolicy {
    public static func isLoopback(host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// Literal IP hosts in private, link-local, metadata or unspecified ranges (SSRF targets).
    public static func isPrivateOrReserved(host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let parts = h.split(separator: ".").compactMap { Int($0) }
        if parts.count == 4 && h.split(separator: ".").count == 4 {
            let (a, b) = (parts[0], parts[1])
            return a == 10 || a == 127 || a == 0 || (a == 169 && b == 254) || (a == 172 && (16...31).contains(b))
                || (a == 192 && b == 168) || (a == 100 && (64...127).contains(b)) || a >= 224
        }
        if h.contains(":") {
            return h == "::1" || h == "::" || h.hasPrefix("fe80:") || h.hasPrefix("fc") || h.hasPrefix("fd") || h.hasPrefix("::ffff:")
        }
        return h == "localhost" || h.hasSuffix(".localhost") || h.hasSuffix(".internal") || h == "metadata.google.internal"
    }

    /// Whether Mercato may call `url` for an offer (sandbox or not).
    public static func check(_ urlString: String, sandbox: Bool) -> String? {
        guard let url = URL(string: urlString), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return "'\(urlString)' is not a valid URL"
        }
        if sandbox && isLoopback(host: host) && (scheme == "http" || scheme == "https") { return nil }
        guard scheme == "https" else { return "must use https" }
        if isPrivateOrReserved(host: host) { return "\(host) is a private, loopback or reserved address" }
        return nil
    }
}
