import GRDB
import Shared

// MARK: - The look-alike check of a new issue

extension Store {
    /// Open issues of a project whose title and body closely match (word-set similarity ≥ 0.8): those the
    /// search index finds, and those of `unindexed` (the batch's issues whose search rows are not written
    /// yet, see `SearchRows`), read straight from `issues`. Runs in the write, so that two look-alikes
    /// submitted at once cannot both pass. Nothing is searched or read when `pairs` rules out every issue
    /// (see `WordPairs`).
    static func lookalikes(
        _ db: Database, projectId: Int64, title: String, body: String, unindexed: [Int64] = [], counts: TermCounts? = nil,
        terms: IndexedTerms? = nil, pairs: WordPairs? = nil
    ) throws -> [Lookalike] {
        let words = Similarity.words(title + " " + body)
        let titleWords = Similarity.words(title)
        guard !titleWords.isEmpty else { return [] }
        if let pairs, try pairs.rulesOut(words, db) { return [] }
        let query = try Similarity.prefilter(db, words: words, titleWords: titleWords, counts: counts, terms: terms)
        var candidates = query.words.isEmpty ? [] : try searchCandidates(db, projectId: projectId, match: query.match)
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
        Similarity.isAlike(words, title, body)
    }
}

/// The words the look-alike check searches the index by: issues holding at least `atLeast` of `words`.
struct CandidateQuery: Equatable {
    var words: [String]
    /// 1 or 2.
    var atLeast: Int

    /// The FTS5 expression: the words joined by OR, or every pair of them joined by OR.
    var match: String {
        let quoted = words.map(Similarity.phrase)
        guard atLeast == 2 else { return quoted.joined(separator: " OR ") }
        var pairs: [String] = []
        for i in quoted.indices {
            for j in quoted.indices where j > i { pairs.append("(\(quoted[i]) AND \(quoted[j]))") }
        }
        return pairs.joined(separator: " OR ")
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
        let read = forEachASCIIWord(text) { words.insert($0); return true }
        return read == nil ? nil : words
    }

