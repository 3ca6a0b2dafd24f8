/// A user: a name (the actor its writes are attributed to), a role, and maybe a password. The
/// password hash never leaves the daemon; `has_password` says whether one is set.
public struct User: Codable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var name: String
    public var displayName: String?
    public var role: String
    public var hasPassword: Bool
    public var createdAt: String
    public var updatedAt: String
    public var disabledAt: String?

    public init(
        id: Int64, uid: String, name: String, displayName: String?, role: String, hasPassword: Bool, createdAt: String,
        updatedAt: String, disabledAt: String?
    ) {
        self.id = id
        self.uid = uid
        self.name = name
        self.displayName = displayName
        self.role = role
        self.hasPassword = hasPassword
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.disabledAt = disabledAt
    }

    enum CodingKeys: String, CodingKey { case id, uid, name, displayName, role, hasPassword, createdAt, updatedAt, disabledAt }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(uid, forKey: .uid)
        try c.encode(name, forKey: .name)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(role, forKey: .role)
        try c.encode(hasPassword, forKey: .hasPassword)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(disabledAt, forKey: .disabledAt)
    }
}

/// `POST /users`.
public struct CreateUserRequest: Codable, Sendable {
    public var name: String?
    public var role: String?
    public var displayName: String?
    public var password: String?
    public init(name: String?, role: String?, displayName: String? = nil, password: String? = nil) {
        self.name = name
        self.role = role
        self.displayName = displayName
        self.password = password
    }
}

/// `PATCH /users/{name}`: each field present is changed.
public struct UpdateUserRequest: Codable, Sendable {
    public var role: String?
    public var displayName: String?
    public var password: String?
    public var disabled: Bool?
    public init(role: String? = nil, displayName: String? = nil, password: String? = nil, disabled: Bool? = nil) {
        self.role = role
        self.displayName = displayName
        self.password = password
        self.disabled = disabled
    }
}

/// The answer of `POST /users` and `PATCH /users/{name}`.
public struct UserAnswer: Codable, Sendable {
    public var user: User
    public var changed: Bool
    public init(user: User, changed: Bool) {
        self.user = user
        self.changed = changed
    }
}

/// `GET /users`.
public struct UserListAnswer: Codable, Sendable {
    public var users: [User]
    public init(users: [User]) { self.users = users }
}

/// `POST /auth/login`.
public struct LoginRequest: Codable, Sendable {
    public var username: String?
    public var password: String?
    public init(username: String?, password: String?) {
        self.username = username
        self.password = password
    }
}

/// The answer of `POST /auth/login`: the session token, shown this once.
public struct LoginAnswer: Codable, Sendable {
    public var token: String
    public var tokenId: Int64
    public var actor: String
    public var role: String
    public var kind: String
    public var expiresAt: String
    public init(token: String, tokenId: Int64, actor: String, role: String, kind: String, expiresAt: String) {
        self.token = token
        self.tokenId = tokenId
        self.actor = actor
        self.role = role
        self.kind = kind
        self.expiresAt = expiresAt
    }
}

/// The answer of `POST /auth/logout`: whether the presented token was revoked.
public struct LogoutAnswer: Codable, Sendable {
    public var revoked: Bool
    public var tokenId: Int64?
    public init(revoked: Bool, tokenId: Int64?) {
        self.revoked = revoked
        self.tokenId = tokenId
    }

    enum CodingKeys: String, CodingKey { case revoked, tokenId }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(revoked, forKey: .revoked)
        try c.encode(tokenId, forKey: .tokenId)
    }
}
