import GRDB
import Shared

/// The answer of a purge: the issue as it was, and its purge-log row.
struct PurgeAnswer: Codable, Sendable {
    var issue: Issue
    var event: Event?
    var changed: Bool
    var purge: PurgeRecord

    enum CodingKeys: String, CodingKey { case issue, event, changed, purge }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issue, forKey: .issue)
        try c.encode(event, forKey: .event)
        try c.encode(changed, forKey: .changed)
        try c.encode(purge, forKey: .purge)
    }
}

// MARK: - Changing issues

extension Store {
    /// Runs one issue change in a transaction: resolves the issue, refuses deleted ones unless allowed.
    func mutate(
        projectId: Int64, ref: String, allowDeleted: Bool = false,
        _ body: @escaping @Sendable (Database, inout EventSink, ProjectRow, IssueRow, String) throws -> MutationAnswer
    ) async throws -> MutationAnswer {
        try await writeWithEvents { db, sink in
            let project = try ProjectRow.require(db, id: projectId)
            let issue = try Store.resolveIssue(db, project: project, ref: ref)
            if issue.deletedAt != nil && !allowDeleted {
                throw KataError(
                    409, .conflict, "#\(issue.number) is deleted; it cannot be changed",
                    hint: "`kata restore \(issue.number)` brings it back", data: ["number": .int(issue.number)])
            }
            return try body(db, &sink, project, issue, Timestamp.now())
        }
    }

    /// Moves `updated_at` forward and returns the fresh row.
    static func touch(_ db: Database, _ issue: IssueRow) throws -> IssueRow {
        try db.execute(
            sql: "UPDATE issues SET updated_at = ? WHERE id = ?", arguments: [IssueRules.nextUpdatedAt(after: issue.updatedAt), issue.id])
        return try IssueRow.fetch(db, id: issue.id)!
    }

    static func unchanged(_ db: Database, _ issue: IssueRow) throws -> MutationAnswer {
        MutationAnswer(issue: try issue.wire(db), event: nil, changed: false)
    }

