import Foundation
import GRDB
import Shared

extension Store {
    /// Streams a JSONL export to `emit`, one chunk of whole lines at a time, from one consistent snapshot
    /// of the database (writes go on meanwhile). Without `includeAuth` (a caller below `admin`), users,
    /// tokens and the hidden system project with its events are left out.
    func export(includeAuth: Bool, emit: (String) async throws -> Void) async throws {
        let reader: any DatabaseReader
        if let pool = writer as? DatabasePool {
            reader = try pool.makeSnapshot()
        } else {
            reader = writer
        }
        var lines = 0
        let head = try await reader.read { db -> String in
            let schema = try Migrations.migrator.appliedIdentifiers(db).count
            let instance = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_uid'") ?? ""
            var out = ExportJSON.line(
                kind: "header",
                [
                    ("export_version", .int(Int64(ExportFormat.version))), ("schema_version", .int(Int64(schema))),
                    ("instance_uid", .string(instance)), ("auth", .bool(includeAuth)),
                ])
            var meta: [(String, String)] = try Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key <> 'instance_uid'").map {
                ($0["key"], $0["value"])
            }
            if let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") {
                meta.append((ExportFormat.eventSequenceKey, String(seq)))
            }
            for (k, v) in meta.sorted(by: { $0.0 < $1.0 }) {
                out += ExportJSON.line(kind: "meta", [("key", .string(k)), ("value", .string(v))])
            }
            return out
        }
        lines += head.split(separator: "\n").count
        try await emit(head)
        for table in ExportFormat.tables where includeAuth || !table.authOnly {
            var after: [DatabaseValue] = table.orderBy.map { _ in .null }
            while true {
                let key = after
                let page = try await reader.read { db in try Self.exportPage(db, table, after: key, includeAuth: includeAuth) }
                if page.count == 0 { break }
                lines += page.count
                after = page.last
                try await emit(page.text)
            }
        }
        lines += 1
        try await emit(ExportJSON.line(kind: "end", [("lines", .int(Int64(lines)))]))
    }

    struct ExportPage: Sendable {
        var text = ""
        var count = 0
        var last: [DatabaseValue] = []
    }

    static let exportPageSize = 2000

    /// One page of a table's rows after the key `after` (all nulls: from the start).
    static func exportPage(_ db: Database, _ table: ExportFormat.Table, after: [DatabaseValue], includeAuth: Bool) throws -> ExportPage {
        let columns = table.columns.map { "\"\($0.sql)\"" }.joined(separator: ", ")
        var clauses: [String] = []
        var args: [(any DatabaseValueConvertible)?] = []
        if !after[0].isNull {
            clauses.append("(\(table.orderBy.joined(separator: ", "))) > (\(table.orderBy.map { _ in "?" }.joined(separator: ", ")))")
            args += after.map { $0 as (any DatabaseValueConvertible)? }
        }
        if !includeAuth {
            if table.kind == "project" {
                clauses.append("hidden = 0")
            } else if table.columns.contains(where: { $0.sql == "project_id" }) {
                clauses.append("project_id NOT IN (SELECT id FROM projects WHERE hidden = 1)")
            }
        }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT \(columns) FROM \(table.sql) \(whereSQL) ORDER BY \(table.orderBy.joined(separator: ", ")) LIMIT \(exportPageSize)"
        var page = ExportPage()
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(args))
        while let row = try rows.next() {
            var fields: [(String, JSONValue)] = []
            fields.reserveCapacity(table.columns.count)
            for (i, c) in table.columns.enumerated() {
                fields.append((c.key, Self.json(row[i] as DatabaseValue)))
            }
            page.text += ExportJSON.line(kind: table.kind, fields)
            page.count += 1
            page.last = table.orderBy.map { key in row[table.columns.firstIndex { $0.sql == key }!] as DatabaseValue }
        }
        return page
    }

    static func json(_ v: DatabaseValue) -> JSONValue {
        switch v.storage {
        case .null: return .null
        case .int64(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .blob(let b): return .string(String(decoding: b, as: UTF8.self))
        }
    }
}
