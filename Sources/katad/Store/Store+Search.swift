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
                let statement = try db.makeStatement(
                    sql: """
                        SELECT \(IssueRow.columns), bm25(issue_fts, 4.0, 1.0, 1.0) AS rank
                        FROM issue_fts JOIN issues i ON i.id = issue_fts.rowid JOIN projects p ON p.id = i.project_id
                        WHERE \(clauses.joined(separator: " AND ")) ORDER BY rank, i.id LIMIT ?
                        """)
                let rows = try Array(
                    ColumnCursor(statement, arguments: StatementArguments(args)) { s in
                        (issue: IssueRow(s), rank: Double(sqliteStatement: s, index: IssueRow.columnCount))
                    })
                let issues = try IssueRow.wireAll(db, rows.map(\.issue))
                return zip(issues, rows).map { SearchHit(issue: $0, score: -$1.rank) }
            } catch let e as DatabaseError {
                throw KataError(
                    400, .validation, "q: the search query \"\(q)\" is not valid FTS5 syntax (\(e.message ?? "syntax error"))",
                    hint: "quote phrases with double quotes, or search plain words: kata search \"word another\"",
                    data: ["field": "q"])
            }
        }
    }
}
