// End-to-end tests of users, roles and login sessions with the real `kata`, `kata-admin` and `katad`
// binaries (spec: auth.md, "Users, roles and sessions").
//
// One daemon home holds the database; each user runs `kata` with a home of their own (so each has
// their own credentials.toml) and KATA_SERVER pointing at the daemon's Unix socket. No network.

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("users, roles and login sessions", .timeLimit(.minutes(5)))
struct UsersRolesTests {
    static let bootstrap = "e2e-users-bootstrap-7d41c0"
    static var adminPath: String { Bin.dir + "/kata-admin" }

    /// A daemon home with a bootstrap token, and a running daemon.
    struct Site {
        let env: TestEnv
        let home: String
        let workspace: String
        let daemon: KatadProcess
        var socket: String { home + "/run/katad.sock" }
        var server: String { "unix://" + socket }

        static func start(_ env: TestEnv) async throws -> Site {
            try #require(access(UsersRolesTests.adminPath, X_OK) == 0, "kata-admin not built")
            let home = env.newHome()
            try #require(mkdir(home, 0o700) == 0)
            try Posix.write(home + "/config.toml", "[auth]\ntoken = \"\(UsersRolesTests.bootstrap)\"\nsession_ttl = \"2h\"\n")
            chmod(home + "/config.toml", 0o600)
            let daemon = try await env.startKatad([], home: home)
            return Site(env: env, home: home, workspace: env.newDir(), daemon: daemon)
        }

        func admin(_ args: String..., stdin: String? = nil) async throws -> RunResult {
            try await env.run(UsersRolesTests.adminPath, args, home: home, stdin: stdin)
        }

        /// A client home of its own for `user` (0700), so each user keeps their own credentials.toml.
        func clientHome(_ user: String) throws -> String {
            let h = env.newHome()
            if access(h, F_OK) != 0 { try #require(mkdir(h, 0o700) == 0) }
            return h
        }

        /// `kata ARGS --json` in the shared workspace as the client with home `clientHome`.
        func kata(_ clientHome: String, _ args: [String], stdin: String? = nil, extra: [String: String?] = [:]) async throws -> RunResult {
            var e: [String: String?] = ["KATA_SERVER": server]
            for (k, v) in extra { e[k] = v }
            return try await env.kata(args: args + ["--json"], cwd: workspace, home: clientHome, env: e, stdin: stdin)
        }

        /// Creates user `name` with `role` and `password` through kata-admin.
        func makeUser(_ name: String, _ role: String, _ password: String) async throws {
            let r = try await admin("users", "create", name, "--role", role, "--password-stdin", "--json", stdin: password + "\n")
            try #require(r.status == 0, "users create \(name): \(r)")
            #expect(r.json?["user"]?["role"]?.string == role && r.json?["user"]?["has_password"]?.bool == true, "\(r)")
        }

        /// Logs in as `name` from a new client home; returns that home.
        func login(_ name: String, _ password: String) async throws -> String {
            let h = try clientHome(name)
            let r = try await kata(h, ["auth", "login", "--username", name, "--password-stdin"], stdin: password + "\n")
            try #require(r.status == 0, "login \(name): \(r)")
            #expect(r.json?["actor"]?.string == name && r.json?["kind"]?.string == "session", "\(r)")
            #expect(r.json?["token"] == nil && !r.stdout.contains("kata_"), "the token is never printed: \(r)")
            return h
        }
    }

    static let passwords = [
        "vera": "viewer-pass-83a1", "uma": "user-pass-5c02", "otto": "operator-pass-9e7d", "ada": "admin-pass-11f4",
    ]

