import GRDB
import Shared
import Testing

@testable import katad

/// The filter of short issues' word pairs that lets the look-alike check skip its search.
@Suite("Word pairs")
struct WordPairsTests {
    private func rulesOut(_ f: Fixture, _ text: String) async throws -> Bool {
        let pairs = f.store.wordPairs
        return try await f.store.writer.write { db in try pairs.rulesOut(Similarity.words(text), db) }
    }

    /// Five words: a look-alike shares four of them, so all six pairs of those four must be held. The
    /// build reads the issues written before it.
    @Test func aNewIssueIsRuledOutUnlessEnoughOfItsPairsAreHeld() async throws {
        let f = try await Fixture.make()
        let original = try await f.create("login crash on safari")
        #expect(!f.store.wordPairs.isBuilt, "built at the first check, not before")
        #expect(try await rulesOut(f, "login crash on firefox 4711"), "3 of the 6 pairs needed are held")
        #expect(f.store.wordPairs.isBuilt)
        #expect(try await !rulesOut(f, "login crash on safari 4711"), "the 6 pairs of a look-alike are held")
        #expect(try await !rulesOut(f, "login"), "one word: no pair to tell by")
        await f.expectRefusedAsLookalike("login crash on safari 4711", as: original)
        let other = try await f.create("login crash on firefox 4711", forceNew: false)
        #expect(other.number == original.number + 1, "not a look-alike: created")
    }

    /// After the build, a create adds its pairs, and an edit the pairs of its new title: look-alikes of
    /// both are refused. A comment adds none: comments are not compared.
    @Test func createsAndEditsAfterTheBuildAddTheirPairs() async throws {
        let f = try await Fixture.make()
        try await f.create("unrelated first issue", forceNew: false)
        #expect(f.store.wordPairs.isBuilt)
        let created = try await f.create("deploy fails on staging cluster", forceNew: false)
        await f.expectRefusedAsLookalike("deploy fails on staging cluster again", as: created)
        let edited = try await f.create("placeholder title")
        _ = try await f.edit("\(edited.number)") { $0.title = "export stalls at ninety percent" }
        await f.expectRefusedAsLookalike("export stalls at ninety percent today", as: edited)
        _ = try await f.store.comment(projectId: f.pid, ref: "\(edited.number)", body: "seen on arm64 boards only", actor: "bob")
        #expect(try await rulesOut(f, "seen on arm64 boards only"))
    }

    /// Words outside ASCII are read as the comparison reads them (lowercased, by Character).
    @Test func accentedWordsArePaired() async throws {
        let f = try await Fixture.make()
        try await f.create("unrelated first issue", forceNew: false)
        let original = try await f.create("Crème brûlée recette café", forceNew: false)
        #expect(try await !rulesOut(f, "crème brûlée recette café maison"))
        await f.expectRefusedAsLookalike("crème brûlée recette café maison", as: original)
    }

    /// An issue with more than `maxWords` words is not held; a new issue whose look-alikes may be that
    /// long is never ruled out, and the search finds them.
    @Test func longIssuesAreLeftToTheSearch() async throws {
        let f = try await Fixture.make()
        let words = (1...20).map { "word\($0)" }
        let long = try await f.create(words[0..<5].joined(separator: " "), body: words[5...].joined(separator: " "), forceNew: false)
        #expect(try await rulesOut(f, "word1 word2 word3 word4 zzz"), "five words: a look-alike has at most six, the long one is not one")
        let nineteen = words[0..<19].joined(separator: " ")
        #expect(try await !rulesOut(f, nineteen + " extra"), "20 words: a look-alike may have 25, more than the filter holds")
        await f.expectRefusedAsLookalike(words[0..<5].joined(separator: " "), body: words[5..<19].joined(separator: " ") + " extra", as: long)
    }

    /// `reset` (after an import) forgets the filter; the next check reads `issues` again.
    @Test func resetRebuildsFromTheIssues() async throws {
        let f = try await Fixture.make()
        let issue = try await f.create("alpha beta gamma delta")
        #expect(try await rulesOut(f, "kilo lima mike november oscar"))
        // Written behind the filter's back, as an import does.
        try await f.store.writer.write { db in
            try db.execute(sql: "UPDATE issues SET title = 'kilo lima mike november' WHERE id = ?", arguments: [issue.id])
        }
        #expect(try await rulesOut(f, "kilo lima mike november oscar"), "the filter does not see it yet")
        f.store.wordPairs.reset()
        #expect(!f.store.wordPairs.isBuilt)
        #expect(try await !rulesOut(f, "kilo lima mike november oscar"))
    }

    /// The limits of `rulesOut`: the number of words a look-alike must share, and how long it may be.
    @Test func theBoundsFollowFromJaccard() {
        // n words: a look-alike shares n − ⌊n/5⌋ and has at most n + ⌊n/4⌋.
        for n in 1...40 {
            let shared = n - n / 5
            let longest = n + n / 4
            // The least shared count and the longest look-alike that still reach 0.8.
            #expect(Double(shared) / Double(n) >= 0.8 && Double(shared - 1) / Double(n) < 0.8, "n = \(n)")
            #expect(Double(n) / Double(longest) >= 0.8 && Double(n) / Double(longest + 1) < 0.8, "n = \(n)")
        }
    }
}
