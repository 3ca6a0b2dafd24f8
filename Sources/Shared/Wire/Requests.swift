/// `POST /projects`: create or resolve a project and attach a workspace alias.
public struct InitProjectRequest: Codable, Sendable {
    public var name: String?
    public var aliasIdentity: String?
    public var aliasKind: String?
    public var lastSeenPath: String?
    public var replace: Bool?
    public var reassign: Bool?
    public var actor: String?

    public init(
        name: String?, aliasIdentity: String?, aliasKind: String?, lastSeenPath: String?, replace: Bool?,
        reassign: Bool?, actor: String?
    ) {
        self.name = name
        self.aliasIdentity = aliasIdentity
        self.aliasKind = aliasKind
        self.lastSeenPath = lastSeenPath
        self.replace = replace
        self.reassign = reassign
        self.actor = actor
    }
}

/// `POST /projects/resolve`: find the project of a binding.
public struct ResolveProjectRequest: Codable, Sendable {
    public var name: String?
    public var aliasIdentity: String?

    public init(name: String?, aliasIdentity: String?) {
        self.name = name
        self.aliasIdentity = aliasIdentity
    }
}

/// `POST /projects/{id}/issues`.
public struct CreateIssueRequest: Codable, Sendable {
    public var title: String?
    public var body: String?
    public var labels: [String]?
    public var owner: String?
    public var parent: String?
    public var blocks: [String]?
    public var blockedBy: [String]?
    public var related: [String]?
    public var forceNew: Bool?
    public var idempotencyKey: String?
    public var actor: String?

    public init(
        title: String?, body: String? = nil, labels: [String]? = nil, owner: String? = nil, parent: String? = nil,
        blocks: [String]? = nil, blockedBy: [String]? = nil, related: [String]? = nil, forceNew: Bool? = nil,
        idempotencyKey: String? = nil, actor: String? = nil
    ) {
        self.title = title
        self.body = body
        self.labels = labels
        self.owner = owner
        self.parent = parent
        self.blocks = blocks
        self.blockedBy = blockedBy
        self.related = related
        self.forceNew = forceNew
        self.idempotencyKey = idempotencyKey
        self.actor = actor
    }
}

/// `PATCH /projects/{id}/issues/{ref}`: one atomic edit.
public struct EditIssueRequest: Codable, Sendable {
    public var title: String?
    public var body: String?
    public var owner: String?
    public var clearOwner: Bool?
    public var parent: String?
    public var removeParent: Bool?
    public var blocks: [String]?
    public var removeBlocks: [String]?
    public var blockedBy: [String]?
    public var removeBlockedBy: [String]?
    public var related: [String]?
    public var removeRelated: [String]?
    public var actor: String?

    public init() {}
}

/// Body of `actions/close`.
public struct CloseRequest: Codable, Sendable {
    public var reason: String?
    public var message: String?
    public var actor: String?
    public init(reason: String?, message: String?, actor: String?) {
        self.reason = reason
        self.message = message
        self.actor = actor
    }
}

/// Body of the actions that take nothing but the actor (reopen, delete, restore, purge, unassign).
public struct ActorRequest: Codable, Sendable {
    public var actor: String?
    public var reason: String?
    public init(actor: String?, reason: String? = nil) {
        self.actor = actor
        self.reason = reason
    }
}

/// `POST …/comments`.
public struct CommentRequest: Codable, Sendable {
    public var body: String?
    public var actor: String?
    public init(body: String?, actor: String?) {
        self.body = body
        self.actor = actor
    }
}

/// `POST …/labels`.
public struct LabelsRequest: Codable, Sendable {
    public var labels: [String]?
    public var actor: String?
    public init(labels: [String]?, actor: String?) {
        self.labels = labels
        self.actor = actor
    }
}

/// `POST …/assign`.
public struct AssignRequest: Codable, Sendable {
    public var owner: String?
    public var actor: String?
    public init(owner: String?, actor: String?) {
        self.owner = owner
        self.actor = actor
    }
}
