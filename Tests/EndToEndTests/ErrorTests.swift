// Exit codes and bad input (spec/tracker.md: exit codes, error envelope, "details that are easy to get wrong").

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Checks an error printed with --json: the envelope `{"status", "error": {"code", "message", "hint"?}}`.
func expectEnvelope(_ r: RunResult, exit: Int32, code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == exit && !r.signaled && !r.timedOut, "expected exit \(exit): \(r)", sourceLocation: sourceLocation)
    guard let j = r.json else {
        Issue.record("an error with --json prints the envelope on stdout: \(r)", sourceLocation: sourceLocation)
        return
    }
    #expect(j["status"]?.int != nil, "envelope has status: \(j)", sourceLocation: sourceLocation)
    #expect(j["error"]?["code"]?.string != nil && j["error"]?["message"]?.string != nil,
        "envelope has error.code and error.message: \(j)", sourceLocation: sourceLocation)
    if let code {
        #expect(j["error"]?["code"]?.string == code, "error code \(code) expected: \(j)", sourceLocation: sourceLocation)
    }
}

/// The database as the CLI sees it: every issue (JSON) and every event.
struct Snapshot: Equatable {
    var issues: J?
    var eventIds: [Int64]
    var nextAfterId: Int64?

    static func take(_ ws: Workspace) async throws -> Snapshot {
        let list = try await ws.ok("list", "--status", "all", "--limit", "500")
        let events = try await ws.ok("events", "--limit", "1000")
        return Snapshot(
            issues: list["issues"], eventIds: (events.list("events", "items") ?? []).compactMap { $0["id"]?.int },
            nextAfterId: events["next_after_id"]?.int)
    }
}

