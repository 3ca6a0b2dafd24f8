import GRDB
import Shared

// MARK: - The look-alike check of a new issue

extension Store {
    /// Open issues of a project whose title and body closely match (word-set similarity ≥ 0.8): those the
    /// search index finds, and those of `unindexed` (the batch's issues whose search rows are not written
    /// yet, see `SearchRows`), read straight from `issues`. Runs in the write, so that two look-alikes
    /// submitted at once cannot both pass.
    static func lookalikes(
        _ db: Database, projectId: Int64, title: String, body: String, unindexed: [Int64] = [], counts: TermCounts? = nil
    ) throws -> [Lookalike] {
        let words = Similarity.words(title + " " + body)
        let titleWords = Similarity.words(title)
        guard !titleWords.isEmpty else { return [] }
        let match = try Similarity.prefilter(db, words: words, titleWords: titleWords, counts: counts)
            .map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: " OR ")
        var candidates = try searchCandidates(db, projectId: projectId, match: match)
        if !unindexed.isEmpty {
            let found = Set(candidates.map(\.id))
            let one = try db.cachedStatement(
                sql: "SELECT id, number, uid, title, body FROM issues WHERE id = ? AND project_id = ? AND status = 'open' AND deleted_at IS NULL")
            for id in unindexed where !found.contains(id) {
                if let issue = try Lookalike.fetchOne(one, arguments: [id, projectId]) { candidates.append(issue) }
            }
        }
        return candidates.filter { $0.isAlike(words) }
    }

    /// The open issues of the project the search index finds by `match`, best first (at most 20).
    static func searchCandidates(_ db: Database, projectId: Int64, match: String) throws -> [Lookalike] {
        try Lookalike.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT i.id, i.number, i.uid, i.title, i.body FROM issue_fts JOIN issues i ON i.id = issue_fts.rowid
                    WHERE issue_fts MATCH ? AND i.project_id = ? AND i.status = 'open' AND i.deleted_at IS NULL
                    ORDER BY bm25(issue_fts, 4.0, 1.0, 0.0) LIMIT 20
                    """),
            arguments: ["{title body} : (\(match))", projectId])
    }
}

/// An issue the look-alike check compares a new one with.
struct Lookalike: FetchableRecord {
    var id: Int64
    var number: Int64
    var uid: String
    var title: String
    var body: String

    /// From `SELECT id, number, uid, title, body`.
    init(row: Row) {
        id = row[0]
        number = row[1]
        uid = row[2]
        title = row[3]
        body = row[4]
    }

    /// Whether its words are within Jaccard 0.8 of `words`.
    func isAlike(_ words: Set<String>) -> Bool {
        Similarity.jaccard(words, Similarity.words(title + " " + body)) >= 0.8
    }
}

/// Word-set similarity used by the look-alike check.
enum Similarity {
    /// The lowercased runs of letters and digits of `text`.
    static func words(_ text: String) -> Set<String> {
        asciiWords(text) ?? unicodeWords(text)
    }

    /// `unicodeWords` of an all-ASCII text, read byte by byte (Character's Unicode properties cost more than
    /// the rest of the look-alike check): nil if the text has a byte outside ASCII.
    static func asciiWords(_ text: String) -> Set<String>? {
        var words = Set<String>()
        var word: [UInt8] = []
        word.reserveCapacity(32)
        for byte in text.utf8 {
            switch byte {
            case 0x80...: return nil
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): word.append(byte | 0x20)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): word.append(byte)
            default:
                if !word.isEmpty {
                    words.insert(String(decoding: word, as: UTF8.self))
                    word.removeAll(keepingCapacity: true)
                }
            }
        }
        if !word.isEmpty { words.insert(String(decoding: word, as: UTF8.self)) }
        return words
    }

    /// The words of any text: split at every Character that is neither a letter nor a number.
    static func unicodeWords(_ text: String) -> Set<String> {
        Set(text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init))
    }

    /// The words to search candidates by. An issue within Jaccard 0.8 of `words` holds at least 80 % of
    /// them, so it holds one of any ⌊n/5⌋+1 of them: the rarest ones (by how many issues hold each, from
    /// `issue_fts_vocab`) find every such issue while matching few others. Common words matched
    /// thousands of issues per create at 100,000 issues. Very long texts fall back to the title's words.
    /// `counts` keeps recent counts between creates (see `TermCounts`); without it every count is read.
    static func prefilter(_ db: Database, words: Set<String>, titleWords: Set<String>, counts cache: TermCounts? = nil) throws -> [String] {
        guard words.count <= 300 else { return titleWords.sorted() }
        let all = words.sorted()
        let cache = cache ?? TermCounts()
        var counts: [String: Int] = [:]
        for word in all { counts[word] = try cache.count(word, db) }
        let need = all.count / 5 + 1
        return Array(all.sorted { (counts[$0] ?? 0, $0) < (counts[$1] ?? 0, $1) }.prefix(need))
    }

    static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }
}
