import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Shared
import Testing

@testable import katad

/// Findings of the hostile-input runs, each kept as a test (docs/reliability.md lists them).
@Suite("Regressions from hostile inputs")
struct RegressionTests {
    /// Thousands of `label=` parameters built a query deeper than SQLite allows: a 500. Now at most
    /// `IssueFilter.maxLabels` distinct labels, else 400 naming `label`.
    @Test func aListFilterWithThousandsOfLabelsIsA400() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            let many = (0..<2000).map { "label=l\($0)" }.joined(separator: "&")
            let r = try await client.send(.get, "/api/v1/projects/\(pid)/issues?\(many)")
            try expectEnvelope(r, status: 400, code: "validation")
            #expect(r.text.contains(#""field":"label""#), "\(r.text)")
            let repeated = (0..<2000).map { _ in "label=bug" }.joined(separator: "&")
            #expect(try await client.send(.get, "/api/v1/projects/\(pid)/issues?\(repeated)").status == .ok, "duplicates count once")
            let cross = try await client.send(.get, "/api/v1/issues?\(many)")
            try expectEnvelope(cross, status: 400, code: "validation")
        }
    }

    /// A create with 100,000 labels (under 1 MiB) took seconds and was accepted. Now an issue carries
    /// at most `IssueRules.maxLabels` labels, whether given at once or added later.
    @Test func anIssueCarriesAtMostAHundredLabels() async throws {
        let f = try await Fixture.make()
        let many = (0...IssueRules.maxLabels).map { "l\($0)" }
        await #expect(throws: KataError.self) { () async throws in try await f.create("Too many", labels: many) }
        let issue = try await f.create("Almost full", labels: Array(many.prefix(IssueRules.maxLabels - 1)))
        _ = try await f.store.addLabels(projectId: f.pid, ref: "\(issue.number)", labels: ["one-more"], actor: "a")
        let before = try await f.snapshot()
        do {
            _ = try await f.store.addLabels(projectId: f.pid, ref: "\(issue.number)", labels: ["x1", "x2"], actor: "a")
            Issue.record("the 101st label was added")
        } catch let e as KataError {
            #expect(e.envelope.error.data?["field"] == "labels" && e.envelope.error.message.contains("\(IssueRules.maxLabels)"))
        }
        #expect(try await f.snapshot() == before, "the refused add changed nothing")
    }

    /// One 30 MiB line of garbage took 38 s to be refused. A line over 16 MiB is refused as soon as it
    /// is seen.
    @Test func anImportLineOverSixteenMebibytesIsRefusedAtOnce() async throws {
        let path = NSTemporaryDirectory() + "kata-long-line-\(ULID().string).jsonl"
        try Data(repeating: UInt8(ascii: "{"), count: 17 << 20).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let store = try Store.inMemory()
        do {
            _ = try await store.importFile(path: path, merge: false, callerRole: .admin)
            Issue.record("a 17 MiB line was accepted")
        } catch let e as KataError {
            #expect(e.envelope.error.message.contains("over 16 MiB") && e.envelope.error.data?["line"] == .int(1), "\(e.envelope.error.message)")
        }
    }

    /// The look-alike check searched by every title word (OR): with common words it scored thousands of
    /// issues per create (3 creates/s at 100,000 issues in bench/). It now searches by the rarest words,
    /// which still finds every issue within Jaccard 0.8.
    @Test func theLookAlikeCheckSearchesByTheRarestWords() async throws {
        let f = try await Fixture.make()
        for i in 0..<30 { try await f.create("common words everywhere \(i)") }
        try await f.create("common words plus zebra", forceNew: true)
        let picked = try await f.store.writer.read { db in
            try Similarity.prefilter(
                db, words: Similarity.words("common words plus zebra"), titleWords: Similarity.words("common words plus zebra"))
        }
        #expect(picked == CandidateQuery(words: ["plus", "zebra"], atLeast: 2), "the two rarest, together (n/5 = 0 may be missed): \(picked)")
        // A look-alike is still found through its rare word.
        do {
            _ = try await f.create("common words plus zebra", forceNew: false)
            Issue.record("the look-alike was not found")
        } catch let e as KataError {
            #expect(e.envelope.error.code == "duplicate_candidates")
        }
    }
}
