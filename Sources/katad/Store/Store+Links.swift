import GRDB
import Shared

/// The link changes of one create or edit.
struct LinkChanges: Sendable {
    var parent: String?
    var removeParent = false
    var blocks: [String] = []
    var removeBlocks: [String] = []
    var blockedBy: [String] = []
    var removeBlockedBy: [String] = []
    var related: [String] = []
    var removeRelated: [String] = []

    var isEmpty: Bool {
        parent == nil && !removeParent && blocks.isEmpty && removeBlocks.isEmpty && blockedBy.isEmpty
            && removeBlockedBy.isEmpty && related.isEmpty && removeRelated.isEmpty
    }
}

// MARK: - Links

extension Store {
    /// Applies link changes to `issue` inside the current transaction; returns what was really added and removed.
    ///
    /// Self-links are 400 `validation`; a change that would close a `parent` or `blocks` cycle is 409 `link_cycle`.
    static func applyLinks(
        _ db: Database, project: ProjectRow, issue: IssueRow, changes: LinkChanges, actor: String, now: String
    ) throws -> (added: [JSONValue], removed: [JSONValue]) {
        var added: [JSONValue] = []
        var removed: [JSONValue] = []
        func other(_ raw: String, field: String) throws -> IssueRow {
            var ref = raw
            if let hash = raw.firstIndex(of: "#"), hash != raw.startIndex {
                let name = String(raw[..<hash])
                guard name == project.name else {
                    throw KataError.validation(
                        field, "\(raw) is in project \(name); links stay within one project (\(project.name))")
                }
                ref = String(raw[raw.index(after: hash)...])
            }
            let row = try resolveIssue(db, project: project, ref: ref)
            if row.id == issue.id {
                throw KataError.validation(field, "an issue cannot be linked to itself (#\(issue.number))")
            }
            if row.deletedAt != nil {
                throw KataError(409, .conflict, "\(field): #\(row.number) is deleted", hint: "link to an issue that is not deleted")
            }
            return row
        }
        func describe(_ kind: String, _ from: IssueRow, _ to: IssueRow) -> JSONValue {
            .object(["kind": .string(kind), "from": .int(from.number), "to": .int(to.number)])
        }
        func insert(_ kind: String, _ from: IssueRow, _ to: IssueRow) throws {
            try db.execute(
                sql: "INSERT OR IGNORE INTO links(project_id, kind, from_issue_id, to_issue_id, author, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [project.id, kind, from.id, to.id, actor, now])
            if db.changesCount > 0 { added.append(describe(kind, from, to)) }
        }
        func delete(_ kind: String, _ from: IssueRow, _ to: IssueRow) throws {
            try db.execute(
                sql: "DELETE FROM links WHERE kind = ? AND from_issue_id = ? AND to_issue_id = ?", arguments: [kind, from.id, to.id])
            if db.changesCount > 0 { removed.append(describe(kind, from, to)) }
        }
        func reaches(_ kind: String, from start: Int64, to target: Int64) throws -> Bool {
            try Bool.fetchOne(
                db,
                sql: """
                    WITH RECURSIVE reach(id) AS (
                        SELECT ?1
                        UNION SELECT k.to_issue_id FROM links k JOIN reach r ON k.from_issue_id = r.id WHERE k.kind = ?2
                    )
                    SELECT EXISTS (SELECT 1 FROM reach WHERE id = ?3)
                    """,
                arguments: [start, kind, target]) ?? false
        }

        // Removals first, so one edit can move a link.
        if changes.removeParent {
            if let current = try IssueRow.fetchOne(
                db, sql: "\(IssueRow.select) JOIN links k ON k.to_issue_id = i.id WHERE k.kind = 'parent' AND k.from_issue_id = ?",
                arguments: [issue.id])
            {
                try delete("parent", issue, current)
            }
        }
        for ref in changes.removeBlocks { try delete("blocks", issue, try other(ref, field: "remove_blocks")) }
        for ref in changes.removeBlockedBy { try delete("blocks", try other(ref, field: "remove_blocked_by"), issue) }
        for ref in changes.removeRelated {
            let o = try other(ref, field: "remove_related")
            let (a, b) = issue.id < o.id ? (issue, o) : (o, issue)
            try delete("related", a, b)
        }

        if let ref = changes.parent {
            let parent = try other(ref, field: "parent")
            if try reaches("parent", from: parent.id, to: issue.id) {
                throw KataError(409, .linkCycle, "parent: #\(parent.number) is a descendant of #\(issue.number); that would make a cycle")
            }
            if let current = try IssueRow.fetchOne(
                db, sql: "\(IssueRow.select) JOIN links k ON k.to_issue_id = i.id WHERE k.kind = 'parent' AND k.from_issue_id = ?",
                arguments: [issue.id]), current.id != parent.id
            {
                try delete("parent", issue, current)
            }
            try insert("parent", issue, parent)
        }
        for ref in changes.blocks {
            let target = try other(ref, field: "blocks")
            if try reaches("blocks", from: target.id, to: issue.id) {
                throw KataError(409, .linkCycle, "blocks: #\(target.number) already blocks #\(issue.number); that would make a cycle")
            }
            try insert("blocks", issue, target)
        }
        for ref in changes.blockedBy {
            let blocker = try other(ref, field: "blocked_by")
            if try reaches("blocks", from: issue.id, to: blocker.id) {
                throw KataError(409, .linkCycle, "blocked_by: #\(issue.number) already blocks #\(blocker.number); that would make a cycle")
            }
            try insert("blocks", blocker, issue)
        }
        for ref in changes.related {
            let o = try other(ref, field: "related")
            let (a, b) = issue.id < o.id ? (issue, o) : (o, issue)
            try insert("related", a, b)
        }
        return (added, removed)
    }
}
