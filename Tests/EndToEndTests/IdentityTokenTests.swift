// End-to-end tests of DB-backed identity tokens and the trusted-proxy actor header, with the real
// `kata`, `kata-admin` and `katad` binaries (spec: auth.md, "Request authentication on the API
// listeners", "Identity tokens (DB-backed)", "Trusted-proxy actor header", and start-up rule 6).
//
// Every test runs in its own temporary folder through `withEnv`, which stops (by pid) every daemon the
// test started and removes the folder. Only Unix sockets are used: no network is touched.

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("identity tokens and the trusted-proxy header", .timeLimit(.minutes(5)))
struct IdentityTokenTests {
    // MARK: Minting; the secret is shown once and only its hash is kept

    /// `kata tokens create` (local daemon) and `kata-admin tokens create` (admin socket) mint tokens whose
    /// secret matches `kata_` + ≥ 43 URL-safe characters; afterwards the secret appears in no file under
    /// KATA_HOME (byte search of kata.db, -wal, -shm, logs, run/), in no list, event feed or health answer;
    /// the database holds its SHA-256 hex.
    @Test func mintedSecretIsShownOnceAndOnlyItsHashIsStored() async throws {
        try await withEnv { env in
            try IDT.requireAdmin()
            try #require(IDT.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "the test's SHA-256")
            let ws = try await Workspace.make(env)

            let viaKata = try IDT.minted(try await ws.k("tokens", "create", "--actor", "alice", "--name", "laptop"))
            let viaAdmin = try IDT.minted(
                try await IDT.admin(env, ["tokens", "create", "--actor", "bob", "--name", "ci", "--role", "admin", "--json"], home: ws.home))
            #expect(viaKata.secret != viaAdmin.secret)

            for (m, actor, name, role) in [(viaKata, "alice", "laptop", "user"), (viaAdmin, "bob", "ci", "admin")] {
                #expect(IDT.isSecret(m.secret), "secret format kata_ + >= 43 URL-safe characters: \(m.secret)")
                let t = m.token
                #expect(t["actor"]?.string == actor && t["name"]?.string == name && t["role"]?.string == role, "\(t)")
                #expect(t["kind"]?.string == "token", "\(t)")
                #expect(Wire.isULID(t["uid"]?.string) && Wire.isTimestamp(t["created_at"]?.string), "\(t)")
                #expect(t["last_used_at"]?.isNull == true && t["expires_at"]?.isNull == true && t["revoked_at"]?.isNull == true, "\(t)")
                let prefix = try #require(t["prefix"]?.string, "\(t)")
                #expect(prefix.hasPrefix("kata_") && m.secret.hasPrefix(prefix) && prefix.count < 16, "a short display prefix: \(prefix)")
                #expect(t["secret"] == nil && t["hash"] == nil, "the token object carries no secret or hash: \(t)")
            }
            #expect(viaAdmin.token["created_by"]?.string?.hasPrefix("admin:") == true, "kata-admin records the operator: \(viaAdmin.token)")

            // Use both (the admin-role token administers tokens over the API).
            let who = try await IDT.kata(ws, viaKata.secret, "whoami")
            #expect(who.status == 0 && who.json?["actor"]?.string == "alice", "\(who)")
            let listedByAdminToken = try await IDT.kata(ws, viaAdmin.secret, "tokens", "list")
            #expect(listedByAdminToken.status == 0, "an admin-role token administers tokens: \(listedByAdminToken)")

            // Nowhere in answers.
            var outputs: [(String, String)] = []
            for args in [["tokens", "list", "--json"], ["tokens", "list"], ["events", "--all-projects", "--json"], ["health", "--json"]] {
                let r = try await env.kata(args: args, cwd: ws.path, home: ws.home)
                #expect(r.status == 0, "\(r)")
                outputs.append((r.display, r.text))
            }
            for args in [["tokens", "list", "--json"], ["tokens", "list"]] {
                let r = try await IDT.admin(env, args, home: ws.home)
                #expect(r.status == 0, "\(r)")
                outputs.append((r.display, r.text))
            }
            outputs.append(("kata tokens list (admin token)", listedByAdminToken.text))
            for path in ["/api/v1/tokens", "/api/v1/events?after_id=0&limit=1000", "/api/v1/health", "/api/v1/projects"] {
                let a = try ws.api.get(path)
                #expect(a.status == 200, "GET \(path): \(a)")
                outputs.append(("GET \(path)", a.text))
            }
            let sse = try SSEStream(.unix(path: ws.socket), "/api/v1/events/stream?after_id=0")
            #expect(await sse.waitForHead() == 200)
            await sse.settle(0.5)
            outputs.append(("the event stream", sse.frames.map { $0.data ?? "" }.joined(separator: "\n")))
            for m in [viaKata, viaAdmin] {
                for (what, text) in outputs {
                    #expect(!text.contains(m.secret) && !text.contains(m.body), "the secret of \(m.id) leaked into \(what)")
                    #expect(!text.contains(m.hash), "the hash of \(m.id) leaked into \(what)")
                }
            }
            let listed = try #require(try await ws.k("tokens", "list").json?["tokens"]?.array)
            #expect(Set(listed.compactMap { $0["id"]?.int }) == [viaKata.id, viaAdmin.id], "\(listed)")

            // Nowhere on disk; the database holds the SHA-256 hex.
            func checkDisk(_ when: String) {
                let files = Posix.files(under: ws.home)
                #expect(files.contains { $0.hasSuffix("/kata.db") }, "\(files)")
                for m in [viaKata, viaAdmin] {
                    #expect(IDT.filesContaining(m.secret, under: ws.home).isEmpty, "\(when): the secret of token \(m.id) is on disk")
                    #expect(IDT.filesContaining(m.body, under: ws.home).isEmpty, "\(when): the secret's random part of \(m.id) is on disk")
                    let db = IDT.concat(files.filter { $0.hasSuffix("/kata.db") || $0.hasSuffix("/kata.db-wal") })
                    #expect(IDT.contains(db, m.hash), "\(when): the database holds the SHA-256 hex of token \(m.id)")
                }
            }
            checkDisk("daemon running")
            let stop = try await ws.k("daemon", "stop")
            #expect(stop.status == 0, "\(stop)")
            checkDisk("daemon stopped")
        }
    }

