/// The answer of every successful issue mutation: `{"issue", "event", "changed"}` (and `reused` on create).
public struct MutationAnswer: Codable, Sendable {
    public var issue: Issue
    public var event: Event?
    public var changed: Bool
    public var reused: Bool?

    public init(issue: Issue, event: Event?, changed: Bool, reused: Bool? = nil) {
        self.issue = issue
        self.event = event
        self.changed = changed
        self.reused = reused
    }

    enum CodingKeys: String, CodingKey { case issue, event, changed, reused }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issue, forKey: .issue)
        try c.encode(event, forKey: .event)
        try c.encode(changed, forKey: .changed)
        try c.encodeIfPresent(reused, forKey: .reused)
    }
}

/// `GET …/issues`: one page, newest activity first.
public struct IssueListAnswer: Codable, Sendable {
    public var issues: [Issue]
    public var nextCursor: String?

    public init(issues: [Issue], nextCursor: String?) {
        self.issues = issues
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey { case issues, nextCursor }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issues, forKey: .issues)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}

/// `GET …/issues/{ref}`: one issue with its links, and comments and events when asked for.
public struct IssueDetailAnswer: Codable, Sendable {
    public var issue: Issue
    public var links: IssueLinks
    public var comments: [Comment]?
    public var events: [Event]?

    public init(issue: Issue, links: IssueLinks, comments: [Comment]?, events: [Event]?) {
        self.issue = issue
        self.links = links
        self.comments = comments
        self.events = events
    }
}

/// `GET /projects` and friends.
public struct ProjectListAnswer: Codable, Sendable {
    public var projects: [Project]
    public init(projects: [Project]) { self.projects = projects }
}

/// `GET /projects/{id}`, `POST /projects`, `POST /projects/resolve`.
public struct ProjectAnswer: Codable, Sendable {
    public var project: Project
    public var created: Bool?
    public init(project: Project, created: Bool? = nil) {
        self.project = project
        self.created = created
    }
}

/// `GET /events`, `GET /projects/{id}/events`.
public struct EventPollAnswer: Codable, Sendable {
    public var events: [Event]
    public var nextAfterId: Int64
    public var resetRequired: Bool

    public init(events: [Event], nextAfterId: Int64, resetRequired: Bool) {
        self.events = events
        self.nextAfterId = nextAfterId
        self.resetRequired = resetRequired
    }
}

/// One search hit: the issue and its BM25 score (higher is better).
public struct SearchHit: Codable, Sendable {
    public var issue: Issue
    public var score: Double
    public init(issue: Issue, score: Double) {
        self.issue = issue
        self.score = score
    }
}

/// `GET …/search`.
public struct SearchAnswer: Codable, Sendable {
    public var results: [SearchHit]
    public init(results: [SearchHit]) { self.results = results }
}

/// `GET …/ready`.
public struct ReadyAnswer: Codable, Sendable {
    public var issues: [Issue]
    public init(issues: [Issue]) { self.issues = issues }
}

/// `GET /health`.
public struct HealthAnswer: Codable, Sendable {
    public var status: String
    public var version: String
    public var database: String
    public var schemaVersion: Int
    public var uptimeSeconds: Double
    public var listeners: [String]
    public var authMode: String
    public var pid: Int32

    public init(
        status: String, version: String, database: String, schemaVersion: Int, uptimeSeconds: Double,
        listeners: [String], authMode: String, pid: Int32
    ) {
        self.status = status
        self.version = version
        self.database = database
        self.schemaVersion = schemaVersion
        self.uptimeSeconds = uptimeSeconds
        self.listeners = listeners
        self.authMode = authMode
        self.pid = pid
    }
}
