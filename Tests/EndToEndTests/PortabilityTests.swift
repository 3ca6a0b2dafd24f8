// End-to-end tests of export/import and backup/restore with the real binaries (spec: operations.md,
// "Export, import, backup, restore"). Unix sockets only.

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("export, import, backup and restore", .timeLimit(.minutes(5)))
struct PortabilityE2ETests {
    static var adminPath: String { Bin.dir + "/kata-admin" }

    static func admin(_ env: TestEnv, _ args: [String], home: String, stdin: String? = nil) async throws -> RunResult {
        try await env.run(adminPath, args, home: home, stdin: stdin)
    }

    /// A workspace with issues, a comment, labels, a link, a purge, a user and a minted token.
    static func populated(_ env: TestEnv) async throws -> (ws: Workspace, token: String) {
        try #require(access(adminPath, X_OK) == 0)
        let ws = try await Workspace.make(env)
        try await ws.ok("create", "Login page crashes", "--label", "bug", "--body", "on empty password")
        try await ws.ok("create", "Rate-limit login", "--blocks", "1")
        try await ws.ok("create", "Doomed")
        try await ws.ok("comment", "1", "--body", "seen on Safari too")
        try await ws.ok("purge", "3", "--force", "--confirm", "PURGE #3")
        let user = try await admin(env, ["users", "create", "alice", "--role", "operator", "--password-stdin"], home: ws.home, stdin: "alice-pass-1\n")
        try #require(user.status == 0, "\(user)")
        let minted = try await admin(env, ["tokens", "create", "--actor", "alice", "--name", "laptop", "--json"], home: ws.home)
        let secret = try #require(minted.json?["secret"]?.string, "\(minted)")
        return (ws, secret)
    }

    /// Export → import into an empty home → export is byte-identical; the token minted before still
    /// authenticates, and token events stay out of the feeds.
    @Test func exportImportRoundTripIsByteIdenticalAndKeepsTokensWorking() async throws {
        try await withEnv { env in
            let (ws, token) = try await Self.populated(env)
            let first = env.base + "/first.jsonl"
            let exported = try await ws.k("export", "--out", first)
            #expect(exported.status == 0 && exported.json?["lines"]?.int ?? 0 > 10, "\(exported)")
            #expect(Posix.mode(first).map { $0 & 0o777 } == 0o600, "an export file is 0600")
            let text = try #require(Posix.read(first))
            #expect(text.hasSuffix("\n") && text.contains(#""kind":"token""#) && !text.contains(token), "hashes only")

            let home2 = env.newHome()
            let dir2 = env.newDir()
            let imported = try await env.kata("import", first, "--json", cwd: dir2, home: home2)
            #expect(imported.status == 0 && imported.json?["mode"]?.string == "exact", "\(imported)")
            #expect(imported.json?["imported"]?["issue"]?.int == 2 && imported.json?["imported"]?["token"]?.int == 1, "\(imported)")
            let again = try await env.kata("export", cwd: dir2, home: home2)
            #expect(again.status == 0)
            #expect(again.stdout == text, "export → import → export is byte-identical")

            let who = try await env.kata("whoami", "--json", cwd: dir2, home: home2, env: ["KATA_AUTH_TOKEN": token])
            #expect(who.status == 0 && who.json?["actor"]?.string == "alice", "a token minted before the export works after the import: \(who)")
            let events = try await env.kata("events", "--all-projects", "--json", cwd: dir2, home: home2)
            #expect(events.status == 0 && !events.stdout.contains("token.") && !events.stdout.contains("user."), "\(events)")
            let list = try await env.kata("list", "--project", "demo", "--json", cwd: dir2, home: home2)
            #expect(numbers(list.json?.list("issues")).sorted() == [1, 2], "\(list)")
            let created = try await env.kata("create", "After the import", "--project", "demo", "--json", cwd: dir2, home: home2)
            #expect(created.json?.issue["number"]?.int == 4, "numbering continues after the purged #3: \(created)")

            // An exact import into a home that holds data is refused; nothing changes.
            let twice = try await env.kata("import", first, "--json", cwd: dir2, home: home2)
            #expect(twice.status == 5 && twice.errorCode == "conflict", "\(twice)")
        }
    }

