// The SSE stream (spec/tracker.md: "Events and the stream").

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every event id the poll API serves (`GET /api/v1/events`, paged; after a purge, those above its cursor).
func polledIds(_ api: API, path: String = "/api/v1/events") throws -> [Int64] {
    var after: Int64 = 0
    var out: [Int64] = []
    for _ in 0..<100 {
        let a = try api.get("\(path)?after_id=\(after)&limit=1000")
        try #require(a.status == 200, "\(a)")
        let evs = a.json?["events"]?.array ?? []
        if a.json?["reset_required"]?.bool == true, let next = a.json?["next_after_id"]?.int, next > after {
            // Events below the purge's reserved cursor are not served any more: go on from there.
            out = []
            after = next
            continue
        }
        if evs.isEmpty { break }
        out += evs.compactMap { $0["id"]?.int }
        after = out.last ?? after
    }
    return out
}

/// Checks the frame format: `id: <event id>`, `event: <type>`, `data: <one-line JSON>` of that event.
func expectWellFormed(_ frames: [Frame], sourceLocation: SourceLocation = #_sourceLocation) {
    for f in frames {
        guard f.event != "sync.reset_required" else { continue }
        #expect(f.idNumber != nil, "frame id is the event id: \(f)", sourceLocation: sourceLocation)
        #expect(f.data.map { !$0.contains("\n") } == true, "data is one line: \(f)", sourceLocation: sourceLocation)
        let j = f.json
        #expect(j?["type"]?.string == f.event && j?["id"]?.int == f.idNumber, "data is the event itself: \(f)",
            sourceLocation: sourceLocation)
    }
    let ids = frames.filter { $0.event != "sync.reset_required" }.compactMap(\.idNumber)
    #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids increase without repeats: \(ids)", sourceLocation: sourceLocation)
}

func created(_ n: Int64) -> ([Frame]) -> Bool {
    { frames in frames.contains { $0.event == "issue.created" && $0.json?["issue_number"]?.int == n } }
}

@Suite("stream: SSE replay, live, resume, reset", .timeLimit(.minutes(5)))
struct StreamTests {
    /// tracker.md: frames `id:`, `event:`, `data:`; replay from the cursor, then live; Accept required (406);
    /// `after_id` with `Last-Event-ID` is 400 `cursor_conflict`; a non-integer cursor is 400 `validation`.
    @Test("replay from after_id=0, then live frames")
    func replayThenLive() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create(titles[0])
            try await ws.ok("label", "add", "1", "bug")
            let target = ServerTarget.unix(path: ws.socket)

            let s = try SSEStream(target, "/api/v1/events/stream?after_id=0")
            #expect(await s.waitForHead() == 200)
            #expect(s.headers.contains { $0.0.lowercased() == "content-type" && $0.1.hasPrefix("text/event-stream") }, "\(s.headers)")
            #expect(await s.read(until: { $0.contains { $0.event == "issue.labeled" } }), "replay of the earlier events: \(s.frames)")
            try await ws.create(titles[1])
            #expect(await s.read(until: created(2)), "the live issue.created for #2: \(s.frames)")
            await s.settle(0.5)
            expectWellFormed(s.frames)
            #expect(s.eventFrames.map { $0.event ?? "" } == ["issue.created", "issue.labeled", "issue.created"], "\(s.frames)")
            #expect(s.eventFrames.compactMap(\.idNumber) == (try polledIds(ws.api)), "exactly the events of the log")

            // Without a cursor the stream starts live.
            let live = try SSEStream(target, "/api/v1/events/stream")
            #expect(await live.waitForHead() == 200)
            await pause(0.3)
            try await ws.create(titles[2])
            #expect(await live.read(until: created(3)))
            #expect(live.eventFrames.count == 1, "no replay without a cursor: \(live.frames)")

