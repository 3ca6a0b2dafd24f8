import GRDB

/// The search-index (FTS5) rows a group-commit batch must write, written once after the batch's last write.
///
/// FTS5 writes the rows it holds in memory out as a new index segment at every savepoint, and each write of
/// a batch runs in its own savepoint (see `GroupCommitter`). Indexing inside the writes made one segment,
/// and the merges that follow, per write: more than half of a create's time. Collected here and written
/// after the last savepoint, a batch makes one segment. Readers see the rows with the commit as before: the
/// rows are written in the same transaction.
///
/// Inside the batch the index lags: the look-alike check reads the issues in `pending` straight from
/// `issues` (see `Store.lookalikes`).
struct SearchRows: Sendable {
    /// Issues created in the batch: their rows are inserted.
    private(set) var added: [Int64] = []
    /// Issues whose title, body or comments changed, or that were purged: their rows are removed and, if
    /// the issue is still there, written again.
    private(set) var changed: Set<Int64> = []

    /// A new issue, which has no search row yet.
    mutating func add(_ issueId: Int64) { added.append(issueId) }

    /// An issue whose search row no longer matches it (or which is gone).
    mutating func change(_ issueId: Int64) { changed.insert(issueId) }

    var isEmpty: Bool { added.isEmpty && changed.isEmpty }

    /// Every issue whose search row is not yet written, ascending.
    var pending: [Int64] { Set(added).union(changed).sorted() }

    /// Writes the rows: removes each changed issue's row, then indexes every pending issue that still exists,
    /// telling `terms` the terms of each text first.
    func write(_ db: Database, terms: IndexedTerms? = nil) throws {
        if isEmpty { return }
        let delete = try db.cachedStatement(sql: "DELETE FROM issue_fts WHERE rowid = ?")
        for id in changed.sorted() { try delete.execute(arguments: [id]) }
        let read = try db.cachedStatement(
            sql: """
                SELECT i.title, i.body, COALESCE((SELECT group_concat(body, char(10)) FROM comments WHERE issue_id = i.id), '')
                FROM issues i WHERE i.id = ?
                """)
        let insert = try db.cachedStatement(sql: "INSERT INTO issue_fts(rowid, title, body, comments) VALUES (?, ?, ?, ?)")
        for id in pending {
            guard let row = try Row.fetchOne(read, arguments: [id]) else { continue }
            let texts: [String] = [row[0], row[1], row[2]]
            try terms?.insert(texts, db)
            try insert.execute(arguments: [id, texts[0], texts[1], texts[2]])
        }
        // A bounded merge (at most `mergePages` pages of work): the look-alike check looks its words up in
        // every segment, and a batch adds one. With `usermerge = 2` (migration v5) this keeps about half
        // the segments FTS5's automatic merging leaves, for a little more writing per batch.
        try db.cachedStatement(sql: "INSERT INTO issue_fts(issue_fts, rank) VALUES('merge', \(Self.mergePages))").execute()
    }

    /// The pages of merge work after each batch's rows.
    static let mergePages = 16
}
