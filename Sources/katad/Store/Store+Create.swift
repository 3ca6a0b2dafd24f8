import Foundation
import GRDB
import Shared

// MARK: - Creating issues

extension Store {
    /// Creates an issue (or returns the earlier one for a repeated idempotency key).
    func createIssue(projectId: Int64, _ req: CreateIssueRequest, actor: String) async throws -> MutationAnswer {
        let title = Validation.trimmed(req.title ?? "")
        try IssueRules.validateTitle(title)
        let body = req.body ?? ""
        let labels = try IssueRules.validateLabels(req.labels ?? [])
        let owner = try req.owner.map { try IssueRules.validateActorName($0, field: "owner") }
        let key = req.idempotencyKey.map(Validation.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        if let key, key.count > 200 { throw KataError.validation("idempotency_key", "at most 200 characters") }
        let fingerprint = IssueRules.fingerprint(title: title, body: body, labels: labels, owner: owner)
        let links = LinkChanges(
            parent: req.parent, blocks: req.blocks ?? [], blockedBy: req.blockedBy ?? [], related: req.related ?? [])

        let termCounts = termCounts
        let indexedTerms = indexedTerms
        let wordPairs = wordPairs
        return try await writeWithEvents { db, sink in
            let project = try ProjectRow.require(db, id: projectId)
            if let key, let earlier = try IssueRow.fetchOne(
                db, sql: "\(IssueRow.select) WHERE i.project_id = ? AND i.idempotency_key = ?", arguments: [projectId, key])
            {
                if earlier.deletedAt != nil {
                    throw KataError(
                        409, .idempotencyDeleted, "idempotency key \(key) belongs to #\(earlier.number), which is deleted",
                        hint: "use a new idempotency key, or `kata show \(earlier.number)`",
                        data: ["number": .int(earlier.number), "uid": .string(earlier.uid)])
                }
                guard earlier.idempotencyFingerprint == fingerprint else {
                    throw KataError(
                        409, .idempotencyMismatch,
                        "idempotency key \(key) was used for #\(earlier.number) with different content",
                        hint: "use a new idempotency key for new content, or `kata show \(earlier.number)`",
                        data: ["number": .int(earlier.number), "uid": .string(earlier.uid)])
                }
                return MutationAnswer(issue: try earlier.wire(db), event: nil, changed: false, reused: true)
            }
            if req.forceNew != true {
                let similar = try Store.lookalikes(
                    db, projectId: projectId, title: title, body: body, unindexed: sink.search.pending, counts: termCounts,
                    terms: indexedTerms, pairs: wordPairs)
                if !similar.isEmpty {
                    let list = similar.map { JSONValue.object(["number": .int($0.number), "uid": .string($0.uid), "title": .string($0.title)]) }
                    throw KataError(
                        409, .duplicateCandidates,
                        "this looks like \(similar.map { "#\($0.number)" }.joined(separator: ", ")): \(similar[0].title)",
                        hint: "check `kata show \(similar[0].number)`; create anyway with --force-new",
                        data: ["candidates": .array(list)])
                }
            }
            let now = Timestamp.now()
            let number = project.nextIssueNumber
            try db.cachedStatement(sql: "UPDATE projects SET next_issue_number = next_issue_number + 1 WHERE id = ?").execute(arguments: [projectId])
            let uid = ULID().string
            let shortId = try Store.shortId(db, projectId: projectId, uid: uid)
            try db.cachedStatement(
                sql: """
                    INSERT INTO issues(uid, project_id, number, short_id, title, body, status, owner, author,
                                       created_at, updated_at, idempotency_key, idempotency_fingerprint, uid_rev)
                    VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    uid, projectId, number, shortId, title, body, owner, actor, now, now, key, key == nil ? nil : fingerprint,
                    String(uid.reversed()),
                ])
            let id = db.lastInsertedRowID
            for label in labels {
                try db.cachedStatement(sql: "INSERT INTO issue_labels(issue_id, label, created_at) VALUES (?, ?, ?)").execute(arguments: [id, label, now])
            }
            guard let row = try IssueRow.fetch(db, id: id) else { throw KataError(500, .internalError, "created issue vanished") }
            let linked = try Store.applyLinks(db, project: project, issue: row, changes: links, actor: actor, now: now)
            sink.search.add(id)
            wordPairs.insert(title: title, body: body)
            var payload: [String: JSONValue] = ["title": .string(title), "labels": .array(labels.map { .string($0) })]
            payload["owner"] = owner.map { .string($0) } ?? .null
            if !linked.added.isEmpty { payload["links"] = .array(linked.added) }
            let event = try EventRow.append(db, &sink, type: "issue.created", actor: actor, issue: row, payload: .object(payload), at: now)
            return MutationAnswer(issue: try row.wire(db), event: event, changed: true, reused: key == nil ? nil : false)
        }
    }

    /// The shortest lowercased ULID tail (at least 4) that no other uid of the project ends with. Every
    /// short id is its uid's tail, so it is not another issue's short id either.
    static func shortId(_ db: Database, projectId: Int64, uid: String) throws -> String {
        let lower = uid.lowercased()
        var n = 4
        while n < 26 {
            let candidate = String(lower.suffix(n))
            // An all-digit short id would read as an issue number: take a longer one.
            if candidate.allSatisfy(\.isNumber) {
                n += 1
                continue
            }
            // `+project_id` keeps SQLite on the uid_rev index: on a project index it would read every issue.
            let (lo, hi) = Migrations.suffixRange(candidate)
            let clash =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM issues WHERE uid_rev >= ? AND uid_rev < ? AND +project_id = ?)"),
                    arguments: [lo, hi, projectId]) ?? false
            if !clash { return candidate }
            n += 1
        }
        return lower
    }
}

/// Field rules for issues.
enum IssueRules {
    static let maxTitle = 500

    static func validateTitle(_ title: String) throws {
        if title.isEmpty {
            throw KataError.validation("title", "must not be blank", hint: "give the issue a short summary: kata create \"Fix the login crash\"")
        }
        if title.count > maxTitle { throw KataError.validation("title", "at most \(maxTitle) characters (got \(title.count))") }
    }

    /// Validates labels and returns them de-duplicated and sorted.
    static func validateLabels(_ labels: [String]) throws -> [String] {
        for l in labels where !Validation.isValidLabel(l) {
            throw KataError.validation(
                "labels", "\"\(l)\" is not a valid label: use 1-64 characters of a-z 0-9 . _ : -",
                hint: "for example: bug, area:ui, p1")
        }
        let distinct = Array(Set(labels)).sorted()
        if distinct.count > maxLabels {
            throw KataError.validation("labels", "at most \(maxLabels) labels on an issue (got \(distinct.count))")
        }
        return distinct
    }

    /// The most labels one issue may carry: bounds the work and the size of one request.
    static let maxLabels = 100

    /// An owner or actor name: trimmed, non-blank, at most 200 characters.
    static func validateActorName(_ name: String, field: String) throws -> String {
        let t = Validation.trimmed(name)
        if t.isEmpty { throw KataError.validation(field, "must not be blank") }
        if t.count > 200 { throw KataError.validation(field, "at most 200 characters") }
        return t
    }

    static func validateReason(_ reason: String?) throws -> String {
        let r = reason ?? "done"
        guard Validation.closeReasons.contains(r) else {
            throw KataError.validation("reason", "must be one of done, wontfix, duplicate (got \"\(r)\")")
        }
        return r
    }

    /// A stable fingerprint of create content, for idempotency (FNV-1a, 64 bits, hex).
    static func fingerprint(title: String, body: String, labels: [String], owner: String?) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let text = [title, body, labels.joined(separator: ","), owner ?? ""].joined(separator: "\u{1F}")
        for b in text.utf8 {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16)
    }

    /// `max(now, previous + 1 ms)`, so every change moves `updated_at` forward.
    static func nextUpdatedAt(after previous: String) -> String {
        let now = Timestamp.nowMillis()
        let prev = Timestamp.parse(previous) ?? 0
        return Timestamp.format(millis: max(now, prev + 1))
    }
}
