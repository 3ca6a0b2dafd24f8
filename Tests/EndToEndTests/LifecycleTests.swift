// The issue lifecycle through the CLI with --json (spec/tracker.md: data model, references, commands, events).

import Foundation
import Shared
import Testing

/// Titles far enough apart that the look-alike check never mistakes one for another.
let titles = [
    "Provision the build cluster for nightly jobs",
    "Deploy the staging release with feature flags",
    "Write onboarding documentation for contributors",
    "Fix memory leak in websocket reconnect handler",
    "Translate settings screen into Portuguese",
    "Benchmark cold start of the mobile application",
    "Rotate expiring TLS certificates on gateways",
    "Archive obsolete marketing landing pages",
]

@Suite("lifecycle: the issue commands with --json", .timeLimit(.minutes(5)))
struct LifecycleTests {
    /// tracker.md: `number` per project from 1; `uid` a ULID; `short_id` the lowercased last 4+ characters
    /// of the ULID; times UTC RFC 3339 with milliseconds; references `N`, `#N`, `project#N`, short id, ULID.
    @Test("create answers number, uid and short_id; show resolves N, #N, demo#N, short id and ULID")
    func createAndReferences() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let r = try await ws.k("create", titles[0], "--body", "Nightly jobs need dedicated runners.")
            try #require(r.status == 0, "\(r)")
            let answer = try #require(r.json)
            #expect(answer["changed"]?.bool == true, "a create is a change: \(answer)")
            #expect(answer["event"]?["type"]?.string == "issue.created", "the mutation answer carries the event: \(answer)")
            let a = answer.issue
            let b = try await ws.create(titles[1])
            #expect(a["number"]?.int == 1 && b["number"]?.int == 2)
            for i in [a, b] {
                let uid = try #require(i["uid"]?.string)
                let sid = try #require(i["short_id"]?.string)
                #expect(Wire.isULID(uid), "uid is a ULID: \(uid)")
                #expect(sid.count >= 4 && sid == sid.lowercased() && uid.lowercased().hasSuffix(sid),
                    "short_id is the lowercased tail of the uid: \(sid) / \(uid)")
                #expect(i["status"]?.string == "open")
                #expect(Wire.isTimestamp(i["created_at"]?.string) && Wire.isTimestamp(i["updated_at"]?.string), "\(i)")
                #expect(i["closed_reason"]?.isNull == true && i["owner"]?.isNull == true, "\(i)")
            }
            #expect(a["uid"] != b["uid"])
            #expect(a["title"]?.string == titles[0] && a["body"]?.string == "Nightly jobs need dedicated runners.")

            let uid = try #require(b["uid"]?.string)
            let sid = try #require(b["short_id"]?.string)
            for ref in ["2", "#2", "demo#2", sid, uid, uid.lowercased()] {
                let shown = try await ws.show(ref)
                #expect(shown.issue["uid"]?.string == uid, "ref \(ref) resolved to \(shown.issue)")
            }
        }
    }

    /// tracker.md: `kata list` … newest activity first, paginated (`--limit N`, `--cursor C`).
    @Test("list: newest activity first, --limit and --cursor pagination")
    func listOrderAndPagination() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            for t in titles.prefix(3) {
                try await ws.create(t)
                await pause(0.01)
            }
            #expect(try await ws.list() == [3, 2, 1])
            try await ws.ok("edit", "1", "--title", "Provision the build cluster for nightly and weekly jobs")
            #expect(try await ws.list() == [1, 3, 2], "an edit is activity: the edited issue comes first")

            let page1 = try await ws.ok("list", "--limit", "2")
            #expect(numbers(page1.list("issues", "items")) == [1, 3])
            let cursor = try #require(
                (page1["next_cursor"] ?? page1["cursor"] ?? page1["next"])?.string, "a limited page gives a cursor: \(page1)")
            let page2 = try await ws.ok("list", "--limit", "2", "--cursor", cursor)
            #expect(numbers(page2.list("issues", "items")) == [2])
            #expect((page2["next_cursor"] ?? .null).isNull, "the last page has no next cursor: \(page2)")
            let all = try await ws.ok("list", "--limit", "5")
            #expect(numbers(all.list("issues", "items")) == [1, 3, 2])
        }
    }

    /// tracker.md: `kata edit`, `kata comment (--body | --body-file | --body-stdin)`, `kata close --reason --message`
    /// (the comment and the close in one transaction, consecutive events), `kata reopen`; a no-op answers
    /// `changed: false, event: null` and writes no event.
    @Test("edit, comment three ways, close with reason and message, reopen, no-op")
    func editCommentCloseReopen() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let before = try await ws.create(titles[3], "--body", "Seen after three reconnects.")
            await pause(0.01)
            let edited = try await ws.ok("edit", "1", "--title", "Fix leak in websocket reconnect", "--body", "Heap grows 4 MB per reconnect.")
            #expect(edited["changed"]?.bool == true)
            let after = try await ws.show("1").issue
            #expect(after["title"]?.string == "Fix leak in websocket reconnect")
            #expect(after["body"]?.string == "Heap grows 4 MB per reconnect.")
            let (u0, u1) = (before["updated_at"]?.string ?? "", after["updated_at"]?.string ?? "")
            #expect(u1 > u0, "updated_at is bumped by every change: \(u0) -> \(u1)")

            try await ws.ok("comment", "1", "--body", "Glossary terms need review.")
            let file = ws.path + "/c.txt"
            try Posix.write(file, "Strings frozen on Friday.")
            try await ws.ok("comment", "1", "--body-file", file)
            try await ws.ok("comment", "1", "--body-stdin", stdin: "Brazilian variant preferred.\n")
            let withComments = try await ws.show("1", "--comments")
            let bodies = (withComments["comments"]?.array ?? []).compactMap { $0["body"]?.string }
            #expect(bodies == ["Glossary terms need review.", "Strings frozen on Friday.", "Brazilian variant preferred."],
                "comments in order: \(withComments)")

            let closed = try await ws.ok("close", "1", "--reason", "wontfix", "--message", "Rotated by the renewal job.")
            #expect(closed["changed"]?.bool == true && closed["event"]?["type"]?.string == "issue.closed", "\(closed)")
            let c = try await ws.show("1", "--comments")
            #expect(c.issue["status"]?.string == "closed" && c.issue["closed_reason"]?.string == "wontfix", "\(c.issue)")
            #expect(Wire.isTimestamp(c.issue["closed_at"]?.string))
            #expect(c["comments"]?.array?.last?["body"]?.string == "Rotated by the renewal job.")
            let evs = try await ws.events()
            let tail = evs.suffix(2)
            #expect(tail.map { $0["type"]?.string ?? "" } == ["issue.commented", "issue.closed"], "close --message: \(evs)")
            if tail.count == 2, let i0 = tail.first?["id"]?.int, let i1 = tail.last?["id"]?.int {
                #expect(i1 == i0 + 1, "consecutive event ids")
            }
            #expect(try await ws.list() == [], "a closed issue is not in the default (open) list")
            #expect(try await ws.list("--status", "closed") == [1])

            let reopened = try await ws.ok("reopen", "1")
            #expect(reopened["changed"]?.bool == true)
            let o = try await ws.show("1").issue
            #expect(o["status"]?.string == "open" && o["closed_reason"]?.isNull == true && o["closed_at"]?.isNull == true, "\(o)")

            let count = try await ws.events().count
            let noop = try await ws.ok("reopen", "1")
            #expect(noop["changed"]?.bool == false && noop["event"]?.isNull == true, "a no-op: \(noop)")
            #expect(noop.issue["updated_at"] == o["updated_at"], "a no-op leaves updated_at as it was")
            #expect(try await ws.events().count == count, "a no-op writes no event")
        }
    }

    /// tracker.md: `kata label add/rm`, `kata assign/unassign`, `list --label/--owner`, `kata search` (FTS5 BM25 over
    /// title, body and comments, best first, with the score), `kata ready` (open, no open blocker, oldest first).
    @Test("labels, owner, search and ready")
    func labelsOwnerSearchReady() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create("Zeppelin parser crashes on glyphs", "--body", "The zeppelin tokenizer fails on zeppelin glyph input.")
            try await ws.create("Improve logging output format", "--body", "Mentions a zeppelin once.")
            try await ws.create("Refactor the storage layer", "--body", "Nothing relevant here.", "--blocked-by", "1")
            try await ws.create("Update third-party dependencies", "--body", "Routine bumps.")
            try await ws.ok("comment", "3", "--body", "The zeppelin appears only in this comment.")

            let labeled = try await ws.ok("label", "add", "1", "bug", "area:ui")
            #expect(Set(labeled.issue["labels"]?.array?.compactMap(\.string) ?? []) == ["bug", "area:ui"], "\(labeled)")
            try await ws.ok("label", "add", "2", "bug")
            try await ws.ok("label", "rm", "1", "area:ui")
            #expect(try await ws.show("1").issue["labels"] == .array([.string("bug")]))
            #expect(Set(try await ws.list("--label", "bug")) == [1, 2])
            #expect(try await ws.list("--label", "area:ui") == [])

            let assigned = try await ws.ok("assign", "2", "alice")
            #expect(assigned.issue["owner"]?.string == "alice")
            #expect(try await ws.list("--owner", "alice") == [2])
            try await ws.ok("unassign", "2")
            #expect(try await ws.show("2").issue["owner"]?.isNull == true)
            #expect(try await ws.list("--owner", "alice") == [])

            let search = try await ws.ok("search", "zeppelin")
            let hits = search.list("results", "hits", "issues", "items") ?? []
            let nums = numbers(hits)
            #expect(nums.first == 1, "the best match (#1: title and body) comes first: \(nums)")
            #expect(Set(nums) == [1, 2, 3], "title, body and comment matches, nothing else: \(nums)")
            for h in hits { #expect(h["score"]?.number != nil, "each hit has a score: \(h)") }

            let ready = try await ws.ok("ready")
            #expect(numbers(ready.list("issues", "items")) == [1, 2, 4], "#3 is blocked by #1; oldest first")
            try await ws.ok("close", "1", "--reason", "done")
            let ready2 = try await ws.ok("ready")
            #expect(numbers(ready2.list("issues", "items")) == [2, 3, 4], "closing the blocker makes #3 ready")
        }
    }

    /// tracker.md: one event per change with the aspect's own type; `kata events [--after ID] [--limit N]`;
    /// every event has `id` (increasing), `uid` (ULID), `actor`, `created_at`, `payload` (object).
    @Test("events: one per change, in order, with --after and --limit")
    func eventsRecordEveryChange() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create(titles[7])
            let steps: [[String]] = [
                ["comment", "1", "--body", "Check analytics first."],
                ["label", "add", "1", "cleanup"],
                ["assign", "1", "bob"],
                ["edit", "1", "--title", "Archive obsolete landing pages"],
                ["close", "1", "--reason", "done"],
                ["reopen", "1"],
                ["label", "rm", "1", "cleanup"],
                ["unassign", "1"],
                ["delete", "1", "--force", "--confirm", "DELETE #1"],
                ["restore", "1"],
            ]
            for s in steps {
                let r = try await env.kata(args: s + ["--json"], cwd: ws.path)
                #expect(r.status == 0, "\(r)")
            }
            let expected = [
                "issue.created", "issue.commented", "issue.labeled", "issue.assigned", "issue.updated", "issue.closed",
                "issue.reopened", "issue.unlabeled", "issue.unassigned", "issue.soft_deleted", "issue.restored",
            ]
            let evs = try await ws.events()
            #expect(evs.map { $0["type"]?.string ?? "?" } == expected)
            let ids = evs.compactMap { $0["id"]?.int }
            #expect(ids.count == evs.count && ids == ids.sorted() && Set(ids).count == ids.count, "ids increase: \(ids)")
            for e in evs {
                #expect(Wire.isULID(e["uid"]?.string) && Wire.isTimestamp(e["created_at"]?.string), "\(e)")
                #expect(!(e["actor"]?.string ?? "").isEmpty && e["payload"]?.object != nil, "\(e)")
                #expect(e["issue_number"]?.int == 1 && e["project_name"]?.string == "demo", "\(e)")
            }
            try #require(ids.count == expected.count)
            let later = try await ws.ok("events", "--after", String(ids[4]))
            #expect((later.list("events", "items") ?? []).compactMap { $0["id"]?.int } == Array(ids[5...]),
                "--after returns only later events")
            let limited = try await ws.ok("events", "--limit", "3")
            #expect((limited.list("events", "items") ?? []).compactMap { $0["id"]?.int } == Array(ids.prefix(3)))
            #expect(limited["next_after_id"]?.int == ids[2], "the poll answer gives the cursor to go on from: \(limited)")
            #expect(limited["reset_required"]?.bool == false)
        }
    }
}
