import Foundation
import MercatoCore

/// Constants and formats of the Entra ID token service Mercato stands in for (spec-saas §2.1).
public enum EntraConventions {
    /// The fixed resource (application) ID of the "Marketplace SaaS API", for fulfillment and metering.
    public static let marketplaceResourceId = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"

    /// Token lifetime. spec-saas §2.1: "valid for one hour"; GOV-ID-10: `expires_in` 3599.
    public static let tokenLifetime: Int = 3599

    /// Clock tolerance when validating exp/nbf (spec-saas §2.1: "[EMU] uses 5 s").
    public static let clockSkew: Int = 5

    public static func v1Issuer(tenantId: String) -> String { "https://sts.windows.net/\(tenantId)/" }
    public static func v2Issuer(tenantId: String) -> String { "https://login.microsoftonline.com/\(tenantId)/v2.0" }

    /// The object ID of an application's service principal: stable per client ID (a name-based UUID).
    public static func servicePrincipalObjectId(clientId: String, digest: AuditChain.Digest) -> String {
        EntraStyle.nameBasedUUID("mercato-service-principal:\(clientId.lowercased())", digest: digest)
    }
}

/// The token endpoint versions.
public enum TokenEndpointVersion: String, Sendable {
    case v1 = "1.0"
    case v2 = "2.0"
}
