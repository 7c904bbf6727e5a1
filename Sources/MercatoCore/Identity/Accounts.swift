import Foundation

/// A publisher (seller) account (spec-portal §1.1, §1.4). `id` is the Publisher ID the publisher chose:
/// globally unique, immutable, never reused (GOV-ACC-05); `sellerId` is assigned by the marketplace.
public struct PublisherAccount: Sendable, Equatable, Codable {
    public var id: String
    public var sellerId: String
    public var name: String
    public var mpnId: String?
    public var createdAt: Date

    public init(id: String, sellerId: String, name: String, mpnId: String? = nil, createdAt: Date) {
        self.id = id
        self.sellerId = sellerId
        self.name = name
        self.mpnId = mpnId
        self.createdAt = createdAt
    }
}

/// An Entra-style directory tenant associated with a publisher account (spec-portal §1.5).
public struct Tenant: Sendable, Equatable, Codable {
    public var id: String
    public var publisherId: String
    public var name: String
    public var createdAt: Date

    public init(id: String, publisherId: String, name: String, createdAt: Date) {
        self.id = id
        self.publisherId = publisherId
        self.name = name
        self.createdAt = createdAt
    }
}

/// A user of a publisher account, from one of its tenants (spec-portal §1.6).
public struct PublisherUser: Sendable, Equatable, Codable {
    public var id: String
    public var publisherId: String
    public var tenantId: String
    public var email: String
    public var displayName: String
    public var createdAt: Date

    public init(id: String, publisherId: String, tenantId: String, email: String, displayName: String, createdAt: Date) {
        self.id = id
        self.publisherId = publisherId
        self.tenantId = tenantId
        self.email = email
        self.displayName = displayName
        self.createdAt = createdAt
    }
}

/// A group of users; members inherit its roles (spec-portal §1.7).
public struct UserGroup: Sendable, Equatable, Codable {
    public var id: String
    public var publisherId: String
    public var name: String
    public var memberIds: [String]
    public var createdAt: Date

    public init(id: String, publisherId: String, name: String, memberIds: [String], createdAt: Date) {
        self.id = id
        self.publisherId = publisherId
        self.name = name
        self.memberIds = memberIds
        self.createdAt = createdAt
    }
}

/// Who a role is assigned to.
public enum PrincipalRef: Sendable, Hashable, Codable {
    case user(String)
    case group(String)
    case app(String)

    public var type: String {
        switch self { case .user: "user"; case .group: "group"; case .app: "app" }
    }

    public var id: String {
        switch self { case let .user(id), let .group(id), let .app(id): id }
    }

    public init?(type: String, id: String) {
        switch type {
        case "user": self = .user(id)
        case "group": self = .group(id)
        case "app": self = .app(id)
        default: return nil
        }
    }
}

public struct RoleAssignment: Sendable, Hashable, Codable {
    public var principal: PrincipalRef
    public var role: Role

    public init(principal: PrincipalRef, role: Role) {
        self.principal = principal
        self.role = role
    }
}

/// An Entra-style app registration used to call the marketplace APIs (spec-portal §1.8; spec-saas §2.1):
/// tenant ID + client ID + client secrets. Secrets are stored hashed and shown once (GOV-SEC-01).
public struct APIApplication: Sendable, Equatable, Codable {
    public var clientId: String
    public var tenantId: String
    public var publisherId: String
    public var name: String
    public var createdAt: Date

    public init(clientId: String, tenantId: String, publisherId: String, name: String, createdAt: Date) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.publisherId = publisherId
        self.name = name
        self.createdAt = createdAt
    }
}

/// A stored client secret: never the secret itself, only its hash and a short hint ("abc…").
public struct ClientSecretRecord: Sendable, Equatable, Codable {
    public var id: String
    public var clientId: String
    public var hash: String
    public var hint: String
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?

    public init(id: String, clientId: String, hash: String, hint: String, createdAt: Date, expiresAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.clientId = clientId
        self.hash = hash
        self.hint = hint
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    public func isActive(at now: Date) -> Bool { revokedAt == nil && expiresAt > now }
}

/// The one moment a plaintext secret exists: returned to the caller once, never stored.
public struct IssuedClientSecret: Sendable, Equatable {
    public var application: APIApplication
    public var record: ClientSecretRecord
    public var secret: String
}

/// A buyer organisation (an Entra tenant) of the storefront.
public struct Customer: Sendable, Equatable, Codable {
    public var tenantId: String
    public var name: String
    public var createdAt: Date

    public init(tenantId: String, name: String, createdAt: Date) {
        self.tenantId = tenantId
        self.name = name
        self.createdAt = createdAt
    }
}

/// A buyer user, identified by e-mail within a customer tenant.
public struct CustomerUser: Sendable, Equatable, Codable {
    public var id: String
    public var tenantId: String
    public var email: String
    public var displayName: String
    public var createdAt: Date

    public init(id: String, tenantId: String, email: String, displayName: String, createdAt: Date) {
        self.id = id
        self.tenantId = tenantId
        self.email = email
        self.displayName = displayName
        self.createdAt = createdAt
    }
}
