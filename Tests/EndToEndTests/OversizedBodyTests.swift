// Bodies over the API's 1 MiB limit (spec/tracker.md: "Bodies over 1 MiB get 413").

import Foundation
import Shared
import Testing

@Suite("oversized bodies through the CLI", .timeLimit(.minutes(2)))
struct OversizedBodyTests {
    @Test("an over-limit body gets payload_too_large at once (exit 3) and creates nothing")
    func oversizedBodyFailsFast() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let file = ws.path + "/big.txt"
            try Posix.write(file, String(repeating: "x", count: (1 << 20) + 50_000))
            let started = Date()
            let r = try await ws.k("create", "Too big", "--body-file", file)
            let elapsed = Date().timeIntervalSince(started)
            #expect(r.status == 3 && r.stdout.contains("payload_too_large"), "\(r)")
            // The client stops sending once the server has answered; it does not wait for a send timeout.
            #expect(elapsed < 10, "took \(elapsed) s")
            #expect(try await ws.list("--status", "all").isEmpty, "nothing was created")
            let fits = ws.path + "/fits.txt"
            try Posix.write(fits, String(repeating: "y", count: 900_000))
            let ok = try await ws.k("create", "Large but within the limit", "--body-file", fits)
            #expect(ok.status == 0, "\(ok)")
        }
    }
}