    /// Each bad file is refused with exit 3 naming its line; the target stays empty.
    @Test func badImportFilesAreRefusedByLine() async throws {
        try await withEnv { env in
            let (ws, _) = try await Self.populated(env)
            let good = try await ws.k("export")
            var lines = good.stdout.split(separator: "\n").map(String.init)
            let issueAt = try #require(lines.firstIndex { $0.contains(#""kind":"issue""#) })
            let files: [(String, String, String)] = [
                ("truncated", lines.prefix(lines.count - 2).joined(separator: "\n") + "\n", "line \(lines.count - 2): "),
                ("future", ([lines[0].replacingOccurrences(of: #""export_version":1"#, with: #""export_version":7"#)] + lines.dropFirst()).joined(separator: "\n") + "\n", "line 1: "),
                ("garbage", "PK\u{3}\u{4} not an export\n", "line 1: "),
                ("dangling", lines.enumerated().filter { $0.offset != issueAt }.map(\.element).joined(separator: "\n") + "\n", "refers to no issue"),
            ]
            lines.removeAll()
            let home = env.newHome()
            let dir = env.newDir()
            for (name, text, words) in files {
                let path = env.base + "/\(name).jsonl"
                try Posix.write(path, text)
                let r = try await env.kata("import", path, "--json", cwd: dir, home: home)
                #expect(r.status == 3 && r.errorCode == "validation", "\(name): \(r)")
                #expect(r.json?["error"]?["message"]?.string?.contains(words) == true, "\(name): \(r)")
                #expect(r.json?["error"]?["data"]?["line"]?.int != nil, "\(name) names its line: \(r)")
            }
            let projects = try await env.kata("projects", "list", "--json", cwd: dir, home: home)
            #expect(projects.json?.list("projects")?.isEmpty == true, "nothing was imported: \(projects)")
        }
    }

    /// A non-admin export carries no users, tokens or system events.
    @Test func aNonAdminExportHasNoCredentials() async throws {
        try await withEnv { env in
            let (ws, _) = try await Self.populated(env)
            let viewer = try await Self.admin(env, ["tokens", "create", "--actor", "vic", "--name", "ro", "--role", "viewer", "--json"], home: ws.home)
            let secret = try #require(viewer.json?["secret"]?.string, "\(viewer)")
            let r = try await ws.env.kata(args: ["export"], cwd: ws.path, home: ws.home, env: ["KATA_AUTH_TOKEN": secret])
            #expect(r.status == 0, "\(r)")
            for banned in [#""kind":"user""#, #""kind":"token""#, "argon2", "token.created", "_system"] {
                #expect(!r.stdout.contains(banned), "a viewer's export has no \(banned)")
            }
            #expect(r.stdout.contains(#""kind":"issue""#))
            try Posix.write(env.base + "/viewer.jsonl", r.stdout)
            let imp = try await ws.env.kata(args: ["import", "--merge", env.base + "/viewer.jsonl", "--json"], cwd: ws.path, home: ws.home, env: ["KATA_AUTH_TOKEN": secret])
            #expect(imp.status == 8 && imp.errorCode == "forbidden", "a viewer cannot import: \(imp)")
        }
    }

    /// An online backup while writes go on; restore refuses a running daemon and a non-SQLite file, then
    /// puts the backup back; a token minted before the backup works after the restore.
    @Test func backupWhileServingAndRestore() async throws {
        try await withEnv { env in
            let (ws, token) = try await Self.populated(env)
            // Writes keep flowing during the backup.
            async let writes: [RunResult] = withThrowingTaskGroup(of: RunResult.self) { group in
                for i in 0..<6 { group.addTask { try await ws.k("create", "Written during the backup \(i)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let backupPath = env.base + "/kata-backup.db"
            let backup = try await Self.admin(env, ["backup", "--out", backupPath, "--json"], home: ws.home)
            #expect(backup.status == 0 && backup.json?["bytes"]?.int ?? 0 > 0, "\(backup)")
            for w in try await writes { #expect(w.status == 0, "writes are served during a backup: \(w)") }
            #expect(Posix.mode(backupPath).map { $0 & 0o777 } == 0o600, "the backup is 0600")
            let exists = try await Self.admin(env, ["backup", "--out", backupPath], home: ws.home)
            #expect(exists.status == 5, "an existing file is not replaced without --force: \(exists)")

            // After the backup: a new issue that the restore will take away.
            try await ws.ok("create", "After the backup")
            let running = try await Self.admin(env, ["restore", backupPath], home: ws.home)
            #expect(running.status == 5 && running.stderr.contains("kata daemon stop"), "restore refuses a running daemon: \(running)")
            #expect(try await ws.k("daemon", "stop").status == 0)

            let notDB = env.base + "/not-a-db"
            try Posix.write(notDB, "hello, I am not SQLite\n")
            let refused = try await Self.admin(env, ["restore", notDB], home: ws.home)
            #expect(refused.status == 3 && refused.stderr.contains("not a SQLite database"), "\(refused)")

            let restored = try await Self.admin(env, ["restore", backupPath, "--json"], home: ws.home)
            #expect(restored.status == 0, "\(restored)")
            let previous = try #require(restored.json?["previous"]?.string, "\(restored)")
            #expect(Posix.exists(previous), "the previous database is kept aside")
            #expect(Posix.mode(ws.home + "/kata.db").map { $0 & 0o777 } == 0o600)

            let list = try await ws.k("list", "--status", "all", "--limit", "100")
            let titles = (list.json?.list("issues") ?? []).compactMap { $0["title"]?.string }
            #expect(!titles.contains("After the backup") && titles.contains("Login page crashes"), "\(titles)")
            let who = try await ws.env.kata(args: ["whoami", "--json"], cwd: ws.path, home: ws.home, env: ["KATA_AUTH_TOKEN": token])
            #expect(who.json?["actor"]?.string == "alice", "a token minted before the backup works after the restore: \(who)")
        }
    }
}
