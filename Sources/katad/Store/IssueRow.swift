import GRDB
import GRDBSQLite
import Shared

/// A row of `issues`, joined with its project's name.
///
/// Read by column position (see `ColumnCursor`) from statements whose first columns are `columns`.
struct IssueRow: Sendable {
    var id: Int64
    var uid: String
    var projectId: Int64
    var projectName: String
    var number: Int64
    var shortId: String
    var title: String
    var body: String
    var status: String
    var closedReason: String?
    var owner: String?
    var author: String
    var createdAt: String
    var updatedAt: String
    var closedAt: String?
    var deletedAt: String?
    var idempotencyKey: String?
    var idempotencyFingerprint: String?

    /// The columns an issue is read from, in the order `init(_:)` reads them. A query may add its own
    /// columns after these (at `columnCount` and on).
    static let columns = """
        i.id, i.uid, i.project_id, p.name, i.number, i.short_id, i.title, i.body, i.status, i.closed_reason, \
        i.owner, i.author, i.created_at, i.updated_at, i.closed_at, i.deleted_at, i.idempotency_key, i.idempotency_fingerprint
        """
    static let columnCount = CInt(columns.split(separator: ",").count)

    /// The SELECT every issue query starts from.
    static let select = "SELECT \(columns) FROM issues i JOIN projects p ON p.id = i.project_id"

    /// The issue on the statement's current row.
    init(_ s: SQLiteStatement) {
        id = Int64(sqliteStatement: s, index: 0)
        uid = String(sqliteStatement: s, index: 1)
        projectId = Int64(sqliteStatement: s, index: 2)
        projectName = String(sqliteStatement: s, index: 3)
        number = Int64(sqliteStatement: s, index: 4)
        shortId = String(sqliteStatement: s, index: 5)
        title = String(sqliteStatement: s, index: 6)
        body = String(sqliteStatement: s, index: 7)
        status = String(sqliteStatement: s, index: 8)
        closedReason = String.column(s, 9)
        owner = String.column(s, 10)
        author = String(sqliteStatement: s, index: 11)
        createdAt = String(sqliteStatement: s, index: 12)
        updatedAt = String(sqliteStatement: s, index: 13)
        closedAt = String.column(s, 14)
        deletedAt = String.column(s, 15)
        idempotencyKey = String.column(s, 16)
        idempotencyFingerprint = String.column(s, 17)
    }

