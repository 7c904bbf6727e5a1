import Hummingbird
import Logging
import MercatoCore

/// The request context of every route: Hummingbird's core storage plus the IDs Microsoft's APIs echo
/// (spec-saas §1.2) and, on authenticated routes, the caller.
public struct MercatoRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `x-ms-requestid`, from the client or generated.
    public var requestId: String = ""
    /// `x-ms-correlationid`, from the client or generated.
    public var correlationId: String = ""
    /// Set by authentication middleware on protected groups.
    public var principal: Principal?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Audit context for the current request and caller.
    public var auditContext: AuditContext {
        if let principal {
            return AuditContext(principal: principal, requestId: requestId, correlationId: correlationId)
        }
        return AuditContext(actorType: .system, actorId: "anonymous", requestId: requestId, correlationId: correlationId)
    }

    /// The calling publisher principal and its publisher ID; 401 without one, 403 (through `Authorization`) when a
    /// `permission` is given and its roles don't grant it. Every partner and admin route starts here.
    public func publisher(requiring permission: Permission? = nil, policy: RolePolicy = .default) throws -> (Principal, String) {
        guard let p = principal, let publisherId = p.publisherId else {
            throw APIError(.unauthorized, code: "Unauthorized", message: "The authorization token was not provided.")
        }
        if let permission { try Authorization.require(p, permission, publisherId: publisherId, policy: policy) }
        return (p, publisherId)
    }
}
