import GRDB
import Synchronization

/// How many issues hold each word, as the look-alike check last read it from `issue_fts_vocab`, kept for
/// a few seconds.
///
/// The check searches by the rarest words of a new issue (see `Similarity.prefilter`). Reading one word's
/// count from `issue_fts_vocab` prepares FTS5's own statements and walks the word's whole list of issues:
/// for common words, at 10,000 issues, that was a quarter of a create's time in the writer. The counts
/// only choose which words to search by, and any choice of ⌊n/5⌋+1 words finds every look-alike, so a
/// count a few seconds old costs at most a less selective search, never a missed look-alike.
///
/// A zero is never kept: "no issue holds this word" lets the check leave words out of the search, or skip
/// it (see `Similarity.prefilter`), so it must be as fresh as the transaction that reads it.
final class TermCounts: Sendable {
    struct Entry {
        var count: Int
        var readAt: ContinuousClock.Instant
    }

    /// How long a count is used before it is read again.
    let maxAge: Duration
    /// The most words kept; when full, the cache starts over.
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(maxAge: Duration = .seconds(5), capacity: Int = 20_000) {
        self.maxAge = maxAge
        self.capacity = capacity
    }

    /// The number of issues holding `word` (0 for none), from the cache or else from `issue_fts_vocab`.
    /// A 0 is always read in `db`'s transaction.
    func count(_ word: String, _ db: Database, now: ContinuousClock.Instant = .now) throws -> Int {
        if let hit = entries.withLock({ $0[word] }), now - hit.readAt < maxAge { return hit.count }
        // Many words of a create are held by no issue (an issue number, an error code), and their 0 is not
        // kept. A MATCH tells that with cached statements; `issue_fts_vocab` prepares a statement of its
        // own at every lookup, which was 44 % of the lookup's samples.
        let held = try db.cachedStatement(sql: "SELECT 1 FROM issue_fts WHERE issue_fts MATCH ? LIMIT 1")
        guard try Int.fetchOne(held, arguments: [Similarity.phrase(word)]) != nil
        else { return 0 }
        let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT doc FROM issue_fts_vocab WHERE term = ?"), arguments: [word]) ?? 0
        if count == 0 { return 0 }
        entries.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[word] = Entry(count: count, readAt: now)
        }
        return count
    }

    /// How many words are cached (tests).
    var cachedCount: Int { entries.withLock { $0.count } }
}
