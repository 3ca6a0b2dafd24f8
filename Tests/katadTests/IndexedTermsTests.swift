import GRDB
import Shared
import Testing

@testable import katad

/// The filter of the search index's terms that tells the look-alike check which words no issue holds.
@Suite("Indexed terms")
struct IndexedTermsTests {
    private func mayHold(_ f: Fixture, _ words: [String]) async throws -> [String: Bool] {
        let terms = f.store.indexedTerms
        return try await f.store.writer.write { db in
            try Dictionary(uniqueKeysWithValues: words.map { ($0, try terms.mayHold($0, db)) })
        }
    }

    /// Built from the index: what was indexed before the build is held, a word no row holds is not.
    @Test func theBuildReadsTheIndex() async throws {
        let f = try await Fixture.make()
        try await f.create("login crash on safari", body: "Seen in build 4711")
        #expect(!f.store.indexedTerms.isBuilt, "built at the first check, not before")
        let held = try await mayHold(f, ["login", "safari", "4711", "4712", "firefox"])
        #expect(held == ["login": true, "safari": true, "4711": true, "4712": false, "firefox": false])
    }

    /// After the build, every row the writer indexes adds its terms: a create's title and body, an edit's
    /// new title, a comment, and an accented word under the folded form FTS5 gives it.
    @Test func rowsIndexedAfterTheBuildAreHeld() async throws {
        let f = try await Fixture.make()
        #expect(try await mayHold(f, ["anything"]) == ["anything": false])
        let issue = try await f.create("export stalls", body: "at 90 percent")
        _ = try await f.edit("\(issue.number)") { $0.title = "export stalls forever" }
        _ = try await f.store.comment(projectId: f.pid, ref: "\(issue.number)", body: "also on arm64", actor: "bob")
        try await f.create("Café crème brûlée")
        let held = try await mayHold(f, ["export", "percent", "forever", "arm64", "cafe", "creme", "brulee", "never"])
        #expect(held == [
            "export": true, "percent": true, "forever": true, "arm64": true, "cafe": true, "creme": true, "brulee": true,
            "never": false,
        ])
    }

    /// `reset` (after an import) forgets the filter; the next check reads the index again.
    @Test func resetRebuildsFromTheIndex() async throws {
        let f = try await Fixture.make()
        #expect(try await mayHold(f, ["zebra"]) == ["zebra": false])
        // Indexed behind the filter's back, as an import does.
        try await f.store.writer.write { db in
            try db.execute(sql: "INSERT INTO issue_fts(rowid, title, body, comments) VALUES (999, 'zebra', '', '')")
        }
        #expect(try await mayHold(f, ["zebra"]) == ["zebra": false], "the filter does not see it yet")
        f.store.indexedTerms.reset()
        #expect(try await mayHold(f, ["zebra"]) == ["zebra": true])
    }

    /// A look-alike whose words were indexed after the filter was built is still refused.
    @Test func aLookAlikeCreatedAfterTheBuildIsRefused() async throws {
        let f = try await Fixture.make()
        #expect(try await mayHold(f, ["deploy"]) == ["deploy": false])
        #expect(f.store.indexedTerms.isBuilt)
        let first = try await f.create("deploy fails on staging cluster", forceNew: false)
        await #expect(throws: KataError.self, "a look-alike of #\(first.number)") {
            try await f.create("deploy fails on staging cluster 2", forceNew: false)
        }
    }
}