    /// Calls `body` with each lowercased run of ASCII letters and digits of `text`, in order, until it
    /// returns false: nil if the text has a byte outside ASCII (from there on nothing is called), else
    /// whether every word was read.
    static func forEachASCIIWord(_ text: String, _ body: (String) -> Bool) -> Bool? {
        var word: [UInt8] = []
        word.reserveCapacity(32)
        for byte in text.utf8 {
            switch byte {
            case 0x80...: return nil
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): word.append(byte | 0x20)
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): word.append(byte)
            default:
                if !word.isEmpty {
                    if !body(String(decoding: word, as: UTF8.self)) { return false }
                    word.removeAll(keepingCapacity: true)
                }
            }
        }
        if !word.isEmpty { return body(String(decoding: word, as: UTF8.self)) }
        return true
    }

    /// The words of any text: split at every Character that is neither a letter nor a number.
    static func unicodeWords(_ text: String) -> Set<String> {
        Set(text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init))
    }

    /// What to search the index for; nothing when no indexed issue can be a look-alike. An issue within
    /// Jaccard 0.8 of the n `words` holds at least 80 % of them: it misses at most m = ⌊n/5⌋.
    ///
    /// A word no indexed issue holds (a count of 0, read in this transaction) is missed by every candidate:
    /// with z such words, a look-alike misses at most d = m−z of the others, and when z > m the index
    /// cannot hold a look-alike at all. Only words of ASCII letters and digits count as absent: FTS5 folds
    /// others (`remove_diacritics`), so the index may hold them under another form. The issues of the
    /// running batch are not in the index yet; `Store.lookalikes` reads those itself.
    ///
    /// Of the other words, the rarest (by how many issues hold each, from `issue_fts_vocab`) are searched:
    /// - d+2 of them, of which a look-alike holds at least 2, as pairs (`(a AND b) OR (a AND c) OR …`),
    ///   when d ≤ 2. A pair of words matches few issues however large the project, where one word matched
    ///   a share of it: at 100,000 issues, one word of a 2,000-word vocabulary took 780 µs to rank and the
    ///   pair that replaced it 59 µs.
    /// - else d+1 of them, of which a look-alike holds at least one, as `a OR b OR …`.
    ///
    /// Very long texts fall back to any of the title's words. `counts` keeps recent counts between creates
    /// (see `TermCounts`); without it every count is read. `terms` tells most absent words without asking
    /// the index (see `IndexedTerms`).
    static func prefilter(
        _ db: Database, words: Set<String>, titleWords: Set<String>, counts cache: TermCounts? = nil,
        terms: IndexedTerms? = nil
    ) throws -> CandidateQuery {
        guard words.count <= 300 else { return CandidateQuery(words: titleWords.sorted(), atLeast: 1) }
        let cache = cache ?? TermCounts()
        var absent = 0
        var present: [(count: Int, word: String)] = []
        for word in words {
            let ascii = isASCIIWord(word)
            if ascii, let terms, try !terms.mayHold(word, db) {
                absent += 1
                continue
            }
            let count = try cache.count(word, db)
            if count == 0 && ascii { absent += 1 } else { present.append((count, word)) }
        }
        let misses = words.count / 5
        guard absent <= misses else { return CandidateQuery(words: [], atLeast: 1) }
        let rarest = present.sorted { ($0.count, $0.word) < ($1.count, $1.word) }.map(\.word)
        let d = misses - absent
        if d <= 2 && rarest.count >= d + 2 { return CandidateQuery(words: Array(rarest.prefix(d + 2)), atLeast: 2) }
        return CandidateQuery(words: Array(rarest.prefix(d + 1)), atLeast: 1)
    }

    /// `word` as an FTS5 phrase: in double quotes (doubled inside), so that no word reads as an operator.
    static func phrase(_ word: String) -> String {
        "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Whether `word` is ASCII letters and digits only, which FTS5 indexes as it is (lowercased).
    static func isASCIIWord(_ word: String) -> Bool {
        word.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || (0x41...0x5A).contains($0) }
    }

    /// Whether the words of `texts` together are within Jaccard 0.8 of `a`: `jaccard(a, words(texts…)) >= 0.8`,
    /// without building the whole set when the answer is no. Such a set holds at most |A|/4 words that are
    /// not in A (from |A∩B| ≥ 0.8·|A∪B| and |A∪B| = |A| + |B∖A|), so reading stops at the first word
    /// beyond that, which for most candidates comes within their first few words.
    static func isAlike(_ a: Set<String>, _ texts: String...) -> Bool {
        var overlap = Overlap(target: a)
        for text in texts {
            guard let complete = overlap.addASCIIWords(text) else {
                // Not all ASCII: read the words by Characters, as `words` does.
                return jaccard(a, texts.reduce(into: Set<String>()) { $0.formUnion(unicodeWords($1)) }) >= 0.8
            }
            if !complete { return false }
        }
        return overlap.jaccard >= 0.8
    }

    /// The words of a candidate compared with a target set, as far as they have been read.
    struct Overlap {
        let target: Set<String>
        /// The most words outside `target` a set within Jaccard 0.8 of it can hold.
        let maxExtra: Int
        var shared = Set<String>()
        var extra = Set<String>()

        init(target: Set<String>) {
            self.target = target
            maxExtra = target.count / 4
        }

        /// Adds one word; false once the words read so far rule out Jaccard 0.8.
        mutating func add(_ word: String) -> Bool {
            if target.contains(word) {
                shared.insert(word)
                return true
            }
            extra.insert(word)
            return extra.count <= maxExtra
        }

        /// Adds the words of an all-ASCII `text` (as `asciiWords` splits it): nil if `text` has a byte
        /// outside ASCII, false if a word ruled out Jaccard 0.8 (the rest is not read).
        mutating func addASCIIWords(_ text: String) -> Bool? {
            Similarity.forEachASCIIWord(text) { add($0) }
        }

        /// |A∩B| / |A∪B| of the words read.
        var jaccard: Double {
            let union = target.count + extra.count
            return union == 0 ? 1 : Double(shared.count) / Double(union)
        }
    }

    static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }
}
