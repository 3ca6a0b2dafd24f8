import Foundation
import GRDB
import Shared

extension Store {
    /// Imports the JSONL export at `path`: validates every line first, then loads all of it in one
    /// transaction (all or nothing).
    ///
    /// Without `merge` the database must hold no data yet (no visible project, issue, event or purge
    /// record; and no user or token when the file carries them); ids, uids, numbers, event ids and the
    /// instance uid are taken over, so export → import → export is byte-identical. With `merge`, rows
    /// get new ids (references follow), the file's uids and names must be new to this database, and
    /// the hidden system project's events join the local one.
    func importFile(path: String, merge: Bool, callerRole: Role) async throws -> ImportAnswer {
        // Pass 1: read and check every line, without touching the database.
        var validator = ImportValidator()
        var reader = try JSONLReader(path: path)
        while let bytes = try reader.next() {
            _ = try validator.check(bytes, number: reader.lineNumber)
        }
        try validator.finish(lines: reader.lineNumber)
        if validator.needsAdmin && callerRole < .admin {
            throw KataError(
                403, .forbidden, "this file carries users, tokens or the system project's events: importing it needs the role admin; this caller's role is \(callerRole.rawValue)",
                hint: "import it with an admin token or on the daemon's host, or export without auth data (a non-admin export)")
        }
        let checked = validator
        let indexedTerms = indexedTerms
        let wordPairs = wordPairs
        // Pass 2: load in one transaction.
        return try await writer.write { db in
            // The load indexes its issues in bulk: the look-alike check reads the index's terms and the
            // issues' word pairs again.
            indexedTerms.reset()
            wordPairs.reset()
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            var loader = try ImportLoader(db, merge: merge, validator: checked)
            var reader = try JSONLReader(path: path)
            var decoder = ImportValidator()
            while let bytes = try reader.next() {
                let line = try decoder.check(bytes, number: reader.lineNumber)
                try loader.load(line)
            }
            return try loader.finish()
        }
    }
}

/// Inserts the rows of a checked file inside one transaction.
struct ImportLoader {
    let db: Database
    let merge: Bool
    let validator: ImportValidator
    /// Per kind, the file's id → the database's id (identity unless merging).
    var idMap: [String: [Int64: Int64]] = [:]
    var localHidden: Int64?
    var firstNewIssue: Int64
    var counts: [String: Int] = [:]

