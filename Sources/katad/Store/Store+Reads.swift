import GRDB
import GRDBSQLite
import NIOCore
import Shared

/// Filters of `GET …/issues` and `GET /issues`.
struct IssueFilter: Sendable {
    /// The most labels one list filter may name (each is a condition of the query).
    static let maxLabels = 20
    enum Status: String, Sendable { case open, closed, all }
    var projectIds: [Int64] = []
    var status: Status = .open
    var labels: [String] = []
    var owner: String?
    var author: String?
    var limit: Int = 50
    var cursor: ListCursor?
}

/// A position in the newest-activity-first order: `<updated_at millis>.<id>`.
struct ListCursor: Sendable, Equatable {
    var updatedAt: String
    var id: Int64

    init(updatedAt: String, id: Int64) {
        self.updatedAt = updatedAt
        self.id = id
    }

    init(parsing text: String) throws {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let ms = Int64(parts[0]), ms >= 0, let id = Int64(parts[1]), id >= 0 else {
            throw KataError.validation("cursor", "\(text) is not a cursor from a previous page", hint: "pass the next_cursor value of the previous answer")
        }
        updatedAt = Timestamp.format(millis: ms)
        self.id = id
    }

    var text: String { "\(Timestamp.parse(updatedAt) ?? 0).\(id)" }
}

// MARK: - Issue reads

extension Store {
    /// One page of issues, newest activity first.
    func listIssues(_ filter: IssueFilter) async throws -> IssueListAnswer {
        try read { db in
            var clauses = ["i.deleted_at IS NULL", "p.hidden = 0"]
            var args: [any DatabaseValueConvertible] = []
            if !filter.projectIds.isEmpty {
                clauses.append("i.project_id IN (\(databaseQuestionMarks(count: filter.projectIds.count)))")
                args += filter.projectIds
            }
            if filter.status != .all {
                clauses.append("i.status = ?")
                args.append(filter.status.rawValue)
            }
            for label in filter.labels {
                clauses.append("EXISTS (SELECT 1 FROM issue_labels l WHERE l.issue_id = i.id AND l.label = ?)")
                args.append(label)
            }
            if let owner = filter.owner {
                clauses.append("i.owner = ?")
                args.append(owner)
            }
            if let author = filter.author {
                clauses.append("i.author = ?")
                args.append(author)
            }
            if let c = filter.cursor {
                clauses.append("(i.updated_at < ? OR (i.updated_at = ? AND i.id < ?))")
                args += [c.updatedAt, c.updatedAt, c.id]
            }
            args.append(filter.limit + 1)
            let rows = try IssueRow.fetchAll(
                db,
                sql: "\(IssueRow.select) WHERE \(clauses.joined(separator: " AND ")) ORDER BY i.updated_at DESC, i.id DESC LIMIT ?",
                arguments: StatementArguments(args))
            let page = Array(rows.prefix(filter.limit))
            let next = rows.count > filter.limit ? page.last.map { ListCursor(updatedAt: $0.updatedAt, id: $0.id).text } : nil
            return IssueListAnswer(issues: try IssueRow.wireAll(db, page), nextCursor: next)
        }
    }

    /// `#N` of a project, without links, as the bytes of its JSON answer (`IssueDetailAnswer`, as
    /// `KataJSON` writes it), read and written by one statement (`writeUnlinkedIssue`); nil for anything
    /// else (another kind of reference, an issue with links, no such issue), which `issueDetail` answers.
    func unlinkedIssueJSON(projectId: Int64, ref: String) throws -> ByteBuffer? {
        guard case .number(let n)? = try? IssueReference.parse(ref) else { return nil }
        return try readStatement(Store.unlinkedIssue) { s in try Store.writeUnlinkedIssue(s, projectId: projectId, number: n) }
    }

    /// One issue of a project, with links and optionally comments and events.
    func issueDetail(projectId: Int64, ref: String, comments: Bool, events: Bool) async throws -> IssueDetailAnswer {
        try read { db in
            // `#N` of a visible project in one query; anything else (and every error) through the project.
            if case .number(let n)? = try? IssueReference.parse(ref), let row = try IssueRow.fetchOne(
                db.cachedStatement(sql: "\(IssueRow.select) WHERE i.project_id = ? AND i.number = ? AND p.hidden = 0"),
                arguments: [projectId, n])
            {
                return try Store.detail(db, row, comments: comments, events: events)
            }
            let project = try ProjectRow.require(db, id: projectId)
            let row = try Store.resolveIssue(db, project: project, ref: ref)
            return try Store.detail(db, row, comments: comments, events: events)
        }
    }

