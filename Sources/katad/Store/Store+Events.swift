import Foundation
import GRDB
import Shared

/// A row of `events`.
struct EventRow: FetchableRecord, Sendable {
    var wire: Event

    init(row: Row) {
        let payloadText: String = row["payload"]
        let payload = (try? KataJSON.decoder().decode(JSONValue.self, from: Data(payloadText.utf8))) ?? .object([:])
        wire = Event(
            id: row["id"], uid: row["uid"], type: row["type"], actor: row["actor"], projectId: row["project_id"],
            projectName: row["project_name"], issueUid: row["issue_uid"], issueNumber: row["issue_number"],
            payload: payload, createdAt: row["created_at"])
    }

    /// Appends an event inside the current transaction and records it in `sink` for broadcasting after commit.
    @discardableResult
    static func append(
        _ db: Database, _ sink: inout EventSink, type: String, actor: String, issue: IssueRow, payload: JSONValue, at now: String
    ) throws -> Event {
        let uid = ULID().string
        let payloadText = KataJSON.line(payload)
        try db.cachedStatement(
            sql: """
                INSERT INTO events(uid, type, actor, project_id, project_name, issue_uid, issue_number, payload, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [uid, type, actor, issue.projectId, issue.projectName, issue.uid, issue.number, payloadText, now])
        let event = Event(
            id: db.lastInsertedRowID, uid: uid, type: type, actor: actor, projectId: issue.projectId,
            projectName: issue.projectName, issueUid: issue.uid, issueNumber: issue.number, payload: payload, createdAt: now)
        sink.events.append(event)
        return event
    }
}

// MARK: - Event log reads

extension Store {
    /// The highest purge cursor that a reader of `projectId` (or of every project, when nil) must respect.
    static func resetCursor(_ db: Database, projectId: Int64?) throws -> Int64 {
        if let projectId {
            return try Int64.fetchOne(db, sql: "SELECT MAX(reset_cursor) FROM purge_log WHERE project_id = ?", arguments: [projectId]) ?? 0
        }
        return try Int64.fetchOne(db, sql: "SELECT MAX(reset_cursor) FROM purge_log") ?? 0
    }

    /// Events after `afterId`, oldest first; a cursor below a purge's reserved cursor gets `reset_required`.
    func pollEvents(projectId: Int64?, afterId: Int64, limit: Int) async throws -> EventPollAnswer {
        try read { db in
            if let projectId { _ = try ProjectRow.require(db, id: projectId) }
            let reset = try Store.resetCursor(db, projectId: projectId)
            if afterId < reset {
                return EventPollAnswer(events: [], nextAfterId: reset, resetRequired: true)
            }
            let events = try Store.events(db, projectId: projectId, afterId: afterId, limit: limit)
            return EventPollAnswer(events: events, nextAfterId: events.last?.id ?? afterId, resetRequired: false)
        }
    }

    /// The page of visible events after `afterId`.
    static func events(_ db: Database, projectId: Int64?, afterId: Int64, limit: Int) throws -> [Event] {
        if let projectId {
            return try EventRow.fetchAll(
                db, sql: "SELECT * FROM events WHERE project_id = ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [projectId, afterId, limit]
            ).map(\.wire)
        }
        return try EventRow.fetchAll(
            db,
            sql: """
                SELECT e.* FROM events e JOIN projects p ON p.id = e.project_id
                WHERE e.id > ? AND p.hidden = 0 ORDER BY e.id LIMIT ?
                """,
            arguments: [afterId, limit]
        ).map(\.wire)
    }

    /// Reads a replay page for the stream (same visibility as polling).
    func replay(projectId: Int64?, afterId: Int64, limit: Int) async throws -> (events: [Event], reset: Int64) {
        try read { db in
            let reset = try Store.resetCursor(db, projectId: projectId)
            if afterId < reset { return ([], reset) }
            return (try Store.events(db, projectId: projectId, afterId: afterId, limit: limit), reset)
        }
    }

    /// Whether a project exists and is visible.
    func requireProject(id: Int64) async throws {
        _ = try read { db in try ProjectRow.require(db, id: id) }
    }
}

extension Store {
    /// The cursor a live-only reader starts from: the newest event id or reserved cursor.
    func latestCursor(projectId: Int64?) async throws -> Int64 {
        try read { db in
            let reset = try Store.resetCursor(db, projectId: projectId)
            let newest: Int64?
            if let projectId {
                newest = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events WHERE project_id = ?", arguments: [projectId])
            } else {
                newest = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events")
            }
            return max(reset, newest ?? 0)
        }
    }
}
