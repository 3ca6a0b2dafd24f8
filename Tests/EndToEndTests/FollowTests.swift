// `kata events --follow` (spec/tracker.md: "`--follow` tails the SSE stream and reconnects with its cursor").

import Foundation
import Shared
import Testing

@Suite("kata events --follow", .timeLimit(.minutes(5)))
struct FollowTests {
    @Test("--follow prints each event once, in order, across a daemon restart")
    func followResumesAcrossRestart() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            _ = try await ws.create("Before the follower")
            // The follower runs until interrupted; the harness kills it when this timeout ends.
            async let followed = env.run(
                Bin.kata, ["events", "--follow", "--after", "0", "--json"], home: ws.home, cwd: ws.path, timeout: 10)
            try await Task.sleep(for: .seconds(1.5))
            _ = try await ws.create("While following")
            let stop = try await env.kata("daemon", "stop", cwd: ws.path, home: ws.home)
            #expect(stop.status == 0, "\(stop)")
            // Any command starts the daemon again; the follower must find it and go on from its cursor.
            _ = try await ws.create("After the restart")
            let result = try await followed
            #expect(result.timedOut, "the follower keeps running until stopped: \(result)")
            let lines = result.stdout.split(separator: "\n").compactMap { J.parse(String($0)) }
            let numbers = lines.compactMap { $0["issue_number"]?.int }
            let ids = lines.compactMap { $0["id"]?.int }
            #expect(numbers == [1, 2, 3], "every issue.created once, in order: \(result)")
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "no duplicate or reordered event: \(ids)")
        }
    }
}