    /// `#N` of a visible project with its labels, when it has no links, read in one statement and written
    /// as JSON straight from the statement's columns (no row, `Issue` or strings in between): nil when it
    /// has links (or there is no such issue), for the path of `issueDetail`. Most issues have no links, and
    /// one statement is its own snapshot, so this needs neither the transaction nor the label and link
    /// queries, which together cost about as much as the issue's own row.
    ///
    /// The statement is bound and stepped with SQLite's own calls (only this function runs it): GRDB's
    /// argument array and cursor object cost a tenth of the read.
    static func writeUnlinkedIssue(_ s: SQLiteStatement, projectId: Int64, number: Int64) throws -> ByteBuffer? {
        defer { sqlite3_reset(s) }
        sqlite3_bind_int64(s, 1, projectId)
        sqlite3_bind_int64(s, 2, number)
        switch sqlite3_step(s) {
        case SQLITE_DONE: return nil
        case SQLITE_ROW: break
        case let code:
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(s)))
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: unlinkedIssue.sql)
        }
        guard sqlite3_column_int64(s, IssueRow.columnCount + 1) == 0 else { return nil }
        var w = JSONWriter(capacity: 1024)
        var first = true
        w.byte(UInt8(ascii: "{"))
        w.key("issue", first: &first)
        IssueRow.writeIssue(s, labelsColumn: IssueRow.columnCount, to: &w)
        w.key("links", first: &first)
        w.value(IssueLinks.none)
        w.byte(UInt8(ascii: "}"))
        return w.withBytes { ByteBuffer(bytes: $0) }
    }

    /// The statement of `writeUnlinkedIssue`: the issue's columns, its labels joined by U+001F, and whether
    /// any link names it (one search of `links_from`, one of `links_to`).
    static let unlinkedIssue = PreparedRead(key: 1, sql: """
        SELECT \(IssueRow.columns),
            (SELECT group_concat(label, char(31)) FROM issue_labels WHERE issue_id = i.id),
            EXISTS (SELECT 1 FROM links k WHERE k.from_issue_id = i.id)
                OR EXISTS (SELECT 1 FROM links k WHERE k.to_issue_id = i.id)
        FROM issues i JOIN projects p ON p.id = i.project_id
        WHERE i.project_id = ? AND i.number = ? AND p.hidden = 0
        """)

    /// One issue by ULID or unique short id, in any project.
    func issueDetailAnywhere(ref: String, comments: Bool, events: Bool) async throws -> IssueDetailAnswer {
        try read { db in
            let row = try Store.resolveIssueAnywhere(db, ref: ref)
            return try Store.detail(db, row, comments: comments, events: events)
        }
    }

    static func detail(_ db: Database, _ row: IssueRow, comments: Bool, events: Bool) throws -> IssueDetailAnswer {
        let commentList: [Comment]? =
            comments
            ? try Row.fetchAll(db, sql: "SELECT * FROM comments WHERE issue_id = ? ORDER BY id", arguments: [row.id]).map {
                Comment(id: $0["id"], issueUid: row.uid, author: $0["author"], body: $0["body"], createdAt: $0["created_at"])
            } : nil
        let eventList: [Event]? =
            events
            ? try EventRow.fetchAll(db, sql: "SELECT * FROM events WHERE issue_uid = ? ORDER BY id", arguments: [row.uid]).map(\.wire)
            : nil
        return IssueDetailAnswer(issue: try row.wire(db), links: try links(db, of: row), comments: commentList, events: eventList)
    }

    /// The links of an issue from its point of view: one query for all five lists, outgoing links by the
    /// `(kind, from_issue_id, to_issue_id)` index and incoming ones by `links_to`. Sorted by number here,
    /// not by the query: an `ORDER BY` over the union sets up two sorters even when there are no links,
    /// which is most issues.
    static func links(_ db: Database, of row: IssueRow) throws -> IssueLinks {
        let statement = try db.cachedStatement(
            sql: """
                SELECT \(IssueRow.columns), k.kind, 1
                FROM links k JOIN issues i ON i.id = k.to_issue_id JOIN projects p ON p.id = i.project_id
                WHERE k.kind IN ('parent', 'blocks', 'related') AND k.from_issue_id = ?1
                UNION ALL
                SELECT \(IssueRow.columns), k.kind, 0
                FROM links k JOIN issues i ON i.id = k.from_issue_id JOIN projects p ON p.id = i.project_id
                WHERE k.to_issue_id = ?1
                """)
        let rows = try Array(
            ColumnCursor(statement, arguments: [row.id]) { s in
                (issue: IssueRow(s), kind: String(sqliteStatement: s, index: IssueRow.columnCount),
                 outgoing: Int64(sqliteStatement: s, index: IssueRow.columnCount + 1) == 1)
            })
        var links = IssueLinks.none
        for r in rows.sorted(by: { $0.issue.number < $1.issue.number }) {
            let ref = r.issue.ref
            switch (r.kind, r.outgoing) {
            case ("parent", true): if links.parent == nil { links.parent = ref }
            case ("parent", false): links.children.append(ref)
            case ("blocks", true): links.blocks.append(ref)
            case ("blocks", false): links.blockedBy.append(ref)
            default: links.related.append(ref)
            }
        }
        return links
    }

    /// Open issues with no open blocker, oldest first.
    func ready(projectIds: [Int64], limit: Int) async throws -> [Issue] {
        try read { db in
            var clauses = ["i.status = 'open'", "i.deleted_at IS NULL", "p.hidden = 0"]
            var args: [any DatabaseValueConvertible] = []
            if !projectIds.isEmpty {
                clauses.append("i.project_id IN (\(databaseQuestionMarks(count: projectIds.count)))")
                args += projectIds
            }
            clauses.append(
                """
                NOT EXISTS (SELECT 1 FROM links k INDEXED BY links_to JOIN issues b ON b.id = k.from_issue_id
                            WHERE k.to_issue_id = i.id AND k.kind = 'blocks' AND b.status = 'open' AND b.deleted_at IS NULL)
                """)
            args.append(limit)
            let rows = try IssueRow.fetchAll(
                db,
                sql: "\(IssueRow.select) WHERE \(clauses.joined(separator: " AND ")) ORDER BY i.created_at, i.id LIMIT ?",
                arguments: StatementArguments(args))
            return try IssueRow.wireAll(db, rows)
        }
    }
}
