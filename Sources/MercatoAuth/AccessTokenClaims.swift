import Foundation
import JWTKit

/// The claims of an Entra app-only access token, v1 or v2 (spec-saas §2.1). Times are integer seconds, as Entra
/// writes them. `verify(using:)` checks nothing: `TokenValidator` checks every claim against the injected clock.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var aud: String
    public var iss: String
    public var iat: Int
    public var nbf: Int
    public var exp: Int
    public var aio: String?
    /// v1: the client ID of the calling application.
    public var appid: String?
    public var appidacr: String?
    /// v2: the client ID of the calling application.
    public var azp: String?
    public var azpacr: String?
    public var idp: String?
    public var oid: String?
    public var rh: String?
    public var roles: [String]?
    public var sub: String?
    public var tid: String?
    public var uti: String?
    public var ver: String?

    public init(aud: String, iss: String, iat: Int, nbf: Int, exp: Int, aio: String? = nil, appid: String? = nil,
                appidacr: String? = nil, azp: String? = nil, azpacr: String? = nil, idp: String? = nil, oid: String? = nil,
                rh: String? = nil, roles: [String]? = nil, sub: String? = nil, tid: String? = nil, uti: String? = nil, ver: String? = nil) {
        self.aud = aud
        self.iss = iss
        self.iat = iat
        self.nbf = nbf
        self.exp = exp
        self.aio = aio
        self.appid = appid
        self.appidacr = appidacr
        self.azp = azp
        self.azpacr = azpacr
        self.idp = idp
        self.oid = oid
        self.rh = rh
        self.roles = roles
        self.sub = sub
        self.tid = tid
        self.uti = uti
        self.ver = ver
    }

    /// The calling application: `appid` (v1) or `azp` (v2).
    public var applicationId: String? { appid ?? azp }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
