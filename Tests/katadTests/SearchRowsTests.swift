import Dispatch
import Foundation
import Shared
import Testing

@testable import katad

/// Holds the store's writer with one write until `open()`, so that the writes submitted meanwhile run
/// together in the next batch, in the order they were submitted.
private struct HeldWriter {
    let store: Store
    let gate = DispatchSemaphore(value: 0)
    let holding: Task<Void, any Error>

    init(_ store: Store) async {
        self.store = store
        let started = Locked(false)
        let gate = gate
        holding = Task {
            try await store.writeWithEvents { _, _ in
                started.withLock { $0 = true }
                gate.wait()
            }
        }
        #expect(await eventually { started.withLock { $0 } }, "the holding write should be running")
    }

    /// Submits a write and returns once it waits for the next batch behind the ones submitted before.
    func submit<T: Sendable>(_ write: @escaping @Sendable () async throws -> T) async -> Task<T, any Error> {
        let before = store.committer.pendingCount
        let task = Task { try await write() }
        #expect(await eventually { store.committer.pendingCount == before + 1 })
        return task
    }

    func open() async throws {
        gate.signal()
        try await holding.value
    }
}

/// A store on disk (a pool: its readers do not wait for the writer, as in katad), with one project.
private func diskFixture() async throws -> Fixture {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kata-search-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let log = CommitLog()
    let store = try Store.open(path: dir.appendingPathComponent("kata.db").path, onCommit: { events, purge in log.record(events, purge) })
    return Fixture(store: store, log: log, project: try await store.addProject("alpha"))
}

private func searchNumbers(_ f: Fixture, _ query: String) async throws -> [Int64] {
    try await f.store.search(projectIds: [f.pid], query: query, limit: 20).map(\.issue.number).sorted()
}

@Suite("Search rows written once per batch")
struct SearchRowsTests {
    /// The second of two identical creates in one batch is refused, though the first one's search row is
    /// not written until the batch ends.
    @Test func aLookAlikeCreatedEarlierInTheSameBatchIsFound() async throws {
        let f = try await diskFixture()
        let held = await HeldWriter(f.store)
        let first = await held.submit { try await f.create("Login page crashes on Safari", forceNew: false) }
        let second = await held.submit { try await f.create("Login page crashes on Safari", forceNew: false) }
        try await held.open()
        let created = try await first.value
        do {
            _ = try await second.value
            Issue.record("the second identical create of the batch was accepted")
        } catch let e as KataError {
            #expect(e.envelope.error.code == "duplicate_candidates", "\(e.envelope.error.message)")
            #expect(e.envelope.error.message.contains("#\(created.number)"), "\(e.envelope.error.message)")
        }
        #expect(try await searchNumbers(f, "safari") == [created.number])
    }

    /// An issue edited earlier in the batch is compared by its new title, not by its old search row.
    @Test func anIssueEditedEarlierInTheSameBatchIsComparedByItsNewText() async throws {
        let f = try await diskFixture()
        let old = try await f.create("Typo in the readme")
        let held = await HeldWriter(f.store)
        let edit = await held.submit { try await f.edit("\(old.number)") { $0.title = "Render cache goes stale after deploy" } }
        let create = await held.submit { try await f.create("Render cache goes stale after deploy", forceNew: false) }
        try await held.open()
        _ = try await edit.value
        await #expect(throws: KataError.self) { try await create.value }
    }

    /// Creates, an edit, a comment and a purge in one batch: after the commit, search finds each issue by
    /// its new text only, and not the purged one.
    @Test func searchMatchesEveryWriteOfABatchAfterItsCommit() async throws {
        let f = try await diskFixture()
        let edited = try await f.create("Walrus migration plan")
        let commented = try await f.create("Quarterly report")
        let purged = try await f.create("Narwhal cleanup")
        let held = await HeldWriter(f.store)
        let new = await held.submit { try await f.create("Zebra crossing detector") }
        let edit = await held.submit { try await f.edit("\(edited.number)") { $0.title = "Giraffe migration plan" } }
        let comment = await held.submit {
            try await f.store.comment(projectId: f.pid, ref: "\(commented.number)", body: "the okapi numbers are late", actor: "bob")
        }
        let purge = await held.submit {
            try await f.store.purge(projectId: f.pid, ref: "\(purged.number)", confirm: "PURGE #\(purged.number)", reason: nil, actor: "admin")
        }
        let refused = await held.submit {
            try await f.store.comment(projectId: f.pid, ref: "999", body: "aardvark", actor: "bob")
        }
        try await held.open()
        let created = try await new.value
        _ = try await edit.value
        _ = try await comment.value
        _ = try await purge.value
        await #expect(throws: KataError.self) { try await refused.value }

        #expect(try await searchNumbers(f, "zebra") == [created.number])
        #expect(try await searchNumbers(f, "giraffe") == [edited.number])
        #expect(try await searchNumbers(f, "walrus") == [], "the old title left the index")
        #expect(try await searchNumbers(f, "okapi") == [commented.number])
        #expect(try await searchNumbers(f, "narwhal") == [], "the purged issue left the index")
        #expect(try await searchNumbers(f, "aardvark") == [])
        #expect(try await searchNumbers(f, "migration") == [edited.number], "one row per issue")
    }