    static func fetchAll(_ statement: Statement, arguments: StatementArguments) throws -> [IssueRow] {
        try Array(ColumnCursor(statement, arguments: arguments, element: IssueRow.init))
    }

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments) throws -> [IssueRow] {
        try fetchAll(db.makeStatement(sql: sql), arguments: arguments)
    }

    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments) throws -> IssueRow? {
        try fetchOne(db.makeStatement(sql: sql), arguments: arguments)
    }

    static func fetchOne(_ statement: Statement, arguments: StatementArguments) throws -> IssueRow? {
        try ColumnCursor(statement, arguments: arguments, element: IssueRow.init).next()
    }

    static func fetch(_ db: Database, id: Int64) throws -> IssueRow? {
        try ColumnCursor(db.cachedStatement(sql: "\(select) WHERE i.id = ?"), arguments: [id], element: IssueRow.init).next()
    }

    /// The issue as the API shows it, with its labels.
    func wire(_ db: Database) throws -> Issue {
        let labels = try String.fetchAll(
            db.cachedStatement(sql: "SELECT label FROM issue_labels WHERE issue_id = ? ORDER BY label"), arguments: [id])
        return wire(labels: labels)
    }

    func wire(labels: [String]) -> Issue {
        Issue(
            id: id, uid: uid, projectId: projectId, projectName: projectName, number: number, shortId: shortId,
            title: title, body: body, status: status, closedReason: closedReason, owner: owner, author: author,
            labels: labels, createdAt: createdAt, updatedAt: updatedAt, closedAt: closedAt, deletedAt: deletedAt)
    }

    /// The issue on the statement's current row (read as `init(_:)` reads it), with the labels of column
    /// `labelsColumn` (joined by U+001F, or NULL), written as the JSON `Issue.write(to:)` writes for it:
    /// the texts go from SQLite's buffers to the output without becoming strings.
    static func writeIssue(_ s: SQLiteStatement, labelsColumn: CInt, to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("author", first: &f); w.textColumn(s, 11)
        w.key("body", first: &f); w.textColumn(s, 7)
        w.key("closed_at", first: &f); w.textColumn(s, 14)
        w.key("closed_reason", first: &f); w.textColumn(s, 9)
        w.key("created_at", first: &f); w.textColumn(s, 12)
        w.key("deleted_at", first: &f); w.textColumn(s, 15)
        w.key("id", first: &f); w.int(sqlite3_column_int64(s, 0))
        w.key("labels", first: &f); w.labelsColumn(s, labelsColumn)
        w.key("number", first: &f); w.int(sqlite3_column_int64(s, 4))
        w.key("owner", first: &f); w.textColumn(s, 10)
        w.key("project_id", first: &f); w.int(sqlite3_column_int64(s, 2))
        w.key("project_name", first: &f); w.textColumn(s, 3)
        w.key("short_id", first: &f); w.textColumn(s, 5)
        w.key("status", first: &f); w.textColumn(s, 8)
        w.key("title", first: &f); w.textColumn(s, 6)
        w.key("uid", first: &f); w.textColumn(s, 1)
        w.key("updated_at", first: &f); w.textColumn(s, 13)
        w.byte(UInt8(ascii: "}"))
    }

    var ref: IssueRef { IssueRef(number: number, uid: uid, shortId: shortId, title: title, status: status) }

    /// Wires many rows with one label query.
    static func wireAll(_ db: Database, _ rows: [IssueRow]) throws -> [Issue] {
        guard !rows.isEmpty else { return [] }
        var labels: [Int64: [String]] = [:]
        let ids = rows.map(\.id)
        for chunkStart in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[chunkStart..<min(chunkStart + 500, ids.count)])
            let marks = databaseQuestionMarks(count: chunk.count)
            for r in try Row.fetchAll(
                db, sql: "SELECT issue_id, label FROM issue_labels WHERE issue_id IN (\(marks)) ORDER BY label",
                arguments: StatementArguments(chunk))
            {
                labels[r[0], default: []].append(r[1])
            }
        }
        return rows.map { $0.wire(labels: labels[$0.id] ?? []) }
    }
}

/// How a client names an issue: `N`, `#N`, a short id, or a ULID.
enum IssueReference: Equatable {
    case number(Int64)
    case uid(String)
    case shortId(String)

    /// Parses a reference (without a `project#` prefix); the error says which forms exist.
    static func parse(_ raw: String) throws -> IssueReference {
        // The usual case, a bare number, without trimming or copying.
        if !raw.isEmpty, raw.utf8.count <= 18, raw.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int64(raw), n > 0 { return .number(n) }
        var text = Validation.trimmed(raw)
        if text.hasPrefix("#") { text.removeFirst() }
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            guard let n = Int64(text), n > 0 else {
                throw KataError.validation("ref", "issue number \(raw) is out of range")
            }
            return .number(n)
        }
        if ULID.isValid(text) { return .uid(text.uppercased()) }
        let lower = text.lowercased()
        if lower.count >= 4, lower.count < 26,
            lower.utf8.allSatisfy({ "0123456789abcdefghjkmnpqrstvwxyz".utf8.contains($0) })
        {
            return .shortId(lower)
        }
        throw KataError(
            400, .validation, "ref: \(raw) is not an issue reference",
            hint: "use N, #N, project#N, a short id (4+ characters) or a full ULID", data: ["field": "ref"])
    }
}

