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
}
