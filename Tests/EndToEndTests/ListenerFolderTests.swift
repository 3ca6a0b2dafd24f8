// A Unix listener whose folder is missing is refused at start-up with a message naming the path.

import Foundation
import Shared
import Testing

@Suite("katad: unix listener folders", .timeLimit(.minutes(2)))
struct ListenerFolderTests {
    @Test("a unix listener in a missing folder is refused with exit 2, naming the folder")
    func missingFolderIsRefused() async throws {
        try await withEnv { env in
            let missing = env.base + "/no-such-dir"
            let r = try await env.run(Bin.katad, ["--listen", "unix://\(missing)/api.sock"], home: env.home, timeout: 20)
            #expect(r.status == 2 && !r.timedOut, "\(r)")
            #expect(r.stderr.contains(missing), "the message names the folder: \(r)")
            #expect(!Posix.exists(env.home + "/run/admin.sock"), "nothing was served")
        }
    }
}
