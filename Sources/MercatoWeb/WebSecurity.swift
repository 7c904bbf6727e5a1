import Foundation
import HTTPTypes
import Hummingbird
import MercatoCore

/// Sessions and CSRF for the pages (issue 9): the session cookie is HttpOnly, SameSite=Lax (Secure when the site is
/// served over https); every POST form carries a CSRF token — the session's own when signed in, otherwise a random
/// token double-submitted in an HttpOnly, SameSite=Strict cookie. No secret ever goes into a URL.
public struct WebSecurity: Sendable {
    public let signIn: PasswordSignIn
    public let secureCookies: Bool
    let ids: any IDGenerator
    /// The session cookie's name: one per realm, so a customer session and a portal session live side by side.
    public let sessionCookie: String

    public static let csrfCookie = "mercato_csrf"

    public init(signIn: PasswordSignIn, secureCookies: Bool, ids: any IDGenerator) {
        self.signIn = signIn
        self.secureCookies = secureCookies
        self.ids = ids
        self.sessionCookie = signIn.realm == .customer ? "mercato_session" : "mercato_portal"
    }

    /// Who is asking, and the CSRF token their forms must carry (with the cookie to set when one is new).
    public struct Visit: Sendable {
        public var session: WebSession?
        public var csrf: String
        public var setCookies: [String]

        public var viewer: Viewer? { session.map { Viewer(email: $0.email, name: $0.displayName, csrf: csrf) } }
    }

    public static func cookies(_ r: Request) -> [String: String] {
        var out: [String: String] = [:]
        for header in r.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                let name = kv[0].trimmingCharacters(in: .whitespaces)
                if out[name] == nil { out[name] = kv[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return out
    }

    public func visit(_ r: Request) async throws -> Visit {
        let jar = Self.cookies(r)
        if let session = try await signIn.session(token: jar[sessionCookie]) {
            return Visit(session: session, csrf: session.csrfToken, setCookies: [])
        }
        if let token = jar[Self.csrfCookie], token.count >= 20, token.count <= 64, token.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            return Visit(session: nil, csrf: token, setCookies: [])
        }
        let token = ids.urlSafeToken(byteCount: 24)
        return Visit(session: nil, csrf: token, setCookies: [cookie(Self.csrfCookie, token, sameSite: "Strict", maxAge: nil)])
    }

    /// Whether a POSTed form's token matches the visit's.
    public func checkCSRF(_ form: [String: String], _ visit: Visit) -> Bool {
        guard let sent = form["csrf"], !sent.isEmpty, visit.setCookies.isEmpty || visit.session != nil else { return false }
        return constantTimeEquals(sent, visit.csrf)
    }

    public func cookie(_ name: String, _ value: String, sameSite: String = "Lax", maxAge: Int?) -> String {
        var c = "\(name)=\(value); Path=/; HttpOnly; SameSite=\(sameSite)"
        if secureCookies { c += "; Secure" }
        if let maxAge { c += "; Max-Age=\(maxAge)" }
        return c
    }

    public func sessionCookie(_ token: String, lifetime: TimeInterval) -> String { cookie(sessionCookie, token, maxAge: Int(lifetime)) }
    public func clearedSessionCookie() -> String { cookie(sessionCookie, "", maxAge: 0) }

    /// A local path to come back to after signing in (never another site: "//host" and "/\\host" are refused).
    public static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), next.count <= 512,
              !next.contains(where: { $0.isNewline || $0 == "\\" }) else { return "/account/subscriptions" }
        return next
    }

    /// Reads a form body (at most 64 KiB).
    public static func form(_ r: Request) async throws -> [String: String] {
        let contentType = r.headers[.contentType]?.lowercased() ?? ""
        let buffer = try await r.body.collect(upTo: 64 * 1024)
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else { return [:] }
        return FormEncoding.decode(String(buffer: buffer))
    }

    public static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for c in cookies { headers.append(HTTPField(name: .setCookie, value: c)) }
        return Response(status: .seeOther, headers: headers)
    }
}

extension Response {
    /// Adds Set-Cookie headers and marks a personalised page uncacheable.
    func with(cookies: [String], private personal: Bool) -> Response {
        var r = self
        for c in cookies { r.headers.append(HTTPField(name: .setCookie, value: c)) }
        if personal || !cookies.isEmpty { r.headers[.cacheControl] = "no-store" }
        return r
    }
}
