import GRDB
import Synchronization

/// The pairs of words that short issues hold, as a Bloom filter, so that the look-alike check of a short
/// new issue can tell that no issue is close enough without searching the index.
///
/// A look-alike B of a new issue A (n words, Jaccard ≥ 0.8, see `Similarity`) shares at least
/// s = n − ⌊n/5⌋ of A's words, so it holds every one of the s·(s−1)/2 pairs among them, and it has at
/// most n + ⌊n/4⌋ words itself. The filter holds every pair of words of every issue with at most
/// `maxWords` words (title and body, as `Similarity.words` reads them; any project, any status). When
/// n + ⌊n/4⌋ ≤ `maxWords`, every possible look-alike is in the filter's reach, and if fewer than
/// s·(s−1)/2 of A's pairs are in the filter, no issue can be one: the search (`Similarity.prefilter`
/// and the index query, a third of the writer's time under the create load of `bench/run`) is skipped.
/// Otherwise the check searches as before; the answer is the same either way, only its cost differs.
///
/// Titles of a few words seldom share all their pairs with an earlier issue unless they are near
/// copies, so most short creates end here. Issues with more words (a body of a few sentences) are not
/// held: their pairs would fill the filter, and their look-alikes are found by the search.
///
/// The filter has no false negatives. It is built in the writer from `issues` the first time a check
/// needs it (once per start: about 0.3 s at 130,000 issues, in the first create's answer); after that, a create adds its issue's pairs, and an edit of a title or body the new ones, in
/// the same write (`Store.createIssue`, `Store.editIssue`). So the issues of the running batch, which are
/// not in the search index yet (see `SearchRows`), are held too, and a ruled-out check reads nothing.
/// Pairs of issues since deleted, closed, edited or rolled back stay: they only make the filter hold
/// more, and the search runs. An import resets it.
///
/// Only the writer uses it; the mutex makes it `Sendable`. 4 MiB once built (`bitCount` bits). 100,000
/// issues of five words set about 9 % of its bits; longer issues (up to 120 pairs each) fill it faster,
/// which only lets fewer checks end here.
final class WordPairs: Sendable {
    /// Issues with more words than this are not held (120 pairs at most per issue).
    static let maxWords = 16
    static let bitCount = 1 << 25
    static let hashCount = 3
    private let state = Mutex<BloomBits?>(nil)

    /// Whether no issue held by the filter, and so no issue at all, can be a look-alike of an issue with
    /// these words; false when the filter cannot tell (too few or too many words, or the pairs are held).
    /// Builds the filter first if it is not built, in `db`'s transaction (the writer's).
    func rulesOut(_ words: Set<String>, _ db: Database) throws -> Bool {
        let n = words.count
        let shared = n - n / 5
        guard shared >= 2, n + n / 4 <= Self.maxWords else { return false }
        let needed = shared * (shared - 1) / 2
        let hashes = words.map { BloomBits.hashes($0.utf8).0 }
        if !isBuilt { try build(db) }
        return state.withLock { bits -> Bool in
            guard let bits else { return false }
            var held = 0
            var left = n * (n - 1) / 2
            for i in hashes.indices {
                for j in hashes.indices where j > i {
                    if bits.contains(Self.pair(hashes[i], hashes[j])) {
                        held += 1
                        if held >= needed { return false }
                    }
                    left -= 1
                    if held + left < needed { return true }
                }
            }
            return held < needed
        }
    }

    /// Adds the pairs of an issue's words, just written in the writer's transaction. Nothing to do before
    /// the filter is built: the build reads them from `issues`.
    func insert(title: String, body: String) {
        guard isBuilt, let hashes = Self.wordHashes(title, body) else { return }
        state.withLock { bits in
            guard bits != nil else { return }
            Self.addPairs(hashes, to: &bits!)
        }
    }

    /// Forgets the filter; the next check builds it again (after an import).
    func reset() {
        state.withLock { $0 = nil }
    }

    var isBuilt: Bool { state.withLock { $0 != nil } }

    /// Reads the title and body of every issue into a new filter.
    func build(_ db: Database) throws {
        var bits = BloomBits(bitCount: Self.bitCount, hashCount: Self.hashCount)
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT title, body FROM issues"))
        while let row = try rows.next() {
            if let hashes = Self.wordHashes(row[0], row[1]) { Self.addPairs(hashes, to: &bits) }
        }
        state.withLock { $0 = bits }
    }

    /// The hashes of the words of a title and body, as the look-alike check reads them; nil for more
    /// than `maxWords` words.
    /// An all-ASCII text is read only until it passes that many.
    static func wordHashes(_ title: String, _ body: String) -> [UInt64]? {
        var words = Set<String>()
        for text in [title, body] where !text.isEmpty {
            switch Similarity.forEachASCIIWord(text, { words.insert($0); return words.count <= maxWords }) {
            case false?: return nil
            case true?: continue
            case nil: words.formUnion(Similarity.unicodeWords(text))
            }
        }
        guard words.count <= maxWords else { return nil }
        return words.map { BloomBits.hashes($0.utf8).0 }
    }

    private static func addPairs(_ hashes: [UInt64], to bits: inout BloomBits) {
        for i in hashes.indices {
            for j in hashes.indices where j > i { bits.set(pair(hashes[i], hashes[j])) }
        }
    }

    /// The filter key of an unordered pair of word hashes.
    static func pair(_ a: UInt64, _ b: UInt64) -> (UInt64, UInt64) {
        let (lo, hi) = a < b ? (a, b) : (b, a)
        let h = BloomBits.mix(lo ^ BloomBits.mix(hi))
        return (h, BloomBits.mix(h) | 1)
    }
}
