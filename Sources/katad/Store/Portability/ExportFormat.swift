import Foundation
import GRDB
import Shared

/// The JSONL export format (spec: operations.md, "Export, import, backup, restore").
///
/// Line 1 is the header `{"kind":"header","export_version":N,"schema_version":M,"instance_uid":…,"auth":…}`,
/// then `meta` lines, then one line per row of each table below, in this order and by primary key, and
/// last `{"kind":"end","lines":N}` (N counts every line, the end line included), so a truncated file is
/// recognised. Keys are sorted and every column is present (nulls explicit): two exports of the same data
/// are byte-identical.
enum ExportFormat {
    /// The version this daemon writes. Older versions are read through `fillRules`.
    static let version = 1

    /// Per older version, the columns its lines may lack and the value they get (the cutover path for
    /// schema upgrades: a new column adds a rule here for the versions before it).
    ///
    /// Version 0 is the pre-release format: projects without `hidden`, issues without the idempotency
    /// columns, tokens without `kind`, no `meta` lines and no end line.
    static let fillRules: [Int: [String: [String: JSONValue]]] = [
        0: [
            "project": ["hidden": .int(0)],
            "issue": ["idempotency_key": .null, "idempotency_fingerprint": .null],
            "token": ["token_kind": .string("token")],
        ]
    ]

    enum ColumnType { case int, text }

    struct Column {
        /// The key in a JSON line.
        let key: String
        /// The SQL column.
        let sql: String
        let type: ColumnType
        let nullable: Bool

        init(_ key: String, _ type: ColumnType, nullable: Bool = false, sql: String? = nil) {
            self.key = key
            self.sql = sql ?? key
            self.type = type
            self.nullable = nullable
        }
    }

    /// A reference from a column to the rows of another kind that must come earlier in the file.
    struct Reference {
        let key: String
        let kind: String
    }

    struct Table {
        let kind: String
        let sql: String
        let columns: [Column]
        /// The columns that order the export (the primary key).
        let orderBy: [String]
        let references: [Reference]
        /// Exported only to an `admin` caller.
        let authOnly: Bool
        /// Columns whose values are unique across the file (besides `id`).
        let unique: [[String]]

        var hasID: Bool { orderBy == ["id"] }
    }