    /// Every batch adds an FTS5 segment; the bounded merge after each batch keeps their number low, which
    /// is what a word lookup of the look-alike check pays for. 300 creates, one batch each: FTS5's own
    /// merging alone left 15 segments here; with the merge there were 2.
    @Test func theMergeAfterEachBatchKeepsFewSegments() async throws {
        let f = try await diskFixture()
        for i in 0..<300 { try await f.create("segment test \(i)") }
        let segments = try await f.store.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(DISTINCT segid) FROM issue_fts_idx") ?? 0
        }
        #expect(segments <= 6, "\(segments) segments after 300 batches")
        #expect(try await searchNumbers(f, "segment").count == 20, "the merged index still answers")
    }

    @Test func pendingListsAddedAndChangedIssuesOnce() {
        var rows = SearchRows()
        #expect(rows.isEmpty)
        rows.add(7)
        rows.change(3)
        rows.change(7)
        rows.change(3)
        #expect(rows.pending == [3, 7])
        #expect(!rows.isEmpty)
    }
}

@Suite("Look-alike words")
struct SimilarityWordsTests {
    /// The byte-wise reading of ASCII text gives exactly the Character-wise words.
    @Test func asciiWordsMatchTheUnicodeReading() {
        let texts = [
            "Fix the LOGIN crash", "  leading and trailing  ", "snake_case and kebab-case", "v1.2.3 (beta) #42",
            "line one\r\nline two\ttab", "", "!!!", "MiXeD123case 456", "a", "e-mail: root@example.org; x=y/z",
        ]
        for text in texts {
            #expect(Similarity.asciiWords(text) == Similarity.unicodeWords(text), "\(text.debugDescription)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0..<40, using: &generator)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 0...127, using: &generator)))
            })
            #expect(Similarity.asciiWords(text) == Similarity.unicodeWords(text), "\(text.debugDescription)")
        }
    }

    @Test func textBeyondASCIIIsReadByCharacters() {
        #expect(Similarity.asciiWords("Café crème") == nil)
        #expect(Similarity.words("Café CRÈME, déjà-vu") == ["café", "crème", "déjà", "vu"])
        #expect(Similarity.words("Straße 12") == ["straße", "12"])
    }
}

@Suite("Word counts of the look-alike check")
struct TermCountsTests {
    /// A count is read once and reused until it is `maxAge` old; the cache starts over when full.
    @Test func countsAreReusedUntilTheyAreOld() async throws {
        let f = try await Fixture.make()
        try await f.create("zebra crossing")
        let counts = TermCounts(maxAge: .seconds(5), capacity: 3)
        let t0 = ContinuousClock.now
        let first = try await f.store.writer.read { db in try counts.count("zebra", db, now: t0) }
        #expect(first == 1)
        try await f.create("zebra stripes")
        let later = try await f.store.writer.read { db in
            [try counts.count("zebra", db, now: t0 + .seconds(4)), try counts.count("zebra", db, now: t0 + .seconds(5))]
        }
        #expect(later == [1, 2], "the count read at t0 is reused for 4 s, and read again at 5 s")
        try await f.store.writer.read { db in
            _ = try counts.count("crossing", db, now: t0)
            _ = try counts.count("stripes", db, now: t0)
        }
        #expect(counts.cachedCount == 3)
        _ = try await f.store.writer.read { db in try counts.count("crossing", db, now: t0 + .seconds(9)) }
        #expect(counts.cachedCount == 1, "full at 3 words: started over with the new one")
    }

    /// "No issue holds this word" lets the check leave the word out, so a 0 is never reused: a word
    /// counted 0 and then written is counted again at once.
    @Test func aZeroIsNeverReused() async throws {
        let f = try await Fixture.make()
        let counts = TermCounts(maxAge: .seconds(5), capacity: 100)
        let t0 = ContinuousClock.now
        let before = try await f.store.writer.read { db in try counts.count("okapi", db, now: t0) }
        try await f.create("okapi sighted")
        let after = try await f.store.writer.read { db in try counts.count("okapi", db, now: t0 + .seconds(1)) }
        #expect(before == 0)
        #expect(after == 1, "the 0 read a second earlier was not reused")
        #expect(counts.cachedCount == 1, "only the 1 is kept")
    }

    /// With cached counts the store still refuses a look-alike created a moment after the original. (14
    /// words: too many for the word-pair filter to rule anything out, so the check searches.)
    @Test func theStoreRefusesALookAlikeWithCachedCounts() async throws {
        let f = try await Fixture.make()
        for i in 0..<5 { try await f.create("common words everywhere \(i)") }
        let title = "common words plus zebra " + (1...10).map { "filler\($0)" }.joined(separator: " ")
        _ = try await f.create(title, forceNew: false)
        #expect(f.store.termCounts.cachedCount > 0, "the check read its counts through the cache")
        await #expect(throws: KataError.self) { try await f.create(title, forceNew: false) }
    }
}