    /// The spec's role table, end to end: a viewer reads and streams but a write exits 8; a user writes
    /// but cannot purge; an operator can; an admin mints a token for another actor.
    @Test func rolesAreEnforcedForLoggedInUsers() async throws {
        try await withEnv { env in
            let site = try await Site.start(env)
            let p = Self.passwords
            for (name, role) in [("vera", "viewer"), ("uma", "user"), ("otto", "operator"), ("ada", "admin")] {
                try await site.makeUser(name, role, p[name]!)
            }
            let vera = try await site.login("vera", p["vera"]!)
            let uma = try await site.login("uma", p["uma"]!)
            let otto = try await site.login("otto", p["otto"]!)
            let ada = try await site.login("ada", p["ada"]!)

            // Project init needs operator.
            let umaInit = try await site.kata(uma, ["init", "--project", "demo"])
            #expect(umaInit.status == 8 && umaInit.errorCode == "forbidden", "\(umaInit)")
            #expect(umaInit.json?["error"]?["message"]?.string?.contains("operator") == true, "names the role needed: \(umaInit)")
            let ottoInit = try await site.kata(otto, ["init", "--project", "demo"])
            #expect(ottoInit.status == 0, "\(ottoInit)")
            // Binding another workspace to the project that now exists is a user write.
            let umaBind = try await env.kata(
                args: ["init", "--project", "demo", "--json"], cwd: env.newDir(), home: uma, env: ["KATA_SERVER": site.server])
            #expect(umaBind.status == 0 && umaBind.json?["created"]?.bool == false, "\(umaBind)")

            // A user writes, attributed to the user whatever --actor says.
            for title in ["First", "Second"] {
                let c = try await site.kata(uma, ["create", title, "--actor", "someone-else"])
                #expect(c.status == 0 && c.json?.issue["author"]?.string == "uma", "\(c)")
            }

            // A viewer reads, polls events and streams, but cannot write.
            let list = try await site.kata(vera, ["list"])
            #expect(list.status == 0 && numbers(list.json?.list("issues", "items")).sorted() == [1, 2], "\(list)")
            let events = try await site.kata(vera, ["events"])
            #expect(events.status == 0, "\(events)")
            let veraToken = try #require(Self.storedToken(vera, server: site.server))
            let stream = try SSEStream(.unix(path: site.socket), "/api/v1/events/stream?after_id=0", headers: [("Authorization", "Bearer \(veraToken)")])
            #expect(await stream.waitForHead() == 200, "a viewer streams")
            let write = try await site.kata(vera, ["create", "Viewer's issue"])
            #expect(write.status == 8 && write.errorCode == "forbidden", "\(write)")
            #expect(write.json?["error"]?["message"]?.string?.contains("user") == true, "\(write)")
            let comment = try await site.kata(vera, ["comment", "1", "--body", "hi"])
            #expect(comment.status == 8 && comment.errorCode == "forbidden", "\(comment)")

            // A user cannot purge or delete; an operator can.
            let umaPurge = try await site.kata(uma, ["purge", "2", "--force", "--confirm", "PURGE #2"])
            #expect(umaPurge.status == 8 && umaPurge.errorCode == "forbidden", "\(umaPurge)")
            let umaDelete = try await site.kata(uma, ["delete", "2", "--force", "--confirm", "DELETE #2"])
            #expect(umaDelete.status == 8 && umaDelete.errorCode == "forbidden", "\(umaDelete)")
            let ottoPurge = try await site.kata(otto, ["purge", "2", "--force", "--confirm", "PURGE #2"])
            #expect(ottoPurge.status == 0, "\(ottoPurge)")
            let after = try await site.kata(vera, ["list"])
            #expect(numbers(after.json?.list("issues", "items")) == [1], "\(after)")

            // Token administration: only the admin, and never above the target user's role.
            let umaMint = try await site.kata(uma, ["tokens", "create", "--actor", "uma", "--name", "cli"])
            #expect(umaMint.status == 8 && umaMint.errorCode == "forbidden", "\(umaMint)")
            let adaMint = try await site.kata(ada, ["tokens", "create", "--actor", "uma", "--name", "laptop"])
            #expect(adaMint.status == 0 && adaMint.json?["token"]?["actor"]?.string == "uma", "an admin mints for others: \(adaMint)")
            let minted = try #require(adaMint.json?["secret"]?.string)
            let who = try await site.kata(site.clientHomeless, ["whoami"], extra: ["KATA_AUTH_TOKEN": minted])
            #expect(who.json?["actor"]?.string == "uma" && who.json?["role"]?.string == "user", "\(who)")
            let tooHigh = try await site.kata(ada, ["tokens", "create", "--actor", "vera", "--name", "x", "--role", "user"])
            #expect(tooHigh.status == 3 && tooHigh.errorCode == "validation", "a token never outranks its user: \(tooHigh)")

            // kata-admin lists the users and their roles, never a hash.
            let users = try await site.admin("users", "list", "--json")
            let roles = Dictionary(
                uniqueKeysWithValues: (users.json?["users"]?.array ?? []).compactMap { u in u["name"]?.string.map { ($0, u["role"]?.string ?? "") } })
            #expect(roles == ["vera": "viewer", "uma": "user", "otto": "operator", "ada": "admin"], "\(users)")
            #expect(!users.stdout.contains("argon2"), "\(users)")
        }
    }

