import GRDB
import Shared

// MARK: - Projects

extension Store {
    /// `kata init`: finds or creates the project and binds the workspace alias to it.
    /// Binds a workspace alias to a project, creating the project when it does not exist. Binding is a
    /// `user` write; creating a project needs `operator` (auth.md, the role table), so a caller below
    /// that may bind to existing projects only.
    func initProject(_ req: InitProjectRequest, callerRole: Role = .admin) async throws -> ProjectAnswer {
        let name = req.name.map(Validation.trimmed)
        if let name { try ProjectRules.validateName(name) }
        guard let identity = req.aliasIdentity.map(Validation.trimmed), !identity.isEmpty else {
            throw KataError.validation("alias_identity", "required: the workspace's git remote or local://<path>")
        }
        let kind = req.aliasKind ?? (identity.hasPrefix("local://") ? "local" : "git")
        guard kind == "git" || kind == "local" else {
            throw KataError.validation("alias_kind", "must be git or local, not \(kind)")
        }
        let reassign = req.reassign ?? false
        return try await writer.write { db in
            let now = Timestamp.now()
            if let bound = try ProjectRow.fetch(db, aliasIdentity: identity) {
                if name == nil || name == bound.name {
                    try db.execute(
                        sql: "UPDATE project_aliases SET last_seen_path = ? WHERE alias_identity = ?",
                        arguments: [req.lastSeenPath, identity])
                    return ProjectAnswer(project: try bound.wire(db), created: false)
                }
                guard reassign, let name else {
                    throw KataError(
                        409, .aliasConflict,
                        "this workspace (\(identity)) is bound to project \(bound.name), not \(name ?? "")",
                        hint: "use `kata init --project \(bound.name)`, or add --reassign to move the workspace to \(name ?? "the new project")",
                        data: ["project": .string(bound.name), "alias_identity": .string(identity)])
                }
                let existing = try ProjectRow.fetch(db, name: name)
                if existing == nil { try Store.requireProjectCreation(name, callerRole) }
                let target = try existing ?? ProjectRow.insert(db, name: name, now: now)
                try db.execute(
                    sql: "UPDATE project_aliases SET project_id = ?, last_seen_path = ? WHERE alias_identity = ?",
                    arguments: [target.id, req.lastSeenPath, identity])
                return ProjectAnswer(project: try target.wire(db), created: existing == nil)
            }
            guard let name else {
                throw KataError.validation("name", "required: this workspace is not bound to a project yet", hint: "run `kata init --project NAME`")
            }
            var created = false
            let project: ProjectRow
            if let existing = try ProjectRow.fetch(db, name: name) {
                project = existing
            } else {
                try Store.requireProjectCreation(name, callerRole)
                project = try ProjectRow.insert(db, name: name, now: now)
                created = true
            }
            try db.execute(
                sql: """
                    INSERT INTO project_aliases(project_id, alias_identity, alias_kind, last_seen_path, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [project.id, identity, kind, req.lastSeenPath, now])
            return ProjectAnswer(project: try project.wire(db), created: created)
        }
    }

    static func requireProjectCreation(_ name: String, _ role: Role) throws {
        guard role >= .operator else {
            throw KataError(
                403, .forbidden, "creating the project \(name) needs the role operator; this caller's role is \(role.rawValue)",
                hint: "ask an operator to run `kata init --project \(name)` once; then anyone with the role user can bind a workspace to it")
        }
    }

    /// Resolves a binding (name and/or alias identity) to its project, without `counts`: every `kata`
    /// command resolves its project first, and counting a project's issues reads all of them.
    func resolveProject(_ req: ResolveProjectRequest) async throws -> Project {
        try read { db in
            if let name = req.name.map(Validation.trimmed), !name.isEmpty {
                guard let p = try ProjectRow.fetch(db, name: name) else {
                    throw KataError(
                        404, .projectNotFound, "no project named \(name)",
                        hint: "run `kata init --project \(name)` in the workspace", data: ["name": .string(name)])
                }
                return try p.wire(db, counts: false)
            }
            if let identity = req.aliasIdentity, !identity.isEmpty {
                guard let p = try ProjectRow.fetch(db, aliasIdentity: identity) else {
                    throw KataError(
                        404, .projectNotInitialized, "no project is bound to this workspace (\(identity))",
                        hint: "run `kata init` in the workspace")
                }
                return try p.wire(db, counts: false)
            }
            throw KataError.validation("name", "give a project name or an alias_identity")
        }
    }

    /// Every visible project with its aliases and counts, by name.
    func listProjects() async throws -> [Project] {
        try read { db in
            try ProjectRow.fetchAll(db, sql: "SELECT \(ProjectRow.columns) FROM projects p WHERE p.hidden = 0 ORDER BY p.name").map { try $0.wire(db) }
        }
    }

    /// One visible project by id.
    func project(id: Int64) async throws -> Project {
        try read { db in try ProjectRow.require(db, id: id).wire(db) }
    }
}

/// Rules for project names.
enum ProjectRules {
    /// 1–64 characters of letters, digits, `.`, `_`, `-`, starting with a letter or digit.
    static func validateName(_ name: String) throws {
        let ok =
            !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._-".unicodeScalars.contains($0) }
            && name.unicodeScalars.first.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) } == true
        if !ok {
            throw KataError.validation(
                "name", "project name \"\(name)\" must be 1-64 characters of letters, digits, . _ - and start with a letter or digit")
        }
    }
}

/// A row of `projects`, read by column position (see `ColumnCursor`) from statements whose first
/// columns are `columns`.
struct ProjectRow: Sendable {
    var id: Int64
    var uid: String
    var name: String
    var createdAt: String
    var nextIssueNumber: Int64
    var hidden: Bool

    /// The columns a project is read from, in the order `init(_:)` reads them, for a table aliased `p`.
    static let columns = "p.id, p.uid, p.name, p.created_at, p.next_issue_number, p.hidden"

    /// The project on the statement's current row.
    init(_ s: SQLiteStatement) {
        id = Int64(sqliteStatement: s, index: 0)
        uid = String(sqliteStatement: s, index: 1)
        name = String(sqliteStatement: s, index: 2)
        createdAt = String(sqliteStatement: s, index: 3)
        nextIssueNumber = Int64(sqliteStatement: s, index: 4)
        hidden = Bool(sqliteStatement: s, index: 5)
    }

    private static func fetchOne(_ statement: Statement, arguments: StatementArguments) throws -> ProjectRow? {
        try ColumnCursor(statement, arguments: arguments, element: ProjectRow.init).next()
    }

    static func fetchAll(_ db: Database, sql: String) throws -> [ProjectRow] {
        try Array(ColumnCursor(db.makeStatement(sql: sql), arguments: [], element: ProjectRow.init))
    }

    static func fetch(db: Database, id: Int64) throws -> ProjectRow? {
        try fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM projects p WHERE p.id = ?"), arguments: [id])
    }

    static func fetch(_ db: Database, name: String) throws -> ProjectRow? {
        try fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM projects p WHERE p.name = ? AND p.hidden = 0"), arguments: [name])
    }

    static func fetch(_ db: Database, aliasIdentity: String) throws -> ProjectRow? {
        try fetchOne(
            db.makeStatement(
                sql: "SELECT \(columns) FROM projects p JOIN project_aliases a ON a.project_id = p.id WHERE a.alias_identity = ? AND p.hidden = 0"),
            arguments: [aliasIdentity])
    }

    /// The visible project `id`, or 404.
    static func require(_ db: Database, id: Int64) throws -> ProjectRow {
        guard let p = try fetch(db: db, id: id), !p.hidden else { throw KataError.projectNotFound("with id \(id)") }
        return p
    }

    static func insert(_ db: Database, name: String, now: String) throws -> ProjectRow {
        try db.execute(
            sql: "INSERT INTO projects(uid, name, created_at, next_issue_number) VALUES (?, ?, ?, 1)",
            arguments: [ULID().string, name, now])
        return try fetch(db: db, id: db.lastInsertedRowID)!
    }

    /// The project as the API shows it; `counts` (open and closed issues, a scan of the project's
    /// issues) only when asked for.
    func wire(_ db: Database, counts withCounts: Bool = true) throws -> Project {
        let aliases = try Row.fetchAll(
            db, sql: "SELECT * FROM project_aliases WHERE project_id = ? ORDER BY id", arguments: [id]
        ).map {
            ProjectAlias(
                aliasIdentity: $0["alias_identity"], aliasKind: $0["alias_kind"], lastSeenPath: $0["last_seen_path"],
                createdAt: $0["created_at"])
        }
        var counts: IssueCounts?
        if withCounts {
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(status = 'open'), 0) AS open, COALESCE(SUM(status = 'closed'), 0) AS closed
                    FROM issues WHERE project_id = ? AND deleted_at IS NULL
                    """,
                arguments: [id])
            counts = IssueCounts(open: row?["open"] ?? 0, closed: row?["closed"] ?? 0)
        }
        return Project(
            id: id, uid: uid, name: name, createdAt: createdAt, nextIssueNumber: nextIssueNumber, aliases: aliases, counts: counts)
    }
}