    init(_ db: Database, merge: Bool, validator: ImportValidator) throws {
        self.db = db
        self.merge = merge
        self.validator = validator
        localHidden = try Int64.fetchOne(db, sql: "SELECT id FROM projects WHERE hidden = 1 ORDER BY id LIMIT 1")
        firstNewIssue = (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM issues") ?? 0) + 1
        if merge { return }
        let data = try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM projects WHERE hidden = 0) + (SELECT COUNT(*) FROM issues)
                     + (SELECT COUNT(*) FROM events e JOIN projects p ON p.id = e.project_id WHERE p.hidden = 0)
                     + (SELECT COUNT(*) FROM purge_log)
                """) ?? 0
        if data > 0 {
            throw KataError(
                409, .conflict, "the database already holds projects or issues: an exact import needs an empty one",
                hint: "import into a new KATA_HOME, or pass --merge to add the file's data beside what is here")
        }
        if validator.needsAdmin {
            let auth = try Int.fetchOne(db, sql: "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM api_tokens)") ?? 0
            if auth > 0 {
                throw KataError(
                    409, .conflict, "the database already holds users or tokens, and the file carries its own",
                    hint: "import into a new KATA_HOME, or pass --merge")
            }
            // The file brings its own system project (with the same id as where it came from).
            if let hidden = localHidden, !validator.hiddenProjects.isEmpty {
                try db.execute(sql: "DELETE FROM events WHERE project_id = ?", arguments: [hidden])
                try db.execute(sql: "DELETE FROM projects WHERE id = ?", arguments: [hidden])
                localHidden = nil
            }
        }
        // Keep the local system project out of the way of the file's project ids.
        if let hidden = localHidden, validator.ids["project"]?.contains(hidden) == true {
            let fresh = max((validator.ids["project"]?.max() ?? 0), try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM projects") ?? 0) + 1
            try db.execute(sql: "UPDATE events SET project_id = ? WHERE project_id = ?", arguments: [fresh, hidden])
            try db.execute(sql: "UPDATE projects SET id = ? WHERE id = ?", arguments: [fresh, hidden])
            localHidden = fresh
        }
    }

    mutating func load(_ line: ImportLine) throws {
        switch line.kind {
        case "header", "end":
            return
        case "meta":
            guard !merge, case .string(let key)? = line.fields["key"], case .string(let value)? = line.fields["value"] else { return }
            if key == ExportFormat.eventSequenceKey { return }  // applied in finish()
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
            return
        default:
            break
        }
        guard let table = ExportFormat.tableByKind[line.kind] else { return }
        var fields = line.fields
        for r in table.references {
            if case .int(let old)? = fields[r.key], let new = idMap[r.kind]?[old] { fields[r.key] = .int(new) }
        }
        let oldID: Int64? = if case .int(let id)? = fields["id"] { id } else { nil }
        if table.kind == "project", case .int(1)? = fields["hidden"], merge, let hidden = localHidden, let oldID {
            idMap["project", default: [:]][oldID] = hidden  // the file's system project is ours
            return
        }
        let insertID = !(merge && table.hasID)
        let columns = table.columns.filter { insertID || $0.key != "id" }
        let sql = "INSERT INTO \(table.sql) (\(columns.map { "\"\($0.sql)\"" }.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        let values: [DatabaseValue] = columns.map { c in
            switch fields[c.key] {
            case .int(let i)?: return i.databaseValue
            case .string(let s)?: return s.databaseValue
            default: return .null
            }
        }
        do {
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values))
        } catch let e as DatabaseError {
            let reason = e.message ?? "\(e.resultCode)"
            let clash = e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
            throw ImportProblem.at(
                line.number, nil,
                clash ? "this \(table.kind) already exists in the database (\(reason))" : "the database refused this \(table.kind): \(reason)")
        }
        if let oldID, table.hasID { idMap[table.kind, default: [:]][oldID] = insertID ? oldID : db.lastInsertedRowID }
        counts[table.kind, default: 0] += 1
    }

    func finish() throws -> ImportAnswer {
        // Derived columns the file does not carry.
        try db.execute(sql: "UPDATE issues SET uid_rev = kata_reverse(uid) WHERE uid_rev IS NULL")
        // Search rows for the issues just loaded.
        try db.execute(
            sql: """
                INSERT INTO issue_fts(rowid, title, body, comments)
                SELECT i.id, i.title, i.body, COALESCE((SELECT group_concat(body, char(10)) FROM comments WHERE issue_id = i.id), '')
                FROM issues i WHERE i.id >= ?
                """,
            arguments: [merge ? firstNewIssue : 0])
        if !merge {
            if !validator.headerInstance.isEmpty {
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'instance_uid'", arguments: [validator.headerInstance])
            }
            if let seq = validator.meta[ExportFormat.eventSequenceKey].flatMap(Int64.init) {
                let current = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events") ?? 0
                try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = 'events'")
                try db.execute(sql: "INSERT INTO sqlite_sequence(name, seq) VALUES ('events', ?)", arguments: [max(seq, current)])
            }
        }
        if localHidden == nil, try Int64.fetchOne(db, sql: "SELECT id FROM projects WHERE hidden = 1 LIMIT 1") == nil {
            try db.execute(
                sql: "INSERT INTO projects(uid, name, created_at, next_issue_number, hidden) VALUES (?, ?, ?, 1, 1)",
                arguments: [ULID().string, SystemProject.name, Timestamp.now()])
        }
        let broken = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
        if let first = broken.first {
            throw KataError(
                400, .validation, "the file's rows do not fit together: \(first["table"] as String? ?? "?") row \(first["rowid"] as Int64? ?? 0) refers to a missing \(first["parent"] as String? ?? "?") row",
                hint: "nothing was imported")
        }
        let instance = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_uid'") ?? ""
        return ImportAnswer(
            mode: merge ? "merge" : "exact", lines: validator.counts.values.reduce(0, +) + 1, exportVersion: validator.version,
            instanceUid: instance, imported: counts.mapValues(Int64.init))
    }
}