    /// `kata auth status`, `logout --revoke` (the session dies server-side: a copy of the token no longer
    /// works), a disabled user's session fails at once, wrong user and wrong password answer alike, and
    /// credentials.toml is 0600.
    @Test func sessionsLogoutRevokeAndDisable() async throws {
        try await withEnv { env in
            let site = try await Site.start(env)
            try await site.makeUser("uma", "user", "user-pass-5c02")
            try await site.makeUser("otto", "operator", "operator-pass-9e7d")

            // Not logged in yet.
            let fresh = try site.clientHome("x")
            let none = try await site.kata(fresh, ["auth", "status"])
            #expect(none.status == 0 && none.json?["logged_in"]?.bool == false && none.json?["source"]?.string == "none", "\(none)")

            // Wrong password and unknown user: the same exit, code and message.
            let wrongPass = try await site.kata(fresh, ["auth", "login", "--username", "uma", "--password-stdin"], stdin: "nope-nope\n")
            let wrongUser = try await site.kata(fresh, ["auth", "login", "--username", "umaa", "--password-stdin"], stdin: "user-pass-5c02\n")
            #expect(wrongPass.status == 8 && wrongPass.errorCode == "invalid_credentials", "\(wrongPass)")
            #expect(wrongUser.status == 8 && wrongUser.errorCode == "invalid_credentials", "\(wrongUser)")
            #expect(wrongPass.json?["error"]?["message"] == wrongUser.json?["error"]?["message"], "indistinguishable")
            #expect(!Posix.exists(fresh + "/credentials.toml"), "a failed login stores nothing")

            let uma = try await site.login("uma", "user-pass-5c02")
            let creds = uma + "/credentials.toml"
            #expect(Posix.mode(creds).map { $0 & 0o777 } == 0o600, "credentials.toml is 0600")
            let status = try await site.kata(uma, ["auth", "status"])
            #expect(status.status == 0, "\(status)")
            let s = try #require(status.json)
            #expect(s["server"]?.string == site.server && s["logged_in"]?.bool == true && s["actor"]?.string == "uma", "\(s)")
            #expect(s["role"]?.string == "user" && s["kind"]?.string == "session" && s["accepted"]?.bool == true, "\(s)")
            #expect(s["source"]?.string == "credentials.toml" && s["expires_at"]?.string != nil, "\(s)")
            let who = try await site.kata(uma, ["whoami"])
            #expect(who.json?["principal"]?.string == "session" && who.json?["actor"]?.string == "uma", "\(who)")

            // logout --revoke: the stored entry is gone and a copy of the token is dead server-side.
            let copy = try #require(Self.storedToken(uma, server: site.server))
            let out = try await site.kata(uma, ["auth", "logout", "--revoke"])
            #expect(out.status == 0 && out.json?["revoked"]?.bool == true && out.json?["logged_in"]?.bool == false, "\(out)")
            #expect(Self.storedToken(uma, server: site.server) == nil)
            let reuse = try await site.kata(site.clientHomeless, ["whoami"], extra: ["KATA_AUTH_TOKEN": copy])
            #expect(reuse.status == 8 && reuse.errorCode == "token_invalid", "\(reuse)")

            // Plain logout keeps the session alive on the server.
            let uma2 = try await site.login("uma", "user-pass-5c02")
            let copy2 = try #require(Self.storedToken(uma2, server: site.server))
            let plainOut = try await site.kata(uma2, ["auth", "logout"])
            #expect(plainOut.status == 0 && plainOut.json?["revoked"] == nil, "\(plainOut)")
            let stillValid = try await site.kata(site.clientHomeless, ["whoami"], extra: ["KATA_AUTH_TOKEN": copy2])
            #expect(stillValid.status == 0, "\(stillValid)")

            // Disabling a user kills their session and tokens at once.
            let otto = try await site.login("otto", "operator-pass-9e7d")
            #expect(try await site.kata(otto, ["init", "--project", "demo"]).status == 0)
            let disabled = try await site.admin("users", "disable", "otto", "--json")
            #expect(disabled.status == 0 && disabled.json?["user"]?["disabled_at"]?.string != nil, "\(disabled)")
            let dead = try await site.kata(otto, ["list"])
            #expect(dead.status == 8 && dead.errorCode == "token_invalid", "\(dead)")
            let deadStatus = try await site.kata(otto, ["auth", "status"])
            #expect(deadStatus.json?["logged_in"]?.bool == true && deadStatus.json?["accepted"]?.bool == false, "\(deadStatus)")
            let relogin = try await site.kata(otto, ["auth", "login", "--username", "otto", "--password-stdin"], stdin: "operator-pass-9e7d\n")
            #expect(relogin.status == 8 && relogin.errorCode == "invalid_credentials", "\(relogin)")

            // A new password works; the old one no longer does.
            let passwd = try await site.admin("users", "passwd", "uma", "--password-stdin", "--json", stdin: "a-new-pass-44\n")
            #expect(passwd.status == 0, "\(passwd)")
            let old = try await site.kata(fresh, ["auth", "login", "--username", "uma", "--password-stdin"], stdin: "user-pass-5c02\n")
            #expect(old.status == 8 && old.errorCode == "invalid_credentials", "\(old)")
            _ = try await site.login("uma", "a-new-pass-44")
        }
    }