extension Store {
    /// Finds one issue of a project (deleted ones included), or throws 404 / 409 for an ambiguous short id.
    static func resolveIssue(_ db: Database, project: ProjectRow, ref raw: String) throws -> IssueRow {
        let rows: [IssueRow]
        switch try IssueReference.parse(raw) {
        case .number(let n):
            rows = try IssueRow.fetchAll(
                db.cachedStatement(sql: "\(IssueRow.select) WHERE i.project_id = ? AND i.number = ?"), arguments: [project.id, n])
        case .uid(let uid):
            rows = try IssueRow.fetchAll(
                db.cachedStatement(sql: "\(IssueRow.select) WHERE i.project_id = ? AND i.uid = ?"), arguments: [project.id, uid])
        case .shortId(let s):
            let (lo, hi) = Migrations.suffixRange(s)
            let tails = try IssueRow.fetchAll(
                db.cachedStatement(sql: "\(IssueRow.select) WHERE i.uid_rev >= ? AND i.uid_rev < ? AND +i.project_id = ? ORDER BY i.number"),
                arguments: [lo, hi, project.id])
            rows = exactShortId(s, among: tails)
        }
        return try single(rows, ref: raw, project: project.name)
    }

    /// Finds one issue in any visible project by ULID or unique short id.
    static func resolveIssueAnywhere(_ db: Database, ref raw: String) throws -> IssueRow {
        let rows: [IssueRow]
        switch try IssueReference.parse(raw) {
        case .number:
            throw KataError(
                400, .validation, "ref: a bare number needs a project",
                hint: "use project#N, a short id or a ULID", data: ["field": "ref"])
        case .uid(let uid):
            rows = try IssueRow.fetchAll(db, sql: "\(IssueRow.select) WHERE i.uid = ? AND p.hidden = 0", arguments: [uid])
        case .shortId(let s):
            let (lo, hi) = Migrations.suffixRange(s)
            let tails = try IssueRow.fetchAll(
                db, sql: "\(IssueRow.select) WHERE i.uid_rev >= ? AND i.uid_rev < ? AND p.hidden = 0 ORDER BY i.project_id, i.number",
                arguments: [lo, hi])
            rows = exactShortId(s, among: tails)
        }
        return try single(rows, ref: raw, project: nil)
    }

    /// Of the issues whose uids end with `shortId` (every short id is its uid's tail), the one whose short
    /// id it is exactly, if only one is; otherwise all of them (none, one, or an ambiguous reference).
    private static func exactShortId(_ shortId: String, among tails: [IssueRow]) -> [IssueRow] {
        let exact = tails.filter { $0.shortId == shortId }
        return exact.count == 1 ? exact : tails
    }

    private static func single(_ rows: [IssueRow], ref: String, project: String?) throws -> IssueRow {
        if rows.count == 1 { return rows[0] }
        if rows.isEmpty { throw KataError.issueNotFound(ref, project: project) }
        let names = rows.prefix(10).map { "\($0.projectName)#\($0.number)" }
        throw KataError(
            409, .ambiguousReference, "\(ref) matches \(rows.count) issues: \(names.joined(separator: ", "))",
            hint: "use a longer short id or project#N",
            data: ["candidates": .array(rows.prefix(10).map { .object(["project": .string($0.projectName), "number": .int($0.number), "uid": .string($0.uid)]) })])
    }
}

extension JSONWriter {
    /// Text column `index` of the statement's current row as a JSON string, or `null` when it is NULL.
    mutating func textColumn(_ s: SQLiteStatement, _ index: CInt) {
        guard sqlite3_column_type(s, index) != SQLITE_NULL else { return null() }
        // `column_text` before `column_bytes`, so the length is that of the text.
        guard let text = sqlite3_column_text(s, index) else { return string(utf8: UnsafeBufferPointer(start: nil, count: 0)) }
        string(utf8: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(s, index))))
    }

    /// A column of labels joined by U+001F (`group_concat(label, char(31))`), or NULL for none, as a JSON
    /// array in byte order, which is `ORDER BY label`'s (`group_concat` does not promise any order).
    mutating func labelsColumn(_ s: SQLiteStatement, _ index: CInt) {
        guard sqlite3_column_type(s, index) != SQLITE_NULL, let text = sqlite3_column_text(s, index) else {
            byte(UInt8(ascii: "["))
            return byte(UInt8(ascii: "]"))
        }
        let all = UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(s, index)))
        let labels = all.split(separator: 0x1F, omittingEmptySubsequences: false).sorted { $0.lexicographicallyPrecedes($1) }
        byte(UInt8(ascii: "["))
        for (i, label) in labels.enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            string(utf8: UnsafeBufferPointer(rebasing: label))
        }
        byte(UInt8(ascii: "]"))
    }
}
