import Foundation
import GRDB
import Shared

// MARK: - Full-text search

extension Store {
    /// BM25 search over title, body and comments, best first; `score` is the negated BM25 (higher is better).
    func search(projectIds: [Int64], query: String, limit: Int) async throws -> [SearchHit] {
        let q = Validation.trimmed(query)
        guard !q.isEmpty else { throw KataError.validation("q", "the search query is empty") }
        return try read { db in
            var clauses = ["issue_fts MATCH ?", "i.deleted_at IS NULL", "p.hidden = 0"]
            var args: [any DatabaseValueConvertible] = [q]
            if !projectIds.isEmpty {
                clauses.append("i.project_id IN (\(databaseQuestionMarks(count: projectIds.count)))")
                args += projectIds
            }
            args.append(limit)
            do {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT i.*, p.name AS project_name, bm25(issue_fts, 4.0, 1.0, 1.0) AS rank
                        FROM issue_fts JOIN issues i ON i.id = issue_fts.rowid JOIN projects p ON p.id = i.project_id
                        WHERE \(clauses.joined(separator: " AND ")) ORDER BY rank, i.id LIMIT ?
                        """,
                    arguments: StatementArguments(args))
                let issues = try IssueRow.wireAll(db, rows.map(IssueRow.init(row:)))
                return zip(issues, rows).map { SearchHit(issue: $0, score: -(($1["rank"] as Double?) ?? 0)) }
            } catch let e as DatabaseError {
                throw KataError(
                    400, .validation, "q: the search query \"\(q)\" is not valid FTS5 syntax (\(e.message ?? "syntax error"))",
                    hint: "quote phrases with double quotes, or search plain words: kata search \"word another\"",
                    data: ["field": "q"])
            }
        }
    }

    /// Rewrites the search row of an issue from its title, body and comments.
    static func reindex(_ db: Database, issueId: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM issue_fts WHERE rowid = ?").execute(arguments: [issueId])
        try index(db, issueId: issueId)
    }

    /// Adds the FTS row of an issue that has none yet (a new issue).
    static func index(_ db: Database, issueId: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO issue_fts(rowid, title, body, comments)
                SELECT i.id, i.title, i.body, COALESCE((SELECT group_concat(body, char(10)) FROM comments WHERE issue_id = i.id), '')
                FROM issues i WHERE i.id = ?
                """
        ).execute(arguments: [issueId])
    }

    /// Open issues of a project whose title and body closely match (word-set similarity ≥ 0.8).
    static func lookalikes(_ db: Database, projectId: Int64, title: String, body: String) throws -> [IssueRow] {
        let words = Similarity.words(title + " " + body)
        let titleWords = Similarity.words(title)
        guard !titleWords.isEmpty else { return [] }
        let match = try Similarity.prefilter(db, words: words, titleWords: titleWords)
            .map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: " OR ")
        let candidates = try IssueRow.fetchAll(
            db.cachedStatement(
                sql: """
                SELECT i.*, p.name AS project_name FROM issue_fts JOIN issues i ON i.id = issue_fts.rowid
                JOIN projects p ON p.id = i.project_id
                WHERE issue_fts MATCH ? AND i.project_id = ? AND i.status = 'open' AND i.deleted_at IS NULL
                ORDER BY bm25(issue_fts, 4.0, 1.0, 0.0) LIMIT 20
                """),
            arguments: ["{title body} : (\(match))", projectId])
        return candidates.filter { Similarity.jaccard(words, Similarity.words($0.title + " " + $0.body)) >= 0.8 }
    }
}

/// Word-set similarity used by the look-alike check.
enum Similarity {
    static func words(_ text: String) -> Set<String> {
        Set(
            text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        )
    }

    /// The words to search candidates by. An issue within Jaccard 0.8 of `words` holds at least 80 % of
    /// them, so it holds one of any ⌊n/5⌋+1 of them: the rarest ones (by how many issues hold each, from
    /// `issue_fts_vocab`) find every such issue while matching few others. Common words matched
    /// thousands of issues per create at 100,000 issues. Very long texts fall back to the title's words.
    static func prefilter(_ db: Database, words: Set<String>, titleWords: Set<String>) throws -> [String] {
        guard words.count <= 300 else { return titleWords.sorted() }
        let all = words.sorted()
        var counts: [String: Int] = [:]
        // One cached point lookup per word (a title has a handful): an IN list would compile a new
        // statement for every word count.
        let lookup = try db.cachedStatement(sql: "SELECT doc FROM issue_fts_vocab WHERE term = ?")
        for word in all {
            if let doc = try Int.fetchOne(lookup, arguments: [word]) { counts[word] = doc }
        }
        let need = all.count / 5 + 1
        return Array(all.sorted { (counts[$0] ?? 0, $0) < (counts[$1] ?? 0, $1) }.prefix(need))
    }

    static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }
}