    // MARK: Attribution and whoami

    /// A write with a DB-backed token is attributed to the token's actor although `--actor` (CLI) or the
    /// body (API) names someone else; `kata whoami` with it says principal `token`.
    @Test func writesWithATokenAreAttributedToItsActor() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let carol = try IDT.minted(try await ws.k("tokens", "create", "--actor", "carol", "--name", "desk", "--expires", "30d"))

            let viaCLI = try await IDT.kata(ws, carol.secret, "create", "Written by carol's token", "--actor", "mallory")
            #expect(viaCLI.status == 0, "\(viaCLI)")
            #expect(viaCLI.json?.issue["author"]?.string == "carol", "the token's actor, not --actor: \(viaCLI)")
            #expect(viaCLI.json?["event"]?["actor"]?.string == "carol", "the event too: \(viaCLI)")
            let number = try #require(viaCLI.json?.issue["number"]?.int)
            let comment = try await IDT.kata(ws, carol.secret, "comment", "\(number)", "--body", "a remark", "--actor", "mallory")
            #expect(comment.status == 0 && comment.json?["event"]?["actor"]?.string == "carol", "a comment too: \(comment)")
            let events = try await ws.events()
            #expect(!events.isEmpty && events.allSatisfy { $0["actor"]?.string == "carol" }, "no write went to the claimed actor: \(events)")