            let noAccept = try SSEStream(target, "/api/v1/events/stream", accept: "application/json")
            #expect(await noAccept.waitForHead() == 406)
            let both = try SSEStream(target, "/api/v1/events/stream?after_id=0", headers: [("Last-Event-ID", "0")])
            #expect(await both.waitForHead() == 400)
            #expect(both.errorJSON?["error"]?["code"]?.string == "cursor_conflict", "\(both.errorJSON?.description ?? "-")")
            let bad = try SSEStream(target, "/api/v1/events/stream", headers: [("Last-Event-ID", "abc")])
            #expect(await bad.waitForHead() == 400)
            #expect(bad.errorJSON?["error"]?["code"]?.string == "validation")
            let badPoll = try ws.api.get("/api/v1/events?after_id=abc")
            #expect(badPoll.status == 400 && badPoll.errorCode == "validation", "\(badPoll)")
        }
    }

    /// tracker.md: a stream cut off (here by a daemon restart) resumes with `Last-Event-ID` and sees every
    /// event exactly once — no gaps, no duplicates.
    @Test("a client cut off by a daemon restart resumes with Last-Event-ID: every event exactly once")
    func resumeAcrossRestart() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create(titles[0])
            try await ws.ok("comment", "1", "--body", "before the stream")
            let target = ServerTarget.unix(path: ws.socket)

            let s1 = try SSEStream(target, "/api/v1/events/stream?after_id=0")
            #expect(await s1.waitForHead() == 200)
            #expect(await s1.read(until: { $0.contains { $0.event == "issue.commented" } }))
            try await ws.create(titles[1])
            #expect(await s1.read(until: created(2)))

            // Restart: SIGTERM the daemon; the stream ends; events are written while the client is away.
            let pid = try #require(env.daemonPid())
            kill(pid, SIGTERM)
            #expect(await s1.waitForClose(Limits.exit), "a graceful stop ends open streams")
            #expect(await eventually(Limits.exit) { !Posix.alive(pid) }, "katad did not stop on SIGTERM")
            let lastSeen = try #require(s1.eventFrames.last?.idNumber)
            try await ws.create(titles[2])  // auto-starts a new daemon
            try await ws.ok("comment", "3", "--body", "while the client was away")
            #expect(env.daemonPid() != nil && env.daemonPid() != pid)

            let s2 = try SSEStream(target, "/api/v1/events/stream", headers: [("Last-Event-ID", String(lastSeen))])
            #expect(await s2.waitForHead() == 200)
            #expect(await s2.read(until: { $0.contains { $0.event == "issue.commented" && $0.json?["issue_number"]?.int == 3 } }),
                "the missed events are replayed: \(s2.frames)")
            try await ws.create(titles[3])
            #expect(await s2.read(until: created(4)), "then live: \(s2.frames)")
            await s2.settle(0.5)

            expectWellFormed(s1.frames)
            expectWellFormed(s2.frames)
            #expect(!s2.frames.contains { $0.event == "sync.reset_required" })
            let seen = s1.eventFrames.compactMap(\.idNumber) + s2.eventFrames.compactMap(\.idNumber)
            #expect(Set(seen).count == seen.count, "no event twice: \(seen)")
            #expect(seen == (try polledIds(ws.api)), "every event, in order, no gaps: \(seen)")
            #expect(s2.eventFrames.first?.idNumber.map { $0 > lastSeen } == true)
        }
    }

    /// tracker.md: purge reserves a cursor above every existing event id; a stream whose cursor is below it gets
    /// one `sync.reset_required` frame with the new cursor; per-project streams are reset only by purges in
    /// their project.
    @Test("a purge forces exactly one sync.reset_required frame for a cursor below it")
    func purgeForcesOneReset() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let other = try await Workspace.make(env, project: "other")
            try await ws.create(titles[0])
            try await ws.create(titles[1])
            try await ws.ok("comment", "1", "--body", "soon gone")
            try await other.create(titles[2])
            let before = try polledIds(ws.api)
            let maxBefore = try #require(before.max())

            try await ws.ok("purge", "1", "--force", "--confirm", "PURGE #1")
            let poll = try ws.api.get("/api/v1/events?after_id=0")
            #expect(poll.json?["reset_required"]?.bool == true, "a poll from 0 must reset: \(poll)")
            let reserved = try #require(poll.json?["next_after_id"]?.int)
            #expect(reserved > maxBefore, "the reserved cursor is above every event id before the purge")
            let target = ServerTarget.unix(path: ws.socket)

            for headers in [[], [("Last-Event-ID", "1")]] as [[(String, String)]] {
                let path = headers.isEmpty ? "/api/v1/events/stream?after_id=0" : "/api/v1/events/stream"
                let s = try SSEStream(target, path, headers: headers)
                #expect(await s.waitForHead() == 200)
                #expect(await s.read(until: { $0.contains { $0.event == "sync.reset_required" } }), "\(s.frames)")
                let next = try await ws.create("Live issue after purge \(headers.isEmpty ? "one" : "two")", "--force-new")
                let number = try #require(next["number"]?.int)
                #expect(await s.read(until: created(number)), "live frames follow the reset: \(s.frames)")
                await s.settle(0.5)
                let resets = s.frames.filter { $0.event == "sync.reset_required" }
                #expect(resets.count == 1, "exactly one reset frame: \(s.frames)")
                let cursor = resets.first?.idNumber ?? resets.first?.json?["cursor"]?.int
                #expect(cursor == reserved, "the reset carries the new cursor \(reserved): \(resets)")
                let first = s.frames.firstIndex { $0.event == "sync.reset_required" } ?? 0
                #expect(s.frames[..<first].allSatisfy { $0.event == nil }, "nothing older is replayed before the reset: \(s.frames)")
                for f in s.eventFrames { #expect((f.idNumber ?? 0) > reserved, "frames after the reset are newer: \(f)") }
                #expect(s.eventFrames.filter { created(number)([$0]) }.count == 1, "the live event arrives once")
                expectWellFormed(s.frames)
            }

            // From the reserved cursor on: no reset.
            let fresh = try SSEStream(target, "/api/v1/events/stream?after_id=\(reserved)")
            #expect(await fresh.waitForHead() == 200)
            let newest = try #require(try polledIds(ws.api).max())
            #expect(await fresh.read(until: { $0.contains { $0.idNumber == newest } }))
            #expect(!fresh.frames.contains { $0.event == "sync.reset_required" })

            // The other project's stream is not reset by a purge in demo.
            let otherId = try other.projectId()
            let scoped = try SSEStream(target, "/api/v1/events/stream?project_id=\(otherId)&after_id=0")
            #expect(await scoped.waitForHead() == 200)
            #expect(await scoped.read(until: created(1)), "\(scoped.frames)")
            try await other.create(titles[3])
            #expect(await scoped.read(until: created(2)))
            await scoped.settle(0.5)
            #expect(!scoped.frames.contains { $0.event == "sync.reset_required" }, "\(scoped.frames)")
            #expect(scoped.eventFrames.allSatisfy { $0.json?["project_id"]?.int == otherId })
        }
    }
}
