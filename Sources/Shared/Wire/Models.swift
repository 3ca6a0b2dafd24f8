/// A project: the namespace of issue numbers.
public struct Project: Codable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var name: String
    public var createdAt: String
    public var nextIssueNumber: Int64
    public var aliases: [ProjectAlias]?
    public var counts: IssueCounts?

    public init(
        id: Int64, uid: String, name: String, createdAt: String, nextIssueNumber: Int64,
        aliases: [ProjectAlias]? = nil, counts: IssueCounts? = nil
    ) {
        self.id = id
        self.uid = uid
        self.name = name
        self.createdAt = createdAt
        self.nextIssueNumber = nextIssueNumber
        self.aliases = aliases
        self.counts = counts
    }
}

/// A workspace bound to a project (`git` remote or `local://` path).
public struct ProjectAlias: Codable, Sendable, Equatable {
    public var aliasIdentity: String
    public var aliasKind: String
    public var lastSeenPath: String?
    public var createdAt: String

    public init(aliasIdentity: String, aliasKind: String, lastSeenPath: String?, createdAt: String) {
        self.aliasIdentity = aliasIdentity
        self.aliasKind = aliasKind
        self.lastSeenPath = lastSeenPath
        self.createdAt = createdAt
    }
}

/// Open and closed issue counts of a project (soft-deleted issues are not counted).
public struct IssueCounts: Codable, Sendable, Equatable {
    public var open: Int
    public var closed: Int
    public init(open: Int, closed: Int) {
        self.open = open
        self.closed = closed
    }
}

/// An issue as the API shows it. Every key is always present; absent values are `null`.
public struct Issue: Codable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var projectId: Int64
    public var projectName: String
    public var number: Int64
    public var shortId: String
    public var title: String
    public var body: String
    public var status: String
    public var closedReason: String?
    public var owner: String?
    public var author: String
    public var labels: [String]
    public var createdAt: String
    public var updatedAt: String
    public var closedAt: String?
    public var deletedAt: String?

    public init(
        id: Int64, uid: String, projectId: Int64, projectName: String, number: Int64, shortId: String, title: String,
        body: String, status: String, closedReason: String?, owner: String?, author: String, labels: [String],
        createdAt: String, updatedAt: String, closedAt: String?, deletedAt: String?
    ) {
        self.id = id
        self.uid = uid
        self.projectId = projectId
        self.projectName = projectName
        self.number = number
        self.shortId = shortId
        self.title = title
        self.body = body
        self.status = status
        self.closedReason = closedReason
        self.owner = owner
        self.author = author
        self.labels = labels
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.deletedAt = deletedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, uid, projectId, projectName, number, shortId, title, body, status, closedReason, owner, author
        case labels, createdAt, updatedAt, closedAt, deletedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(uid, forKey: .uid)
        try c.encode(projectId, forKey: .projectId)
        try c.encode(projectName, forKey: .projectName)
        try c.encode(number, forKey: .number)
        try c.encode(shortId, forKey: .shortId)
        try c.encode(title, forKey: .title)
        try c.encode(body, forKey: .body)
        try c.encode(status, forKey: .status)
        try c.encode(closedReason, forKey: .closedReason)
        try c.encode(owner, forKey: .owner)
        try c.encode(author, forKey: .author)
        try c.encode(labels, forKey: .labels)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(closedAt, forKey: .closedAt)
        try c.encode(deletedAt, forKey: .deletedAt)
    }
}

/// A comment: append-only.
public struct Comment: Codable, Sendable, Equatable {
    public var id: Int64
    public var issueUid: String
    public var author: String
    public var body: String
    public var createdAt: String

    public init(id: Int64, issueUid: String, author: String, body: String, createdAt: String) {
        self.id = id
        self.issueUid = issueUid
        self.author = author
        self.body = body
        self.createdAt = createdAt
    }
}

/// One row of the audit log and one frame of the stream.
public struct Event: Codable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var type: String
    public var actor: String
    public var projectId: Int64
    public var projectName: String
    public var issueUid: String?
    public var issueNumber: Int64?
    public var payload: JSONValue
    public var createdAt: String

    public init(
        id: Int64, uid: String, type: String, actor: String, projectId: Int64, projectName: String, issueUid: String?,
        issueNumber: Int64?, payload: JSONValue, createdAt: String
    ) {
        self.id = id
        self.uid = uid
        self.type = type
        self.actor = actor
        self.projectId = projectId
        self.projectName = projectName
        self.issueUid = issueUid
        self.issueNumber = issueNumber
        self.payload = payload
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, uid, type, actor, projectId, projectName, issueUid, issueNumber, payload, createdAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(uid, forKey: .uid)
        try c.encode(type, forKey: .type)
        try c.encode(actor, forKey: .actor)
        try c.encode(projectId, forKey: .projectId)
        try c.encode(projectName, forKey: .projectName)
        try c.encode(issueUid, forKey: .issueUid)
        try c.encode(issueNumber, forKey: .issueNumber)
        try c.encode(payload, forKey: .payload)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

/// A short reference to a linked issue, as `kata show` lists it.
public struct IssueRef: Codable, Sendable, Equatable {
    public var number: Int64
    public var uid: String
    public var shortId: String
    public var title: String
    public var status: String

    public init(number: Int64, uid: String, shortId: String, title: String, status: String) {
        self.number = number
        self.uid = uid
        self.shortId = shortId
        self.title = title
        self.status = status
    }
}

/// The links of one issue, from its point of view.
public struct IssueLinks: Codable, Sendable, Equatable {
    public var parent: IssueRef?
    public var children: [IssueRef]
    public var blocks: [IssueRef]
    public var blockedBy: [IssueRef]
    public var related: [IssueRef]

    /// No links at all.
    public static let none = IssueLinks(parent: nil, children: [], blocks: [], blockedBy: [], related: [])

    public init(parent: IssueRef?, children: [IssueRef], blocks: [IssueRef], blockedBy: [IssueRef], related: [IssueRef]) {
        self.parent = parent
        self.children = children
        self.blocks = blocks
        self.blockedBy = blockedBy
        self.related = related
    }

    enum CodingKeys: String, CodingKey { case parent, children, blocks, blockedBy, related }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(parent, forKey: .parent)
        try c.encode(children, forKey: .children)
        try c.encode(blocks, forKey: .blocks)
        try c.encode(blockedBy, forKey: .blockedBy)
        try c.encode(related, forKey: .related)
    }
}

