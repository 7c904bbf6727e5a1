import Foundation

/// The HTML a description may contain (spec-portal §2.7 "Allowed HTML in descriptions"): b, i, em, br, p, ul, ol,
/// li, h1–h6, without attributes. Anything else is reported, not silently stripped.
public enum HTMLAllowList {
    public static let tags: Set<String> = ["b", "i", "em", "br", "p", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"]

    /// Problems found, in order ("<script> is not allowed", "attributes are not allowed on <p>").
    public static func problems(in html: String) -> [String] {
        var problems: [String] = []
        var index = html.startIndex
        while let open = html[index...].firstIndex(of: "<") {
            let next = html.index(after: open)
            guard next < html.endIndex else { break }
            let c = html[next]
            guard c.isLetter || c == "/" || c == "!" || c == "?" else { index = next; continue }
            guard let close = html[next...].firstIndex(of: ">") else {
                problems.append("an unclosed tag starts at '\(html[open...].prefix(20))'")
                break
            }
            let inner = html[next..<close]
            if inner.hasPrefix("!") || inner.hasPrefix("?") {
                problems.append("comments and declarations are not allowed")
            } else {
                var body = Substring(inner)
                if body.hasPrefix("/") { body = body.dropFirst() }
                if body.hasSuffix("/") { body = body.dropLast() }
                let name = body.prefix { $0.isLetter || $0.isNumber }.lowercased()
                let rest = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
                if !tags.contains(name) {
                    problems.append("<\(name)> is not allowed (allowed: b, i, em, br, p, ul, ol, li, h1–h6)")
                } else if !rest.isEmpty {
                    problems.append("attributes are not allowed on <\(name)>")
                }
            }
            index = html.index(after: close)
        }
        return problems
    }
}
