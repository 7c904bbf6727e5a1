import Foundation
import MercatoCore

/// Renders an offer description for a page: only the allowed tags (spec-portal §2.7: b, i, em, br, p, ul, ol, li,
/// h1–h6), never with attributes, everything else escaped as text. Descriptions are validated on save already; this
/// re-sanitises on output so a page can never carry markup the allow-list does not name.
public enum SafeHTML {
    public static func render(_ html: String) -> String {
        var out = ""
        var i = html.startIndex
        while i < html.endIndex {
            let c = html[i]
            if c == "<", let close = html[i...].firstIndex(of: ">") {
                var inner = html[html.index(after: i)..<close]
                let closing = inner.hasPrefix("/")
                if closing { inner = inner.dropFirst() }
                if inner.hasSuffix("/") { inner = inner.dropLast() }
                let name = inner.prefix { $0.isLetter || $0.isNumber }.lowercased()
                let rest = inner.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
                if HTMLAllowList.tags.contains(name) && rest.isEmpty {
                    out += name == "br" ? "<br>" : "<\(closing ? "/" : "")\(name)>"
                    i = html.index(after: close)
                    continue
                }
            }
            out += escape(c)
            i = html.index(after: i)
        }
        return out
    }

    public static func escape(_ c: Character) -> String {
        switch c {
        case "<": "&lt;"
        case ">": "&gt;"
        case "&": "&amp;"
        case "\"": "&quot;"
        case "'": "&#39;"
        default: String(c)
        }
    }
}
