// Many writers at once (spec/tracker.md: numbers per project from 1, never reused; one writer, no
// "database is locked"; operations.md: concurrency gets no 500).

import Foundation
import Shared
import Testing

@Suite("concurrency: parallel kata processes against one daemon", .timeLimit(.minutes(5)))
struct ConcurrencyTests {
    @Test("8 parallel `kata create` processes get numbers 1...8, dense and unique, with no failures")
    func parallelCreates() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let results = try await withThrowingTaskGroup(of: RunResult.self) { group in
                for t in titles {
                    group.addTask { try await ws.k("create", t, "--label", "load") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for r in results {
                #expect(r.status == 0 && !r.signaled && !r.timedOut, "\(r)")
                #expect(!r.text.contains("database is locked"), "\(r)")
            }
            let issues = results.compactMap { $0.json?.issue }
            let nums = issues.compactMap { $0["number"]?.int }
            #expect(nums.sorted() == Array(1...8), "dense and unique: \(nums.sorted())")
            #expect(Set(issues.compactMap { $0["uid"]?.string }).count == 8, "unique uids")
            #expect(Set(issues.compactMap { $0["title"]?.string }) == Set(titles), "each create got its own title")

            #expect(Set(try await ws.list("--label", "load", "--limit", "100")) == Set(1...8))
            let created = try await ws.events().filter { $0["type"]?.string == "issue.created" }
            #expect(Set(created.compactMap { $0["issue_number"]?.int }) == Set(1...8) && created.count == 8,
                "one issue.created event per issue")
            #expect(Posix.katadPids(home: env.home).count == 1, "all served by the one daemon")
            let next = try await ws.create("One more after the burst")
            #expect(next["number"]?.int == 9)
        }
    }

    /// Group commit (docs/design.md): a write is answered only after the transaction carrying it commits.
    /// 16 writers create issues back to back through the API while katad is killed with SIGKILL; after a
    /// restart every create that was answered 201 is there, with the number it was answered with.
    @Test("kill -9 during 16 concurrent writers: every acknowledged create survives the restart")
    func acknowledgedCreatesSurviveKill9UnderLoad() async throws {
        try await withEnv { env in
            let d = try await env.startKatad([])
            let api = API(.unix(path: env.home + "/run/katad.sock"))
            let project = try api.postJSON("/api/v1/projects", #"{"alias_identity":"local:///crash","name":"crash","actor":"t"}"#)
            let pid = try #require(project.json?["project"]?["id"]?.int, "\(project)")
            let acknowledged = Locked<[(uid: String, number: Int64)]>([])
            // Blocking clients on their own threads (not the two threads of the concurrency pool).
            let done = DispatchGroup()
            let total = 16 * 400
            for w in 0..<16 {
                done.enter()
                Thread.detachNewThread {
                    defer { done.leave() }
                    var failures = 0
                    for i in 0..<400 {
                        let body = #"{"title":"writer \#(w) issue \#(i) of the crash run","force_new":true,"actor":"t"}"#
                        guard let a = try? api.postJSON("/api/v1/projects/\(pid)/issues", body) else {
                            failures += 1
                            if failures > 3 { return }
                            continue
                        }
                        if a.status == 201, let issue = a.json?["issue"], let uid = issue["uid"]?.string, let n = issue["number"]?.int {
                            acknowledged.withLock { $0.append((uid, n)) }
                        }
                    }
                }
            }
            #expect(await eventually(30) { acknowledged.withLock { $0.count } >= 200 }, "the writers got going")
            d.signal(SIGKILL)
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in done.notify(queue: .global()) { c.resume() } }
            let before = acknowledged.withLock { $0 }
            #expect(before.count < total, "the kill came after every write was done: nothing was tested")
            #expect(await eventually(10) { !d.running }, "katad survived SIGKILL")

            _ = try await env.startKatad([])
            var missing: [Int64] = []
            for (uid, number) in before {
                let a = try api.get("/api/v1/projects/\(pid)/issues/\(number)")
                if a.status != 200 || a.json?["issue"]?["uid"]?.string != uid { missing.append(number) }
            }
            #expect(missing.isEmpty, "acknowledged creates lost after kill -9: \(missing.prefix(20)) of \(before.count)")
            let check = try api.get("/api/v1/health")
            #expect(check.status == 200, "\(check)")
        }
    }
}

/// A lock-protected value shared by test tasks.
final class Locked<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
