import Foundation
import GRDB
import Shared
import Testing

@testable import katad

/// The look-alike check's shortcuts: words no indexed issue holds, and the early end of a comparison.
@Suite("Look-alike check")
struct LookalikeTests {
    private func prefilter(_ f: Fixture, _ text: String) async throws -> CandidateQuery {
        try await f.store.writer.read { db in
            try Similarity.prefilter(db, words: Similarity.words(text), titleWords: Similarity.words(text))
        }
    }

    /// Five words may miss one (⌊5/5⌋). With one word no issue holds, a look-alike holds every other
    /// word, so the two rarest of those are searched together, and the absent word not at all.
    @Test func aWordNoIssueHoldsIsNotSearchedBy() async throws {
        let f = try await Fixture.make()
        try await f.create("login crash on safari")
        try await f.create("login page slow")
        let query = try await prefilter(f, "login crash on safari 4711")
        #expect(query == CandidateQuery(words: ["crash", "on"], atLeast: 2), "the two rarest held words, ties by name: \(query)")
        #expect(query.match == #"("crash" AND "on")"#)
    }

    /// With more absent words than a look-alike may miss, the index cannot hold one: nothing is searched.
    @Test func tooManyAbsentWordsSkipTheSearch() async throws {
        let f = try await Fixture.make()
        try await f.create("login crash on safari")
        let query = try await prefilter(f, "login crash 4711 4712 safari")
        #expect(query.words.isEmpty, "two of five words are absent, one may be missed: \(query)")
    }

    /// When a look-alike may miss one of the searched words, it holds two of the three rarest: every
    /// pair of them is searched, and one missing from the rarest word is still found.
    @Test func aLookAlikeMissingTheRarestWordIsFoundThroughAPair() async throws {
        let f = try await Fixture.make()
        try await f.create("apple pie recipe")
        let alike = try await f.create("banana cherry durian elder")
        let query = try await prefilter(f, "apple banana cherry durian elder")
        #expect(query == CandidateQuery(words: ["apple", "banana", "cherry"], atLeast: 2), "\(query)")
        #expect(query.match == #"("apple" AND "banana") OR ("apple" AND "cherry") OR ("banana" AND "cherry")"#)
        await f.expectRefusedAsLookalike("apple banana cherry durian elder", as: alike, "Jaccard 4/5")
    }

    /// The check still finds a look-alike whose only difference is a word no other issue holds.
    @Test func aLookAlikeWithANewWordIsStillRefused() async throws {
        let f = try await Fixture.make()
        let first = try await f.create("fix login crash on safari")
        await f.expectRefusedAsLookalike("fix login crash on safari 4711", as: first, "Jaccard 5/6")
    }

    /// FTS5 indexes "crème" as "creme": a count of 0 for a word beyond ASCII proves nothing, so such
    /// words never count as absent and the same accented title is still refused.
    @Test func accentedWordsAreNeverTakenAsAbsent() async throws {
        let f = try await Fixture.make()
        try await f.create("Café crème brûlée résumé naïve")
        let counts = try await f.store.writer.read { db in try TermCounts().count("crème", db) }
        #expect(counts == 0, "the index holds the folded form only")
        await #expect(throws: KataError.self) { try await f.create("Café crème brûlée résumé naïve", forceNew: false) }
    }

    /// `isAlike` stops reading at the first word that rules a candidate out; it must still agree with
    /// the full Jaccard comparison on every pair, alike or not, ASCII or not.
    @Test func theEarlyEndAgreesWithTheFullComparison() {
        let vocabulary = ["fix", "login", "crash", "safari", "page", "slow", "café", "x1", "Build", "test"]
        var generator = SystemRandomNumberGenerator()
        func text() -> String {
            (0..<Int.random(in: 0...7, using: &generator)).map { _ in vocabulary.randomElement(using: &generator)! }
                .joined(separator: [" ", ", ", "-"].randomElement(using: &generator)!)
        }
        var alike = 0
        for _ in 0..<3000 {
            let source = text()
            let a = Similarity.words(source)
            guard !a.isEmpty else { continue }
            var title = text()
            var body = text()
            if Bool.random(using: &generator) {
                // Half the pairs are near copies: a's words in another order, one maybe dropped or added.
                var words = a.shuffled(using: &generator).map { $0.uppercased() }
                if Bool.random(using: &generator) { words.removeLast() }
                if Bool.random(using: &generator) { words.append(vocabulary.randomElement(using: &generator)!) }
                let cut = Int.random(in: 0...words.count, using: &generator)
                title = words[..<cut].joined(separator: " ")
                body = words[cut...].joined(separator: ", ")
            }
            let expected = Similarity.jaccard(a, Similarity.words(title + " " + body)) >= 0.8
            if expected { alike += 1 }
            #expect(Similarity.isAlike(a, title, body) == expected, "\(a.sorted()) vs \(title.debugDescription) + \(body.debugDescription)")
        }
        #expect(alike > 300, "the sample holds look-alikes too (\(alike))")
    }
}