@Suite("errors: exit codes and bad input", .timeLimit(.minutes(5)))
struct ErrorTests {
    /// tracker.md: exit 2 — usage error, bad flags.
    @Test("unknown flag, unknown command, missing argument or value exit 2")
    func usageErrors() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            for args in [["list", "--no-such-flag"], ["frobnicate"], ["create"], ["list", "--limit"], ["delete", "1"],
                ["list", "--status", "sideways"]]
            {
                let r = try await env.kata(args: args, cwd: ws.path)
                #expect(r.status == 2 && !r.signaled, "\(r)")
                #expect(!r.stderr.isEmpty, "a usage error says why on stderr: \(r)")
            }
        }
    }

    /// tracker.md: exit 3 — validation (blank titles, bad labels get 400 naming the field);
    /// "A failed change writes nothing at all".
    @Test("blank title and label \"A B\" exit 3 and change nothing")
    func validationChangesNothing() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create(titles[0])
            let before = try await Snapshot.take(ws)

            let blank = try await ws.k("create", "   ")
            expectEnvelope(blank, exit: 3, code: "validation")
            #expect(blank.json?["status"]?.int == 400)
            #expect(blank.json?["error"]?["message"]?.string?.lowercased().contains("title") == true, "names the field: \(blank)")

            let badLabel = try await ws.k("create", titles[1], "--label", "A B")
            expectEnvelope(badLabel, exit: 3, code: "validation")
            #expect(badLabel.text.lowercased().contains("label"), "names the field: \(badLabel)")

            let addBad = try await ws.k("label", "add", "1", "A B")
            expectEnvelope(addBad, exit: 3, code: "validation")
            let blankEdit = try await ws.k("edit", "1", "--title", "")
            expectEnvelope(blankEdit, exit: 3)
            let longLabel = try await ws.k("label", "add", "1", String(repeating: "x", count: 65))
            expectEnvelope(longLabel, exit: 3)

            // Without --json the message goes to stderr and stdout stays empty.
            let human = try await ws.plain("create", "")
            #expect(human.status == 3 && human.stdout.isEmpty && !human.stderr.isEmpty, "\(human)")

            let after = try await Snapshot.take(ws)
            #expect(after == before, "failed changes leave the database as it was")
        }
    }

    /// tracker.md: exit 4 — not found (404).
    @Test("unknown references exit 4")
    func notFound() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create(titles[0])
            for args in [["show", "42"], ["show", "#42"], ["show", "demo#42"], ["close", "42"], ["comment", "42", "--body", "nobody home"],
                ["show", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], ["label", "add", "42", "bug"]]
            {
                let r = try await env.kata(args: args + ["--json"], cwd: ws.path)
                expectEnvelope(r, exit: 4)
                #expect(r.json?["status"]?.int == 404, "\(r)")
            }
        }
    }

    /// tracker.md: idempotency key reuse (`reused: true`) and mismatch (`idempotency_mismatch`, 409), and the
    /// look-alike check (`duplicate_candidates`, 409, listing them) unless `--force-new`; exit 5.
    @Test("idempotency mismatch and look-alike exit 5")
    func conflicts() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let a = try await ws.create(titles[4], "--body", "first", "--idempotency-key", "key-1")
            let again = try await ws.ok("create", titles[4], "--body", "first", "--idempotency-key", "key-1")
            #expect(again.issue["uid"] == a["uid"] && again["reused"]?.bool == true, "\(again)")
            let mismatch = try await ws.k("create", titles[4], "--body", "different body", "--idempotency-key", "key-1")
            expectEnvelope(mismatch, exit: 5, code: "idempotency_mismatch")
            #expect(mismatch.json?["status"]?.int == 409)

            let title = "Database connection pool exhausted under load"
            let body = "Requests time out once the pool hits forty connections."
            let original = try await ws.create(title, "--body", body)
            let dup = try await ws.k("create", title, "--body", body)
            expectEnvelope(dup, exit: 5, code: "duplicate_candidates")
            #expect(dup.json?["status"]?.int == 409)
            let candidates = dup.json?["error"]?["data"]?.allStrings ?? []
            #expect(candidates.contains(original["uid"]?.string ?? "-") || dup.stdout.contains("\"number\":2"),
                "the look-alike is listed: \(dup)")
            let forced = try await ws.ok("create", title, "--body", body, "--force-new")
            #expect(forced.issue["number"]?.int == 3)
            #expect(try await ws.list("--status", "all") == [3, 2, 1])
        }
    }

    /// tracker.md: destructive commands without `--confirm` fail with `confirm_required` (exit 6) when there is
    /// no TTY; a wrong string is `confirm_mismatch`.
    @Test("delete without --confirm and no TTY exits 6 with confirm_required")
    func confirmRequired() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create(titles[0])
            try await ws.create(titles[1])
            let before = try await Snapshot.take(ws)
            let r = try await ws.k("delete", "1", "--force")
            expectEnvelope(r, exit: 6, code: "confirm_required")
            let wrong = try await ws.k("delete", "1", "--force", "--confirm", "DELETE #2")
            expectEnvelope(wrong, exit: 6, code: "confirm_mismatch")
            let purge = try await ws.k("purge", "1", "--force")
            expectEnvelope(purge, exit: 6, code: "confirm_required")
            #expect(try await Snapshot.take(ws) == before, "refused destructive commands change nothing")
            try await ws.ok("delete", "1", "--force", "--confirm", "DELETE #1")
            #expect(try await ws.list("--status", "all") == [2], "a deleted issue is hidden from lists")
        }
    }

    /// tracker.md: exit 7 — daemon unavailable (connection refused, no socket).
    @Test("an unreachable --server exits 7 and starts nothing")
    func daemonUnavailable() async throws {
        try await withEnv { env in
            let ws = env.newDir()
            for server in ["unix:///nonexistent.sock", "unix://\(env.base)/nothing.sock", "http://127.0.0.1:\(Posix.freePort())"] {
                let r = try await env.kata("list", "--project", "demo", "--server", server, "--json", cwd: ws)
                expectEnvelope(r, exit: 7, code: "daemon_unavailable")
                let plain = try await env.kata("list", "--project", "demo", "--server", server, cwd: ws)
                #expect(plain.status == 7 && plain.stdout.isEmpty && !plain.stderr.isEmpty, "\(plain)")
            }
            #expect(Posix.katadPids(home: env.home).isEmpty, "--server never auto-starts the local daemon")
        }
    }

    /// tracker.md: the client reads `.kata.toml` itself; a broken one is a validation error naming the file.
    @Test("a .kata.toml with a TOML syntax error exits 3 naming the file")
    func brokenKataToml() async throws {
        try await withEnv { env in
            let ws = env.newDir()
            let file = ws + "/.kata.toml"
            try Posix.write(file, "version = = 1\n[project\nname = \"demo\"\n")
            let r = try await env.kata("list", "--json", cwd: ws)
            expectEnvelope(r, exit: 3)
            #expect(r.text.contains(file), "the message names the file: \(r)")
            let sub = ws + "/src"
            mkdir(sub, 0o755)
            let plain = try await env.kata("list", cwd: sub)
            #expect(plain.status == 3 && plain.stderr.contains(file), "found from a subfolder too: \(plain)")
        }
    }

    /// A KATA_HOME that cannot be created: a clean failure naming KATA_HOME, no crash.
    @Test("a KATA_HOME under a regular file fails cleanly, naming KATA_HOME")
    func uncreatableHome() async throws {
        try await withEnv { env in
            let file = env.base + "/plainfile"
            try Posix.write(file, "not a folder\n")
            let badHome = file + "/home"
            let ws = env.newDir()
            let r = try await env.kata("list", "--project", "demo", cwd: ws, home: badHome)
            #expect(r.status != 0 && !r.signaled && !r.timedOut, "\(r)")
            #expect(r.stderr.contains("KATA_HOME"), "the message names KATA_HOME: \(r)")
            let j = try await env.kata("init", "--project", "demo", "--json", cwd: ws, home: badHome)
            #expect(j.status != 0 && !j.signaled, "\(j)")
            #expect(j.json?["error"]?["message"]?.string?.contains("KATA_HOME") == true, "\(j)")
            #expect(!Posix.exists(ws + "/.kata.toml"), "a failed init writes no .kata.toml")

            let d = try env.spawnKatad([], home: badHome)
            let exit = await d.waitForExit(Limits.exit)
            let (status, signaled) = try #require(exit, "katad kept running with an impossible KATA_HOME:\n\(d.describe)")
            #expect(status != 0 && !signaled, "\(d.describe)")
            #expect(d.stderr.contains("KATA_HOME"), "\(d.describe)")
        }
    }

    /// tracker.md: malformed JSON … gets 400 with the error envelope; no input may produce a 500; the daemon
    /// keeps serving.
    @Test("malformed JSON straight to the API gets a 400 envelope and the daemon keeps serving")
    func malformedJSON() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            try await ws.create(titles[0])
            let pid = try ws.projectId()
            let api = ws.api
            let bodies = ["{bad", "", "{\"title\": ", "[1,2,3]", "{\"title\": 5}", "null", "\"just a string\"",
                "{\"title\": \"x\", \"body\": \"\\ud800\"}"]
            for path in ["/api/v1/projects/\(pid)/issues", "/api/v1/projects/\(pid)/issues/1/comments", "/api/v1/projects"] {
                for b in bodies {
                    let a = try api.postJSON(path, b)
                    #expect((400..<500).contains(a.status), "POST \(path) \(b.debugDescription): \(a)")
                    let j = a.json
                    #expect(j?["status"]?.int == Int64(a.status) && j?["error"]?["code"]?.string != nil
                        && j?["error"]?["message"]?.string != nil, "the error envelope: \(a)")
                }
            }
            let malformed = try api.postJSON("/api/v1/projects/\(pid)/issues", "{bad")
            #expect(malformed.status == 400)
            let nonUTF8 = try api.request(
                "POST", "/api/v1/projects/\(pid)/issues", body: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d],
                headers: [("Content-Type", "application/json")])
            #expect((400..<500).contains(nonUTF8.status), "\(nonUTF8)")
            #expect(try api.get("/api/v1/ping").status == 200, "the daemon keeps serving")
            #expect(try await ws.create(titles[1])["number"]?.int == 2)
            #expect(try await ws.list("--status", "all") == [2, 1], "the bad requests created nothing")
        }
    }
}
