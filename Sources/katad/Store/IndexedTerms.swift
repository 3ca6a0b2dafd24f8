import GRDB
import Synchronization

/// The terms the search index holds, as a Bloom filter, so that the look-alike check can tell a word that
/// no issue holds without asking FTS5.
///
/// Most creates carry a word no issue holds (an issue number, an error code, a version), and
/// `Similarity.prefilter` leaves such words out of its search. Telling that a word is absent took a
/// `MATCH … LIMIT 1`, which probes every segment of the index: 9 % of the writer's samples under the
/// create load of `bench/run`, whose titles end in a new serial number each.
///
/// The filter has no false negatives: a word it does not hold is in no row of `issue_fts`. It is built in
/// the writer, from `issue_fts_vocab`, the first time the check needs it (so a daemon that never creates
/// does not pay for it), and every row the writer indexes afterwards adds its terms before its transaction
/// commits (`SearchRows.write`, which reads each row's text once, to tell the filter and to index it).
/// A word it holds may be absent all the same (the rows that held it were removed, or a false positive:
/// about 1 % at 200,000 terms); the index is asked then, as before. A rolled-back batch leaves its terms
/// in the filter, which only makes it hold more.
///
/// Terms are what FTS5's tokenizer (`unicode61 remove_diacritics 2`) makes of a text: for an all-ASCII
/// text the lowercased runs of letters and digits (`Similarity.forEachASCIIWord`); any other text goes
/// through the tokenizer itself, which may fold a word to ASCII (`café` to `cafe`).
///
/// Only the writer uses it; the mutex makes it `Sendable`. 1 MiB once built (`bitCount` bits).
final class IndexedTerms: Sendable {
    static let bitCount = 1 << 23
    static let hashCount = 3
    /// nil until built.
    private let state = Mutex<BloomBits?>(nil)

    /// Whether some row of the index may hold `term` (a lowercased ASCII word): false means none does.
    /// Builds the filter first if it is not built, in `db`'s transaction (the writer's).
    func mayHold(_ term: String, _ db: Database) throws -> Bool {
        let h = Self.hashes(term)
        func held(_ bits: BloomBits?) -> Bool? { bits?.contains(h) }
        if let answer = state.withLock({ held($0) }) { return answer }
        try build(db)
        return state.withLock { held($0) } ?? true
    }

    /// Adds the terms of `texts`, about to be indexed in `db`'s transaction. Nothing to do before the
    /// filter is built: the build reads them from the index.
    func insert(_ texts: [String], _ db: Database) throws {
        guard isBuilt else { return }
        var terms: [String] = []
        var tokenizer: (any FTS5Tokenizer)?
        for text in texts where !text.isEmpty {
            let ascii = Similarity.forEachASCIIWord(text) { terms.append($0); return true }
            if ascii == nil {
                if tokenizer == nil { tokenizer = try db.makeTokenizer(Self.tokenizer) }
                terms += try tokenizer!.tokenize(document: text).map(\.token)
            }
        }
        add(terms)
    }

    /// Forgets the filter; the next `mayHold` builds it again (after an import, which indexes in bulk).
    func reset() {
        state.withLock { $0 = nil }
    }

    var isBuilt: Bool { state.withLock { $0 != nil } }

    /// Reads every term of the index into a new filter.
    func build(_ db: Database) throws {
        var bits = BloomBits(bitCount: Self.bitCount, hashCount: Self.hashCount)
        let terms = try String.fetchCursor(db.cachedStatement(sql: "SELECT term FROM issue_fts_vocab"))
        while let term = try terms.next() { bits.set(Self.hashes(term)) }
        state.withLock { $0 = bits }
    }

    private func add(_ terms: [String]) {
        if terms.isEmpty { return }
        let hashes = terms.map(Self.hashes)
        state.withLock { bits in
            guard bits != nil else { return }
            for h in hashes { bits!.set(h) }
        }
    }

    /// The tokenizer of `issue_fts` (migration v1).
    static let tokenizer = FTS5TokenizerDescriptor(components: ["unicode61", "remove_diacritics", "2"])

    /// The term's two hashes (see `BloomBits.hashes`).
    static func hashes(_ term: String) -> (UInt64, UInt64) { BloomBits.hashes(term.utf8) }
}