    /// `PATCH`: title, body, owner and links in one transaction, one event per changed aspect.
    func editIssue(projectId: Int64, ref: String, _ req: EditIssueRequest, actor: String) async throws -> MutationAnswer {
        let title = try req.title.map { t -> String in
            let v = Validation.trimmed(t)
            try IssueRules.validateTitle(v)
            return v
        }
        if req.owner != nil && req.clearOwner == true {
            throw KataError.validation("owner", "give owner or clear_owner, not both")
        }
        if req.parent != nil && req.removeParent == true {
            throw KataError.validation("parent", "give parent or remove_parent, not both")
        }
        let owner = try req.owner.map { try IssueRules.validateActorName($0, field: "owner") }
        let links = LinkChanges(
            parent: req.parent, removeParent: req.removeParent ?? false, blocks: req.blocks ?? [], removeBlocks: req.removeBlocks ?? [],
            blockedBy: req.blockedBy ?? [], removeBlockedBy: req.removeBlockedBy ?? [], related: req.related ?? [],
            removeRelated: req.removeRelated ?? [])
        let body = req.body
        let clearOwner = req.clearOwner == true
        let pairs = wordPairs
        return try await mutate(projectId: projectId, ref: ref) { db, sink, project, issue, now in
            var last: Event?
            var updated: [String: JSONValue] = [:]
            if let title, title != issue.title {
                updated["title"] = .object(["from": .string(issue.title), "to": .string(title)])
            }
            if let body, body != issue.body { updated["body_changed"] = true }
            if !updated.isEmpty {
                try db.execute(
                    sql: "UPDATE issues SET title = ?, body = ? WHERE id = ?",
                    arguments: [title ?? issue.title, body ?? issue.body, issue.id])
                sink.search.change(issue.id)
                pairs.insert(title: title ?? issue.title, body: body ?? issue.body)
                last = try EventRow.append(db, &sink, type: "issue.updated", actor: actor, issue: issue, payload: .object(updated), at: now)
            }
            if let owner, owner != issue.owner {
                try db.execute(sql: "UPDATE issues SET owner = ? WHERE id = ?", arguments: [owner, issue.id])
                last = try EventRow.append(
                    db, &sink, type: "issue.assigned", actor: actor, issue: issue,
                    payload: ["owner": .string(owner), "previous": issue.owner.map { .string($0) } ?? .null], at: now)
            } else if clearOwner, let previous = issue.owner {
                try db.execute(sql: "UPDATE issues SET owner = NULL WHERE id = ?", arguments: [issue.id])
                last = try EventRow.append(
                    db, &sink, type: "issue.unassigned", actor: actor, issue: issue, payload: ["previous": .string(previous)], at: now)
            }
            if !links.isEmpty {
                let (added, removed) = try Store.applyLinks(db, project: project, issue: issue, changes: links, actor: actor, now: now)
                if !added.isEmpty || !removed.isEmpty {
                    last = try EventRow.append(
                        db, &sink, type: "issue.links_changed", actor: actor, issue: issue,
                        payload: ["added": .array(added), "removed": .array(removed)], at: now)
                }
            }
            guard last != nil else { return try Store.unchanged(db, issue) }
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: last, changed: true)
        }
    }

    /// Appends a comment.
    func comment(projectId: Int64, ref: String, body rawBody: String?, actor: String) async throws -> MutationAnswer {
        let body = rawBody ?? ""
        if Validation.isBlank(body) {
            throw KataError.validation("body", "the comment must not be blank", hint: "pass the text with --body, --body-file or --body-stdin")
        }
        return try await mutate(projectId: projectId, ref: ref) { db, sink, _, issue, now in
            let event = try Store.addComment(db, &sink, issue: issue, body: body, actor: actor, now: now)
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: event, changed: true)
        }
    }

    @discardableResult
    static func addComment(_ db: Database, _ sink: inout EventSink, issue: IssueRow, body: String, actor: String, now: String) throws -> Event {
        try db.execute(
            sql: "INSERT INTO comments(issue_id, author, body, created_at) VALUES (?, ?, ?, ?)", arguments: [issue.id, actor, body, now])
        let commentId = db.lastInsertedRowID
        sink.search.change(issue.id)
        return try EventRow.append(db, &sink, type: "issue.commented", actor: actor, issue: issue, payload: ["comment_id": .int(commentId)], at: now)
    }

    /// Closes an issue; `message` adds a comment first, in the same transaction.
    func close(projectId: Int64, ref: String, reason rawReason: String?, message: String?, actor: String) async throws -> MutationAnswer {
        let reason = try IssueRules.validateReason(rawReason)
        if let message, Validation.isBlank(message) { throw KataError.validation("message", "must not be blank") }
        return try await mutate(projectId: projectId, ref: ref) { db, sink, _, issue, now in
            guard issue.status == "open" else { return try Store.unchanged(db, issue) }
            if let message { try Store.addComment(db, &sink, issue: issue, body: message, actor: actor, now: now) }
            try db.execute(
                sql: "UPDATE issues SET status = 'closed', closed_reason = ?, closed_at = ? WHERE id = ?", arguments: [reason, now, issue.id])
            let event = try EventRow.append(db, &sink, type: "issue.closed", actor: actor, issue: issue, payload: ["reason": .string(reason)], at: now)
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: event, changed: true)
        }
    }

    /// Reopens a closed issue.
    func reopen(projectId: Int64, ref: String, actor: String) async throws -> MutationAnswer {
        try await mutate(projectId: projectId, ref: ref) { db, sink, _, issue, now in
            guard issue.status == "closed" else { return try Store.unchanged(db, issue) }
            try db.execute(
                sql: "UPDATE issues SET status = 'open', closed_reason = NULL, closed_at = NULL WHERE id = ?", arguments: [issue.id])
            let event = try EventRow.append(
                db, &sink, type: "issue.reopened", actor: actor, issue: issue,
                payload: ["previous_reason": issue.closedReason.map { .string($0) } ?? .null], at: now)
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: event, changed: true)
        }
    }

    /// Adds labels; one `issue.labeled` event listing the new ones.
    func addLabels(projectId: Int64, ref: String, labels rawLabels: [String], actor: String) async throws -> MutationAnswer {
        if rawLabels.isEmpty { throw KataError.validation("labels", "give at least one label") }
        let labels = try IssueRules.validateLabels(rawLabels)
        return try await mutate(projectId: projectId, ref: ref) { db, sink, _, issue, now in
            var added: [String] = []
            for label in labels {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO issue_labels(issue_id, label, created_at) VALUES (?, ?, ?)", arguments: [issue.id, label, now])
                if db.changesCount > 0 { added.append(label) }
            }
            guard !added.isEmpty else { return try Store.unchanged(db, issue) }
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issue_labels WHERE issue_id = ?", arguments: [issue.id]) ?? 0
            if total > IssueRules.maxLabels {
                throw KataError.validation("labels", "at most \(IssueRules.maxLabels) labels on an issue (this would make \(total))")
            }
            let event = try EventRow.append(
                db, &sink, type: "issue.labeled", actor: actor, issue: issue, payload: ["labels": .array(added.map { .string($0) })], at: now)
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: event, changed: true)
        }
    }

    /// Removes one label.
    func removeLabel(projectId: Int64, ref: String, label: String, actor: String) async throws -> MutationAnswer {
        _ = try IssueRules.validateLabels([label])
        return try await mutate(projectId: projectId, ref: ref) { db, sink, _, issue, now in
            try db.execute(sql: "DELETE FROM issue_labels WHERE issue_id = ? AND label = ?", arguments: [issue.id, label])
            guard db.changesCount > 0 else { return try Store.unchanged(db, issue) }
            let event = try EventRow.append(
                db, &sink, type: "issue.unlabeled", actor: actor, issue: issue, payload: ["labels": [.string(label)]], at: now)
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: event, changed: true)
        }
    }

    /// Sets the owner.
    func assign(projectId: Int64, ref: String, owner rawOwner: String?, actor: String) async throws -> MutationAnswer {
        let owner = try IssueRules.validateActorName(rawOwner ?? "", field: "owner")
        var req = EditIssueRequest()
        req.owner = owner
        return try await editIssue(projectId: projectId, ref: ref, req, actor: actor)
    }

    /// Clears the owner.
    func unassign(projectId: Int64, ref: String, actor: String) async throws -> MutationAnswer {
        var req = EditIssueRequest()
        req.clearOwner = true
        return try await editIssue(projectId: projectId, ref: ref, req, actor: actor)
    }

    /// Checks the `X-Kata-Confirm` value of a destructive action against `VERB #N`.
    static func checkConfirm(_ given: String?, verb: String, issue: IssueRow) throws {
        let expected = "\(verb) #\(issue.number)"
        guard let given, !given.isEmpty else {
            throw KataError(
                412, .confirmRequired, "\(verb.lowercased()) of #\(issue.number) needs confirmation",
                hint: "repeat with --confirm \"\(expected)\"", data: ["expected": .string(expected)])
        }
        guard given == expected else {
            throw KataError(
                412, .confirmMismatch, "the confirmation \"\(given)\" does not match \"\(expected)\"",
                hint: "repeat with --confirm \"\(expected)\"", data: ["expected": .string(expected)])
        }
    }

    /// Soft delete: hidden from lists and search, undone by restore.
    func softDelete(projectId: Int64, ref: String, confirm: String?, actor: String) async throws -> MutationAnswer {
        try await mutate(projectId: projectId, ref: ref, allowDeleted: true) { db, sink, _, issue, now in
            try Store.checkConfirm(confirm, verb: "DELETE", issue: issue)
            guard issue.deletedAt == nil else { return try Store.unchanged(db, issue) }
            try db.execute(sql: "UPDATE issues SET deleted_at = ? WHERE id = ?", arguments: [now, issue.id])
            let event = try EventRow.append(db, &sink, type: "issue.soft_deleted", actor: actor, issue: issue, payload: [:], at: now)
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: event, changed: true)
        }
    }

    /// Undoes a soft delete.
    func restore(projectId: Int64, ref: String, actor: String) async throws -> MutationAnswer {
        try await mutate(projectId: projectId, ref: ref, allowDeleted: true) { db, sink, _, issue, now in
            guard issue.deletedAt != nil else { return try Store.unchanged(db, issue) }
            try db.execute(sql: "UPDATE issues SET deleted_at = NULL WHERE id = ?", arguments: [issue.id])
            let event = try EventRow.append(db, &sink, type: "issue.restored", actor: actor, issue: issue, payload: [:], at: now)
            return MutationAnswer(issue: try Store.touch(db, issue).wire(db), event: event, changed: true)
        }
    }

    /// Irreversible removal of an issue with its comments, labels, links and events; writes the purge log
    /// and reserves a cursor above every existing event id.
    func purge(projectId: Int64, ref: String, confirm: String?, reason: String?, actor: String) async throws -> PurgeAnswer {
        try await writeWithEvents { db, sink in
            let project = try ProjectRow.require(db, id: projectId)
            let issue = try Store.resolveIssue(db, project: project, ref: ref)
            try Store.checkConfirm(confirm, verb: "PURGE", issue: issue)
            let snapshot = try issue.wire(db)
            func count(_ sql: String, _ arg: any DatabaseValueConvertible) throws -> Int {
                try Int.fetchOne(db, sql: sql, arguments: [arg]) ?? 0
            }
            let comments = try count("SELECT COUNT(*) FROM comments WHERE issue_id = ?", issue.id)
            let labels = try count("SELECT COUNT(*) FROM issue_labels WHERE issue_id = ?", issue.id)
            let links = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM links WHERE from_issue_id = ?1 OR to_issue_id = ?1", arguments: [issue.id]) ?? 0
            let events = try count("SELECT COUNT(*) FROM events WHERE issue_uid = ?", issue.uid)
            try db.execute(sql: "DELETE FROM events WHERE issue_uid = ?", arguments: [issue.uid])
            try db.execute(sql: "DELETE FROM comments WHERE issue_id = ?", arguments: [issue.id])
            try db.execute(sql: "DELETE FROM issue_labels WHERE issue_id = ?", arguments: [issue.id])
            try db.execute(sql: "DELETE FROM links WHERE from_issue_id = ?1 OR to_issue_id = ?1", arguments: [issue.id])
            sink.search.change(issue.id)
            try db.execute(sql: "DELETE FROM issues WHERE id = ?", arguments: [issue.id])
            let reserved = try Store.reserveCursor(db)
            let now = Timestamp.now()
            try db.execute(
                sql: """
                    INSERT INTO purge_log(project_id, issue_uid, number, title, author, comment_count, event_count, label_count,
                                          link_count, actor, reason, reset_cursor, purged_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [project.id, issue.uid, issue.number, issue.title, issue.author, comments, events, labels, links, actor, reason, reserved, now])
            sink.purge = PurgeNotice(projectId: project.id, resetCursor: reserved)
            let record = PurgeRecord(
                id: db.lastInsertedRowID, projectId: project.id, issueUid: issue.uid, number: issue.number, title: issue.title,
                author: issue.author, commentCount: comments, eventCount: events, actor: actor, reason: reason, resetCursor: reserved,
                purgedAt: now)
            return PurgeAnswer(issue: snapshot, event: nil, changed: true, purge: record)
        }
    }

    /// Reserves an event id: the next event gets a higher one, and readers below it must reset.
    static func reserveCursor(_ db: Database) throws -> Int64 {
        let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'")
        let reserved = (seq ?? 0) + 1
        if seq == nil {
            try db.execute(sql: "INSERT INTO sqlite_sequence(name, seq) VALUES ('events', ?)", arguments: [reserved])
        } else {
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'", arguments: [reserved])
        }
        return reserved
    }
}