/// One row of the purge log: what survives a purge.
public struct PurgeRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var projectId: Int64
    public var issueUid: String
    public var number: Int64
    public var title: String
    public var author: String
    public var commentCount: Int
    public var eventCount: Int
    public var actor: String
    public var reason: String?
    public var resetCursor: Int64
    public var purgedAt: String

    public init(
        id: Int64, projectId: Int64, issueUid: String, number: Int64, title: String, author: String, commentCount: Int,
        eventCount: Int, actor: String, reason: String?, resetCursor: Int64, purgedAt: String
    ) {
        self.id = id
        self.projectId = projectId
        self.issueUid = issueUid
        self.number = number
        self.title = title
        self.author = author
        self.commentCount = commentCount
        self.eventCount = eventCount
        self.actor = actor
        self.reason = reason
        self.resetCursor = resetCursor
        self.purgedAt = purgedAt
    }
}

/// A DB-backed API token as listed (never with its secret or hash).
public struct APIToken: Codable, Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var actor: String
    public var name: String
    public var role: String
    public var kind: String
    public var prefix: String
    public var createdBy: String
    public var createdAt: String
    public var lastUsedAt: String?
    public var expiresAt: String?
    public var revokedAt: String?

    public init(
        id: Int64, uid: String, actor: String, name: String, role: String, kind: String, prefix: String, createdBy: String,
        createdAt: String, lastUsedAt: String?, expiresAt: String?, revokedAt: String?
    ) {
        self.id = id
        self.uid = uid
        self.actor = actor
        self.name = name
        self.role = role
        self.kind = kind
        self.prefix = prefix
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, uid, actor, name, role, kind, prefix, createdBy, createdAt, lastUsedAt, expiresAt, revokedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(uid, forKey: .uid)
        try c.encode(actor, forKey: .actor)
        try c.encode(name, forKey: .name)
        try c.encode(role, forKey: .role)
        try c.encode(kind, forKey: .kind)
        try c.encode(prefix, forKey: .prefix)
        try c.encode(createdBy, forKey: .createdBy)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(lastUsedAt, forKey: .lastUsedAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(revokedAt, forKey: .revokedAt)
    }
}

/// `POST /tokens`.
public struct CreateTokenRequest: Codable, Sendable {
    public var actor: String?
    public var name: String?
    public var role: String?
    public var expires: String?
    public init(actor: String?, name: String?, role: String?, expires: String?) {
        self.actor = actor
        self.name = name
        self.role = role
        self.expires = expires
    }
}

/// The answer of `POST /tokens`: the token and its secret, shown this once.
public struct CreatedTokenAnswer: Codable, Sendable {
    public var token: APIToken
    public var secret: String
    public init(token: APIToken, secret: String) {
        self.token = token
        self.secret = secret
    }
}

/// `GET /tokens`.
public struct TokenListAnswer: Codable, Sendable {
    public var tokens: [APIToken]
    public init(tokens: [APIToken]) { self.tokens = tokens }
}

/// `DELETE /tokens/{id}`.
public struct RevokedTokenAnswer: Codable, Sendable {
    public var token: APIToken
    public var changed: Bool
    public init(token: APIToken, changed: Bool) {
        self.token = token
        self.changed = changed
    }
}

/// `GET /whoami`: who the server thinks the caller is.
public struct WhoAmIAnswer: Codable, Sendable {
    public var actor: String
    /// `local`, `bootstrap`, `token` or `session`.
    public var principal: String
    public var role: String
    public var tokenId: Int64?
    public var expiresAt: String?
    public init(actor: String, principal: String, role: String, tokenId: Int64?, expiresAt: String?) {
        self.actor = actor
        self.principal = principal
        self.role = role
        self.tokenId = tokenId
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey { case actor, principal, role, tokenId, expiresAt }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(actor, forKey: .actor)
        try c.encode(principal, forKey: .principal)
        try c.encode(role, forKey: .role)
        try c.encode(tokenId, forKey: .tokenId)
        try c.encode(expiresAt, forKey: .expiresAt)
    }
}