            let pid = try ws.projectId()
            let viaAPI = try ws.api.request(
                "POST", "/api/v1/projects/\(pid)/issues", body: Array(#"{"title":"API write","body":"","actor":"bob","force_new":true}"#.utf8),
                headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(carol.secret)")])
            #expect(viaAPI.status == 201, "\(viaAPI)")
            #expect(viaAPI.json?.issue["author"]?.string == "carol", "the token's actor, not the body's: \(viaAPI)")
            let claimed = try ws.api.request(
                "POST", "/api/v1/projects/\(pid)/issues", body: Array(#"{"title":"Local write","body":"","actor":"bob","force_new":true}"#.utf8),
                headers: [("Content-Type", "application/json")])
            #expect(claimed.json?.issue["author"]?.string == "bob", "without a token the local daemon takes the body's actor: \(claimed)")

            let who = try await IDT.kata(ws, carol.secret, "whoami", "--actor", "mallory")
            #expect(who.status == 0, "\(who)")
            #expect(who.json?["actor"]?.string == "carol" && who.json?["principal"]?.string == "token", "\(who)")
            #expect(who.json?["role"]?.string == "user" && who.json?["token_id"]?.int == carol.id, "\(who)")
            #expect(who.json?["expires_at"]?.string == carol.token["expires_at"]?.string && carol.token["expires_at"]?.string != nil, "\(who)")
            let whoText = try await env.kata(args: ["whoami"], cwd: ws.path, home: ws.home, env: ["KATA_AUTH_TOKEN": carol.secret])
            #expect(whoText.status == 0 && whoText.stdout.contains("carol") && whoText.stdout.contains("token"), "\(whoText)")
            let local = try await ws.k("whoami")
            #expect(local.json?["principal"]?.string == "local" && (local.json?["token_id"]?.isNull ?? true), "\(local)")

            // `last used` is current at once in the list.
            let listed = try #require(try await ws.k("tokens", "list").json?["tokens"]?.array)
            let row = try #require(listed.first { $0["id"]?.int == carol.id })
            #expect(Wire.isTimestamp(row["last_used_at"]?.string), "last_used_at is kept current: \(row)")
        }
    }

    // MARK: Revoked and expired tokens

    /// A revoked token (by `kata tokens revoke` or `kata-admin tokens revoke`) is refused on the very next
    /// request: exit 8 / 403 `token_invalid`; so is an expired one (`--expires 1s`, 2 s later).
    @Test func revokedAndExpiredTokensAreRefusedAtOnce() async throws {
        try await withEnv { env in
            try IDT.requireAdmin()
            let ws = try await Workspace.make(env)
            let dave = try IDT.minted(try await ws.k("tokens", "create", "--actor", "dave", "--name", "laptop"))
            let erin = try IDT.minted(try await ws.k("tokens", "create", "--actor", "erin", "--name", "laptop"))
            let shortLived = try IDT.minted(try await ws.k("tokens", "create", "--actor", "fay", "--name", "brief", "--expires", "1s"))
            #expect(Wire.isTimestamp(shortLived.token["expires_at"]?.string), "\(shortLived.token)")
            for m in [dave, erin] {
                let ok = try await IDT.kata(ws, m.secret, "create", "Before revocation \(m.id)")
                #expect(ok.status == 0, "\(ok)")
            }

            let revoke = try await ws.k("tokens", "revoke", "\(dave.id)")
            #expect(revoke.status == 0 && revoke.json?["changed"]?.bool == true, "\(revoke)")
            #expect(Wire.isTimestamp(revoke.json?["token"]?["revoked_at"]?.string), "\(revoke)")
            let refused = try await IDT.kata(ws, dave.secret, "create", "After revocation")
            #expect(refused.status == 8 && refused.errorCode == "token_invalid", "the very next request: \(refused)")
            let raw = try ws.api.get("/api/v1/projects", headers: [("Authorization", "Bearer \(dave.secret)")])
            #expect(raw.status == 403 && raw.errorCode == "token_invalid", "\(raw)")
            let again = try await ws.k("tokens", "revoke", "\(dave.id)")
            #expect(again.status == 0 && again.json?["changed"]?.bool == false, "revoking twice changes nothing: \(again)")

            let adminRevoke = try await IDT.admin(env, ["tokens", "revoke", "\(erin.id)", "--json"], home: ws.home)
            #expect(adminRevoke.status == 0 && adminRevoke.json?["changed"]?.bool == true, "\(adminRevoke)")
            let refused2 = try await IDT.kata(ws, erin.secret, "whoami")
            #expect(refused2.status == 8 && refused2.errorCode == "token_invalid", "\(refused2)")

            let unknown = try await ws.k("tokens", "revoke", "999")
            #expect(unknown.status == 4 && unknown.errorCode == "not_found", "\(unknown)")

            await pause(2.2)
            let expired = try await IDT.kata(ws, shortLived.secret, "whoami")
            #expect(expired.status == 8 && expired.errorCode == "token_invalid", "an expired token: \(expired)")
            let expiredRaw = try ws.api.request(
                "POST", "/api/v1/projects/\(try ws.projectId())/issues", body: Array(#"{"title":"late","body":"","actor":"fay"}"#.utf8),
                headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(shortLived.secret)")])
            #expect(expiredRaw.status == 403 && expiredRaw.errorCode == "token_invalid", "\(expiredRaw)")
            #expect(try await ws.list().count == 2, "only the writes made before revocation exist")

            let listed = try #require(try await ws.k("tokens", "list").json?["tokens"]?.array)
            #expect(listed.first { $0["id"]?.int == dave.id }?["revoked_at"]?.string != nil, "\(listed)")
            #expect(listed.first { $0["id"]?.int == erin.id }?["revoked_at"]?.string != nil, "\(listed)")
        }
    }

    // MARK: Bad requests

    /// Unknown role, empty actor, blank name, zero/negative/unparsable `--expires` → exit 3 `validation`
    /// naming the field; a duplicate name for the same actor → exit 5 `token_name_taken` (kata and
    /// kata-admin); the same name for another actor is fine.
    @Test func badTokenRequestsAreRefusedNamingTheField() async throws {
        try await withEnv { env in
            try IDT.requireAdmin()
            let ws = try await Workspace.make(env)
            let cases: [([String], String)] = [
                (["--actor", "gus", "--name", "a", "--role", "superuser"], "role"),
                (["--actor", "", "--name", "a"], "actor"),
                (["--actor", "gus", "--name", "  "], "name"),
                (["--actor", "gus", "--name", "a", "--expires", "0s"], "expires"),
                (["--actor", "gus", "--name", "a", "--expires=-5s"], "expires"),
                (["--actor", "gus", "--name", "a", "--expires", "soon"], "expires"),
            ]
            for (args, field) in cases {
                let r = try await env.kata(args: ["tokens", "create"] + args + ["--json"], cwd: ws.path, home: ws.home)
                #expect(r.status == 3 && r.errorCode == "validation", "\(args): \(r)")
                #expect(r.json?["error"]?["data"]?["field"]?.string == field, "names \(field): \(r)")
                #expect(r.json?["error"]?["message"]?.string?.hasPrefix(field) == true, "the message names \(field): \(r)")
                let text = try await env.kata(args: ["tokens", "create"] + args, cwd: ws.path, home: ws.home)
                #expect(text.status == 3 && text.stderr.contains(field), "\(text)")
            }
            let badAdmin = try await IDT.admin(env, ["tokens", "create", "--actor", "gus", "--name", "a", "--role", "root"], home: ws.home)
            #expect(badAdmin.status == 3 && badAdmin.stderr.contains("role"), "\(badAdmin)")
            #expect(try #require(try await ws.k("tokens", "list").json?["tokens"]?.array).isEmpty, "nothing was minted")

            _ = try IDT.minted(try await ws.k("tokens", "create", "--actor", "gus", "--name", "laptop"))
            let dup = try await ws.k("tokens", "create", "--actor", "gus", "--name", "laptop", "--role", "viewer")
            #expect(dup.status == 5 && dup.errorCode == "token_name_taken", "\(dup)")
            let dupAdmin = try await IDT.admin(env, ["tokens", "create", "--actor", "gus", "--name", "laptop", "--json"], home: ws.home)
            #expect(dupAdmin.status == 5 && dupAdmin.errorCode == "token_name_taken", "\(dupAdmin)")
            let other = try IDT.minted(try await ws.k("tokens", "create", "--actor", "hal", "--name", "laptop"))
            #expect(other.token["actor"]?.string == "hal", "the same name for another actor is fine")
            #expect(try #require(try await ws.k("tokens", "list").json?["tokens"]?.array).count == 2)
        }
    }

    // MARK: Identity mode

    /// Identity mode (`token` + `require_token_identity = true`): no bearer → 401; the bootstrap token reads,
    /// lists and mints tokens, but a write with it exits 8 `bootstrap_token_write_forbidden`; a minted token
    /// writes as its actor; a `user` token may not administer tokens, an `admin` one may.
    @Test func identityModeBootstrapTokenAdministersButDoesNotWrite() async throws {
        try await withEnv { env in
            try IDT.requireAdmin()
            let home = try IDT.makeHome(env, config: "[auth]\ntoken = \"\(IDT.bootstrap)\"\nrequire_token_identity = true\n")
            _ = try await env.startKatad([], home: home)
            let dir = env.newDir()
            let boot: [String: String?] = ["KATA_AUTH_TOKEN": IDT.bootstrap]

            let anon = try await env.kata(args: ["tokens", "list", "--json"], cwd: dir, home: home)
            #expect(anon.status == 8 && anon.errorCode == "auth_required", "\(anon)")
            let list = try await env.kata(args: ["tokens", "list", "--json"], cwd: dir, home: home, env: boot)
            #expect(list.status == 0 && list.json?["tokens"]?.array?.isEmpty == true, "\(list)")
            let who = try await env.kata(args: ["whoami", "--json"], cwd: dir, home: home, env: boot)
            #expect(who.json?["principal"]?.string == "bootstrap", "\(who)")

            let initBoot = try await env.kata(args: ["init", "--project", "demo", "--json"], cwd: dir, home: home, env: boot)
            #expect(initBoot.status == 8 && initBoot.errorCode == "bootstrap_token_write_forbidden", "\(initBoot)")

            let alice = try IDT.minted(
                try await env.kata(
                    args: ["tokens", "create", "--actor", "alice", "--name", "laptop", "--role", "operator", "--json"], cwd: dir, home: home, env: boot))
            let ops = try IDT.minted(
                try await IDT.admin(env, ["tokens", "create", "--actor", "ops", "--name", "admin", "--role", "admin", "--json"], home: home))
            let aliceEnv: [String: String?] = ["KATA_AUTH_TOKEN": alice.secret]

            let initAlice = try await env.kata(args: ["init", "--project", "demo", "--json"], cwd: dir, home: home, env: aliceEnv)
            #expect(initAlice.status == 0, "a minted token writes: \(initAlice)")
            let write = try await env.kata(args: ["create", "Alice's issue", "--actor", "bob", "--json"], cwd: dir, home: home, env: aliceEnv)
            #expect(write.status == 0 && write.json?.issue["author"]?.string == "alice", "\(write)")
            let bootWrite = try await env.kata(args: ["create", "Bootstrap's issue", "--json"], cwd: dir, home: home, env: boot)
            #expect(bootWrite.status == 8 && bootWrite.errorCode == "bootstrap_token_write_forbidden", "\(bootWrite)")
            let bootRead = try await env.kata(args: ["list", "--json"], cwd: dir, home: home, env: boot)
            #expect(bootRead.status == 0 && numbers(bootRead.json?.list("issues", "items")) == [1], "the bootstrap token reads: \(bootRead)")

            let userAdmin = try await env.kata(args: ["tokens", "list", "--json"], cwd: dir, home: home, env: aliceEnv)
            #expect(userAdmin.status == 8 && userAdmin.errorCode == "forbidden", "an operator-role token does not administer tokens: \(userAdmin)")
            let byOps = try IDT.minted(
                try await env.kata(
                    args: ["tokens", "create", "--actor", "erin", "--name", "ci", "--json"], cwd: dir, home: home, env: ["KATA_AUTH_TOKEN": ops.secret]))
            #expect(byOps.token["created_by"]?.string == "ops", "an admin token records its actor as creator: \(byOps.token)")

            let revoke = try await env.kata(args: ["tokens", "revoke", "\(alice.id)", "--json"], cwd: dir, home: home, env: boot)
            #expect(revoke.status == 0 && revoke.json?["changed"]?.bool == true, "the bootstrap token revokes: \(revoke)")
            let after = try await env.kata(args: ["create", "After", "--json"], cwd: dir, home: home, env: aliceEnv)
            #expect(after.status == 8 && after.errorCode == "token_invalid", "\(after)")
            let adminList = try await IDT.admin(env, ["tokens", "list", "--json"], home: home)
            #expect(adminList.status == 0 && adminList.json?["tokens"]?.array?.count == 3, "kata-admin reads the token from config.toml: \(adminList)")
        }
    }

    /// Rule 6: identity mode without a bootstrap token refuses to start (exit 2) on an empty home, naming
    /// `require_token_identity` and `kata-admin tokens create`; after a token was minted (daemon started
    /// without identity mode, stopped, reconfigured) it starts, and only that token gets in.
    @Test func identityModeWithoutBootstrapTokenStartsOnceATokenExists() async throws {
        try await withEnv { env in
            try IDT.requireAdmin()
            let identity = "[auth]\nrequire_token_identity = true\n"
            let home = try IDT.makeHome(env, config: identity)
            let refused = try env.spawnKatad([], home: home)
            let end = await refused.waitForExit(Limits.exit)
            #expect(end?.status == 2 && end?.signaled == false, "refused with exit 2: \(refused.describe)")
            #expect(refused.stderr.contains("require_token_identity"), "names the key: \(refused.describe)")
            #expect(refused.stderr.contains("kata-admin tokens create"), "says how to fix it: \(refused.describe)")
            #expect(!Posix.isSocket(home + "/run/katad.sock"), "nothing was served")

            try Posix.write(home + "/config.toml", "")
            let plain = try await env.startKatad([], home: home)
            // Creating the project needs the role operator (auth.md, the role table).
            let minted = try IDT.minted(
                try await IDT.admin(env, ["tokens", "create", "--actor", "alice", "--name", "laptop", "--role", "operator", "--json"], home: home))
            plain.signal(SIGTERM)
            let stopped = await plain.waitForExit(Limits.exit)
            #expect(stopped != nil, "the daemon stops on SIGTERM: \(plain.describe)")

            try Posix.write(home + "/config.toml", identity)
            let d = try await env.startKatad([], home: home)
            #expect(d.running, "identity mode starts once a DB-backed token exists: \(d.describe)")
            let dir = env.newDir()
            let anon = try await env.kata(args: ["whoami", "--json"], cwd: dir, home: home)
            #expect(anon.status == 8 && anon.errorCode == "auth_required", "\(anon)")
            let tok: [String: String?] = ["KATA_AUTH_TOKEN": minted.secret]
            let who = try await env.kata(args: ["whoami", "--json"], cwd: dir, home: home, env: tok)
            #expect(who.json?["principal"]?.string == "token" && who.json?["actor"]?.string == "alice", "\(who)")
            let initR = try await env.kata(args: ["init", "--project", "demo", "--json"], cwd: dir, home: home, env: tok)
            #expect(initR.status == 0, "\(initR)")
            let write = try await env.kata(args: ["create", "Hello", "--actor", "zed", "--json"], cwd: dir, home: home, env: tok)
            #expect(write.status == 0 && write.json?.issue["author"]?.string == "alice", "\(write)")
            let list = try await IDT.admin(env, ["tokens", "list", "--json"], home: home)
            #expect(list.status == 0 && list.json?["tokens"]?.array?.count == 1, "kata-admin works without a bootstrap token: \(list)")
        }
    }

    // MARK: Token events stay hidden

    /// `token.created` / `token.revoked` are recorded (in the hidden system project) but never appear in
    /// `kata events`, `/api/v1/events`, `projects list`, or the SSE stream (live or replayed).
    @Test func tokenEventsNeverAppearInFeeds() async throws {
        try await withEnv { env in
            try IDT.requireAdmin()
            let ws = try await Workspace.make(env)
            try await ws.create("Before the tokens")
            let live = try SSEStream(.unix(path: ws.socket), "/api/v1/events/stream?after_id=0")
            #expect(await live.waitForHead() == 200)

            let a = try IDT.minted(try await ws.k("tokens", "create", "--actor", "alice", "--name", "laptop"))
            let b = try IDT.minted(try await IDT.admin(env, ["tokens", "create", "--actor", "bob", "--name", "ci", "--json"], home: ws.home))
            #expect(try await ws.k("tokens", "revoke", "\(a.id)").status == 0)
            #expect(try await IDT.admin(env, ["tokens", "revoke", "\(b.id)"], home: ws.home).status == 0)
            try await ws.create("After the tokens")
            let markerSeen: ([Frame]) -> Bool = { fs in fs.contains { $0.event == "issue.created" && $0.json?["issue_number"]?.int == 2 } }

            #expect(await live.read(until: markerSeen), "the live stream delivers the marker: \(live.frames)")
            await live.settle(0.3)
            let replay = try SSEStream(.unix(path: ws.socket), "/api/v1/events/stream?after_id=0")
            #expect(await replay.waitForHead() == 200)
            #expect(await replay.read(until: markerSeen), "the replay delivers the marker: \(replay.frames)")
            await replay.settle(0.3)
            for (what, frames) in [("live", live.frames), ("replay", replay.frames)] {
                #expect(frames.filter { $0.event == "issue.created" }.count == 2, "\(what): \(frames)")
                for f in frames {
                    #expect(f.event?.hasPrefix("token.") != true && f.data?.contains("token.") != true, "\(what) stream shows \(f)")
                    #expect(f.json?["project_name"]?.string != IDT.systemProject, "\(what) stream shows \(f)")
                }
            }

            var texts: [(String, String)] = []
            for args in [["events", "--limit", "1000"], ["events", "--all-projects", "--limit", "1000"], ["events", "--after", "0"], ["projects", "list"]] {
                let r = try await env.kata(args: args + ["--json"], cwd: ws.path, home: ws.home)
                #expect(r.status == 0, "\(r)")
                texts.append((r.display, r.stdout))
            }
            let events = try await ws.events()
            #expect(events.map { $0["type"]?.string ?? "?" } == ["issue.created", "issue.created"], "\(events)")
            for path in ["/api/v1/events?after_id=0&limit=1000", "/api/v1/projects"] {
                let r = try ws.api.get(path)
                #expect(r.status == 200, "\(r)")
                texts.append(("GET \(path)", r.text))
            }
            let polled = try #require(try ws.api.get("/api/v1/events?after_id=0&limit=1000").json?["events"]?.array)
            #expect(polled.count == 2, "\(polled)")
            for (what, text) in texts {
                #expect(!text.contains("token.created") && !text.contains("token.revoked"), "\(what) shows token events: \(text)")
                #expect(!text.contains("\"\(IDT.systemProject)\""), "\(what) shows the system project: \(text)")
            }
            let projects = try #require(try await ws.ok("projects", "list")["projects"]?.array)
            #expect(projects.compactMap { $0["name"]?.string } == ["demo"], "\(projects)")

            // They are recorded, though: the log of the hidden project holds them.
            let db = IDT.concat(Posix.files(under: ws.home).filter { $0.hasSuffix("/kata.db") || $0.hasSuffix("/kata.db-wal") })
            #expect(IDT.contains(db, "token.created") && IDT.contains(db, "token.revoked"), "token events are kept in the database")
        }
    }

    // MARK: The trusted-proxy header over real Unix sockets

    /// katad listening on proxy.sock (trusted, header `X-Kata-Actor`) and api.sock: on proxy.sock the
    /// header is the actor of a write (over the body's and a token's actor), a write without it is 400
    /// `actor_header_required`, reads need none; api.sock ignores it. With a bootstrap token configured,
    /// token administration on proxy.sock with only the header is 401, and the header never becomes the
    /// creator of a token.
    @Test func trustedProxyHeaderOnUnixSockets() async throws {
        try await withEnv { env in
            let proxyPath = env.base + "/proxy.sock"
            let apiPath = env.base + "/api.sock"
            let home = try IDT.makeHome(env, config: IDT.proxyConfig(proxy: proxyPath, api: apiPath, token: nil))
            _ = try await env.startKatad([], home: home, probe: .unix(path: apiPath))
            let proxy = API(.unix(path: proxyPath))
            let api = API(.unix(path: apiPath))
            let dir = env.newDir()
            let initR = try await env.kata(args: ["init", "--project", "demo", "--server", "unix://\(apiPath)", "--json"], cwd: dir, home: home)
            #expect(initR.status == 0, "\(initR)")
            let pid = try #require(initR.json?["project"]?["id"]?.int, "\(initR)")
            let issues = "/api/v1/projects/\(pid)/issues"
            let body = Array(#"{"title":"Through the proxy","body":"","actor":"bob","force_new":true}"#.utf8)
            let json = ("Content-Type", "application/json")

            let carol = try proxy.request("POST", issues, body: body, headers: [json, ("X-Kata-Actor", "carol")])
            #expect(carol.status == 201 && carol.json?.issue["author"]?.string == "carol", "the header's actor, not the body's: \(carol)")
            let none = try proxy.request("POST", issues, body: body, headers: [json])
            #expect(none.status == 400 && none.errorCode == "actor_header_required", "\(none)")
            let blank = try proxy.request("POST", issues, body: body, headers: [json, ("X-Kata-Actor", " ")])
            #expect(blank.status == 400 && blank.errorCode == "actor_header_required", "an empty header: \(blank)")
            let read = try proxy.get(issues)
            #expect(read.status == 200, "reads need no header: \(read)")
            let who = try proxy.get("/api/v1/whoami", headers: [("X-Kata-Actor", "carol")])
            #expect(who.json?["actor"]?.string == "carol", "\(who)")

            let direct = try api.request("POST", issues, body: body, headers: [json, ("X-Kata-Actor", "carol")])
            #expect(direct.status == 201 && direct.json?.issue["author"]?.string == "bob", "api.sock ignores the header: \(direct)")
            let directNone = try api.request("POST", issues, body: body, headers: [json])
            #expect(directNone.status == 201, "api.sock needs no header: \(directNone)")

            // The header replaces a DB-backed token's actor too.
            let dave = try IDT.minted(
                try await env.kata(
                    args: ["tokens", "create", "--actor", "dave", "--name", "svc", "--server", "unix://\(apiPath)", "--json"], cwd: dir, home: home))
            let withToken = try proxy.request(
                "POST", issues, body: body, headers: [json, ("X-Kata-Actor", "carol"), ("Authorization", "Bearer \(dave.secret)")])
            #expect(withToken.status == 201 && withToken.json?.issue["author"]?.string == "carol", "\(withToken)")
            let events = try #require(try api.get("/api/v1/events?after_id=0&limit=1000").json?["events"]?.array)
            #expect(
                events.filter { $0["type"]?.string == "issue.created" }.compactMap { $0["actor"]?.string } == ["carol", "bob", "bob", "carol"],
                "\(events)")

            // Spec: token administration is never possible through a trusted-proxy header. On a daemon
            // without a bootstrap token, a request on the proxy listener that carries only the header must not
            // mint a token (it would otherwise count as a local admin).
            let headerOnlyMint = try proxy.request(
                "POST", "/api/v1/tokens", body: Array(#"{"actor":"eve","name":"sneaky","role":"admin"}"#.utf8),
                headers: [json, ("X-Kata-Actor", "carol")])
            #expect(headerOnlyMint.status == 401, "token administration through the proxy header: \(headerOnlyMint)")

            // A second daemon, with a bootstrap token: the proxy listener needs it too.
            let proxy2Path = env.base + "/proxy2.sock"
            let api2Path = env.base + "/api2.sock"
            let home2 = try IDT.makeHome(env, config: IDT.proxyConfig(proxy: proxy2Path, api: api2Path, token: IDT.bootstrap))
            _ = try await env.startKatad([], home: home2, probe: .unix(path: api2Path))
            let proxy2 = API(.unix(path: proxy2Path))
            let bearer = ("Authorization", "Bearer \(IDT.bootstrap)")
            let tokenBody = Array(#"{"actor":"eve","name":"sneaky","role":"admin"}"#.utf8)
            let mint = try proxy2.request("POST", "/api/v1/tokens", body: tokenBody, headers: [json, ("X-Kata-Actor", "carol")])
            #expect(mint.status == 401 && mint.errorCode == "auth_required", "token administration with only the header: \(mint)")
            let list = try proxy2.get("/api/v1/tokens", headers: [("X-Kata-Actor", "carol")])
            #expect(list.status == 401 && list.errorCode == "auth_required", "\(list)")
            let minted = try proxy2.request("POST", "/api/v1/tokens", body: tokenBody, headers: [json, ("X-Kata-Actor", "carol"), bearer])
            #expect(minted.status == 201, "\(minted)")
            #expect(minted.json?["token"]?["created_by"]?.string != "carol", "the header never reaches token administration: \(minted)")

            let dir2 = env.newDir()
            let init2 = try await env.kata(
                args: ["init", "--project", "demo", "--server", "unix://\(api2Path)", "--json"], cwd: dir2, home: home2,
                env: ["KATA_AUTH_TOKEN": IDT.bootstrap])
            let pid2 = try #require(init2.json?["project"]?["id"]?.int, "\(init2)")
            let issues2 = "/api/v1/projects/\(pid2)/issues"
            let noBearer = try proxy2.request("POST", issues2, body: body, headers: [json, ("X-Kata-Actor", "carol")])
            #expect(noBearer.status == 401 && noBearer.errorCode == "auth_required", "bearer authentication still applies: \(noBearer)")
            let ok = try proxy2.request("POST", issues2, body: body, headers: [json, ("X-Kata-Actor", "carol"), bearer])
            #expect(ok.status == 201 && ok.json?.issue["author"]?.string == "carol", "\(ok)")
        }
    }
}

// MARK: - Helpers

private enum IDT {
    static let bootstrap = "e2e-bootstrap-0f3c9a1e5b7d"
    static let systemProject = "_system"

    static var adminPath: String { Bin.dir + "/kata-admin" }

    static func requireAdmin() throws {
        try #require(access(adminPath, X_OK) == 0, "program \(adminPath) not found; build with `swift build`")
    }

    /// `kata-admin ARGS` with KATA_HOME `home`.
    static func admin(_ env: TestEnv, _ args: [String], home: String, extra: [String: String?] = [:]) async throws -> RunResult {
        try await env.run(adminPath, args, home: home, env: extra)
    }

    /// `kata ARGS --json` in the workspace with KATA_AUTH_TOKEN set.
    static func kata(_ ws: Workspace, _ token: String, _ args: String...) async throws -> RunResult {
        try await ws.env.kata(args: args + ["--json"], cwd: ws.path, home: ws.home, env: ["KATA_AUTH_TOKEN": token])
    }

    /// A new KATA_HOME (0700) with `config.toml` (0600).
    static func makeHome(_ env: TestEnv, config: String) throws -> String {
        let home = env.newHome()
        try #require(mkdir(home, 0o700) == 0, "mkdir \(home)")
        try Posix.write(home + "/config.toml", config)
        chmod(home + "/config.toml", 0o600)
        return home
    }

    static func proxyConfig(proxy: String, api: String, token: String?) -> String {
        var c = "listen = [\"unix://\(proxy)\", \"unix://\(api)\"]\n"
        if let token { c += "[auth]\ntoken = \"\(token)\"\n" }
        c += "[auth.proxy]\ntrusted_actor_header = \"X-Kata-Actor\"\ntrusted_proxy_listeners = [\"unix://\(proxy)\"]\n"
        return c
    }

    struct Minted {
        var secret: String
        var token: J
        var id: Int64
        /// The secret without `kata_`.
        var body: String { String(secret.dropFirst(5)) }
        var hash: String { IDT.sha256Hex(secret) }
    }

    /// The answer of `tokens create --json`.
    static func minted(_ r: RunResult) throws -> Minted {
        try #require(r.status == 0 && !r.signaled && !r.timedOut, "tokens create failed: \(r)")
        let j = try #require(r.json, "no JSON: \(r)")
        let secret = try #require(j["secret"]?.string, "no secret: \(r)")
        let token = try #require(j["token"], "no token: \(r)")
        let id = try #require(token["id"]?.int, "no token id: \(r)")
        return Minted(secret: secret, token: token, id: id)
    }

    /// `^kata_[A-Za-z0-9_-]{43,}$`.
    static func isSecret(_ s: String) -> Bool {
        guard s.hasPrefix("kata_") else { return false }
        let rest = s.utf8.dropFirst(5)
        return rest.count >= 43
            && rest.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func concat(_ paths: [String]) -> Data {
        paths.reduce(into: Data()) { $0.append(FileManager.default.contents(atPath: $1) ?? Data()) }
    }

    static func contains(_ data: Data, _ needle: String) -> Bool {
        data.range(of: Data(needle.utf8)) != nil
    }

    /// Files under `dir` whose bytes contain `needle`.
    static func filesContaining(_ needle: String, under dir: String) -> [String] {
        Posix.files(under: dir).filter { contains(FileManager.default.contents(atPath: $0) ?? Data(), needle) }
    }

    // SHA-256 (FIPS 180-4), so the test needs no crypto library.
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    static func sha256Hex(_ text: String) -> String {
        var h: [UInt32] = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]
        var msg = Array(text.utf8)
        let bits = UInt64(msg.count) * 8
        msg.append(0x80)
        while msg.count % 64 != 56 { msg.append(0) }
        for i in (0..<8).reversed() { msg.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: msg.count, by: 64) {
            for i in 0..<16 {
                let b0 = UInt32(msg[chunk + 4 * i]) << 24
                let b1 = UInt32(msg[chunk + 4 * i + 1]) << 16
                let b2 = UInt32(msg[chunk + 4 * i + 2]) << 8
                w[i] = b0 | b1 | b2 | UInt32(msg[chunk + 4 * i + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g
                g = f
                f = e
                e = d &+ t1
                d = c
                c = b
                b = a
                a = t1 &+ t2
            }
            h[0] &+= a
            h[1] &+= b
            h[2] &+= c
            h[3] &+= d
            h[4] &+= e
            h[5] &+= f
            h[6] &+= g
            h[7] &+= hh
        }
        return h.map { String(format: "%08x", $0) }.joined()
    }
}