    /// Passwords are nowhere in clear: not in any file under the daemon's home (database, WAL, logs) or
    /// the clients' homes, nor in any answer.
    @Test func passwordsAreNeverStoredOrLoggedInClear() async throws {
        try await withEnv { env in
            let site = try await Site.start(env)
            let password = "zebra-quartz-9917-plum"
            try await site.makeUser("uma", "user", password)
            let uma = try await site.login("uma", password)
            _ = try await site.kata(uma, ["auth", "login", "--username", "uma", "--password-stdin"], stdin: "wrong-\(password)\n")
            let passwd = try await site.admin("users", "passwd", "uma", "--password-stdin", stdin: password + "-2\n")
            #expect(passwd.status == 0, "\(passwd)")
            let list = try await site.admin("users", "list", "--json")
            #expect(!list.stdout.contains(password), "\(list)")
            var scanned: [String] = []
            for file in Posix.files(under: site.home) + Posix.files(under: uma) + [site.daemon.stdoutPath, site.daemon.stderrPath] {
                let bytes = FileManager.default.contents(atPath: file) ?? Data()
                scanned.append(file)
                #expect(bytes.range(of: Data(password.utf8)) == nil, "the password is in \(file)")
            }
            #expect(scanned.contains(site.home + "/kata.db") && scanned.contains(uma + "/credentials.toml"), "\(scanned)")
            // What is stored is an argon2id hash (in the database or its WAL).
            let db = Posix.files(under: site.home).filter { $0.contains("kata.db") }
                .reduce(into: Data()) { $0.append(FileManager.default.contents(atPath: $1) ?? Data()) }
            #expect(db.range(of: Data("$argon2id$v=19$m=19456,t=2,p=1$".utf8)) != nil, "the database holds an argon2id hash")
        }
    }

    /// On a terminal the password is prompted for without echo (driven through a pseudo-terminal by
    /// python3's pty module, which the test machine has).
    @Test func thePasswordPromptDoesNotEcho() async throws {
        try await withEnv { env in
            let site = try await Site.start(env)
            try await site.makeUser("zed", "user", "zed-prompt-pass-42")
            let client = try site.clientHome("zed")
            let script = """
                import os, pty, sys, time, select
                pid, fd = pty.fork()
                if pid == 0:
                    os.environ.update({"KATA_HOME": sys.argv[2], "KATA_SERVER": sys.argv[3]})
                    os.execv(sys.argv[1], [sys.argv[1], "auth", "login", "--username", "zed"])
                out = b""
                def pump(seconds, until=None):
                    global out
                    end = time.time() + seconds
                    while time.time() < end and not (until and until in out):
                        r, _, _ = select.select([fd], [], [], 0.1)
                        if r:
                            try:
                                out += os.read(fd, 4096)
                            except OSError:
                                return
                pump(20, b"Password for zed: ")
                os.write(fd, sys.argv[4].encode() + b"\\n")
                pump(20, b"logged in")
                sys.stdout.write(out.decode(errors="replace"))
                """
            let r = try await env.run(
                "/usr/bin/env", ["python3", "-c", script, Bin.kata, client, site.server, "zed-prompt-pass-42"], timeout: 60)
            #expect(r.stdout.contains("Password for zed: ") && r.stdout.contains("logged in to"), "\(r)")
            #expect(!r.stdout.contains("zed-prompt-pass-42"), "the typed password is not echoed: \(r)")
            #expect(Self.storedToken(client, server: site.server) != nil)
        }
    }

    // MARK: Helpers

    /// The token credentials.toml of `home` holds for `server`.
    static func storedToken(_ home: String, server: String) -> String? {
        guard let c = try? Credentials.load(home: KataHome(root: home)) else { return nil }
        return c.servers[server]?.token
    }
}

extension UsersRolesTests.Site {
    /// A client home with no stored login, for calls that pass KATA_AUTH_TOKEN.
    var clientHomeless: String { workspace + "/.no-login-home" }
}