    static let tables: [Table] = [
        Table(
            kind: "project", sql: "projects",
            columns: [
                Column("id", .int), Column("uid", .text), Column("name", .text), Column("created_at", .text),
                Column("next_issue_number", .int), Column("hidden", .int),
            ], orderBy: ["id"], references: [], authOnly: false, unique: [["uid"], ["name"]]),
        Table(
            kind: "alias", sql: "project_aliases",
            columns: [
                Column("id", .int), Column("project_id", .int), Column("alias_identity", .text), Column("alias_kind", .text),
                Column("last_seen_path", .text, nullable: true), Column("created_at", .text),
            ], orderBy: ["id"], references: [Reference(key: "project_id", kind: "project")], authOnly: false, unique: [["alias_identity"]]),
        Table(
            kind: "issue", sql: "issues",
            columns: [
                Column("id", .int), Column("uid", .text), Column("project_id", .int), Column("number", .int), Column("short_id", .text),
                Column("title", .text), Column("body", .text), Column("status", .text), Column("closed_reason", .text, nullable: true),
                Column("owner", .text, nullable: true), Column("author", .text), Column("created_at", .text), Column("updated_at", .text),
                Column("closed_at", .text, nullable: true), Column("deleted_at", .text, nullable: true),
                Column("idempotency_key", .text, nullable: true), Column("idempotency_fingerprint", .text, nullable: true),
            ], orderBy: ["id"], references: [Reference(key: "project_id", kind: "project")], authOnly: false,
            unique: [["uid"], ["project_id", "number"]]),
        Table(
            kind: "comment", sql: "comments",
            columns: [Column("id", .int), Column("issue_id", .int), Column("author", .text), Column("body", .text), Column("created_at", .text)],
            orderBy: ["id"], references: [Reference(key: "issue_id", kind: "issue")], authOnly: false, unique: []),
        Table(
            kind: "label", sql: "issue_labels",
            columns: [Column("issue_id", .int), Column("label", .text), Column("created_at", .text)],
            orderBy: ["issue_id", "label"], references: [Reference(key: "issue_id", kind: "issue")], authOnly: false,
            unique: [["issue_id", "label"]]),
        Table(
            kind: "link", sql: "links",
            columns: [
                Column("id", .int), Column("project_id", .int), Column("link_kind", .text, sql: "kind"), Column("from_issue_id", .int),
                Column("to_issue_id", .int), Column("author", .text), Column("created_at", .text),
            ], orderBy: ["id"],
            references: [
                Reference(key: "project_id", kind: "project"), Reference(key: "from_issue_id", kind: "issue"),
                Reference(key: "to_issue_id", kind: "issue"),
            ], authOnly: false, unique: [["link_kind", "from_issue_id", "to_issue_id"]]),
        Table(
            kind: "event", sql: "events",
            columns: [
                Column("id", .int), Column("uid", .text), Column("type", .text), Column("actor", .text), Column("project_id", .int),
                Column("project_name", .text), Column("issue_uid", .text, nullable: true), Column("issue_number", .int, nullable: true),
                Column("payload", .text), Column("created_at", .text),
            ], orderBy: ["id"], references: [Reference(key: "project_id", kind: "project")], authOnly: false, unique: [["uid"]]),
        Table(
            kind: "purge_log", sql: "purge_log",
            columns: [
                Column("id", .int), Column("project_id", .int), Column("issue_uid", .text), Column("number", .int), Column("title", .text),
                Column("author", .text), Column("comment_count", .int), Column("event_count", .int), Column("label_count", .int),
                Column("link_count", .int), Column("actor", .text), Column("reason", .text, nullable: true), Column("reset_cursor", .int),
                Column("purged_at", .text),
            ], orderBy: ["id"], references: [Reference(key: "project_id", kind: "project")], authOnly: false, unique: []),
        Table(
            kind: "user", sql: "users",
            columns: [
                Column("id", .int), Column("uid", .text), Column("name", .text), Column("display_name", .text, nullable: true),
                Column("role", .text), Column("password_hash", .text, nullable: true), Column("created_at", .text),
                Column("updated_at", .text), Column("disabled_at", .text, nullable: true),
            ], orderBy: ["id"], references: [], authOnly: true, unique: [["uid"], ["name"]]),
        Table(
            kind: "token", sql: "api_tokens",
            columns: [
                Column("id", .int), Column("uid", .text), Column("actor", .text), Column("name", .text), Column("role", .text),
                Column("token_kind", .text, sql: "kind"), Column("hash", .text), Column("prefix", .text), Column("created_by", .text),
                Column("created_at", .text), Column("last_used_at", .text, nullable: true), Column("expires_at", .text, nullable: true),
                Column("revoked_at", .text, nullable: true),
            ], orderBy: ["id"], references: [], authOnly: true, unique: [["uid"], ["hash"]]),
    ]

    static let tableByKind: [String: Table] = Dictionary(uniqueKeysWithValues: tables.map { ($0.kind, $0) })
    /// The position of each kind in the file (rows of a kind come after every kind before it).
    static let rank: [String: Int] = Dictionary(uniqueKeysWithValues: tables.enumerated().map { ($0.element.kind, $0.offset) })

    /// The `meta` key carrying the events table's AUTOINCREMENT counter, so event ids (the cursors of
    /// the stream) continue after an import exactly where they would have.
    static let eventSequenceKey = "events_sequence"
}

/// Deterministic JSON for export lines: keys sorted by their UTF-8 bytes, no spaces, strings escaped
/// minimally (`"`, `\`, control characters), numbers as integers.
enum ExportJSON {
    static func line(kind: String, _ fields: [(String, JSONValue)]) -> String {
        var all = fields
        all.append(("kind", .string(kind)))
        all.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        var out = "{"
        for (i, (k, v)) in all.enumerated() {
            if i > 0 { out += "," }
            string(k, into: &out)
            out += ":"
            value(v, into: &out)
        }
        return out + "}\n"
    }

    static func value(_ v: JSONValue, into out: inout String) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += String(d)
        case .string(let s): string(s, into: &out)
        case .array(let a):
            out += "["
            for (i, e) in a.enumerated() {
                if i > 0 { out += "," }
                value(e, into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, k) in o.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
                if i > 0 { out += "," }
                string(k, into: &out)
                out += ":"
                value(o[k]!, into: &out)
            }
            out += "}"
        }
    }

    static func string(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
