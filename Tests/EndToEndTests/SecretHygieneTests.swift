// Secret hygiene, end to end (spec: operations.md, "Reliability and security checks"; auth.md):
// after a full session — a bootstrap token, minted tokens, users with passwords, logins (good and bad),
// a backup — none of the secrets appears in a log line, a file under KATA_HOME (the database holds
// hashes only), `kata-admin config show`, `kata health`, or a non-admin export; and every file that
// holds a secret has the mode the spec names.

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("secret hygiene", .timeLimit(.minutes(5)))
struct SecretHygieneTests {
    @Test func noSecretLeaksAnywhereAndFileModesHold() async throws {
        try await withEnv { env in
            let admin = Bin.dir + "/kata-admin"
            try #require(access(admin, X_OK) == 0)
            let bootstrap = "hygiene-bootstrap-5e0b1c7d9a"
            let home = env.newHome()
            try #require(mkdir(home, 0o700) == 0)
            try Posix.write(home + "/config.toml", "[auth]\ntoken = \"\(bootstrap)\"\n")
            chmod(home + "/config.toml", 0o600)
            let daemon = try await env.startKatad([], home: home)
            let server = "unix://\(home)/run/katad.sock"
            let dir = env.newDir()
            let boot: [String: String?] = ["KATA_AUTH_TOKEN": bootstrap, "KATA_SERVER": server]
            #expect(try await env.kata(args: ["init", "--project", "demo"], cwd: dir, home: home, env: boot).status == 0)

            var secrets: [String: String] = ["bootstrap token": bootstrap]
            let passwords = ["alice": "alice-Secret-pw-91", "vera": "vera-Secret-pw-37"]
            for (name, role) in [("alice", "operator"), ("vera", "viewer")] {
                let r = try await env.run(admin, ["users", "create", name, "--role", role, "--password-stdin"], home: home, stdin: passwords[name]! + "\n")
                try #require(r.status == 0, "\(r)")
                secrets["\(name)'s password"] = passwords[name]!
            }
            for (actor, role) in [("ci", "user"), ("vera", "viewer")] {
                let r = try await env.run(admin, ["tokens", "create", "--actor", actor, "--name", "t", "--role", role, "--json"], home: home)
                secrets["\(actor)'s token"] = try #require(r.json?["secret"]?.string, "\(r)")
            }
            // Logins, good and bad; the client homes keep their credentials.toml.
            var clientHomes: [String] = []
            for (name, password) in passwords {
                let h = env.newHome()
                clientHomes.append(h)
                let bad = try await env.kata(
                    args: ["auth", "login", "--username", name, "--password-stdin"], cwd: dir, home: h, env: ["KATA_SERVER": server],
                    stdin: "wrong-\(password)\n")
                #expect(bad.status == 8)
                secrets["a wrong password of \(name)"] = "wrong-\(password)"
                let good = try await env.kata(
                    args: ["auth", "login", "--username", name, "--password-stdin"], cwd: dir, home: h, env: ["KATA_SERVER": server],
                    stdin: password + "\n")
                try #require(good.status == 0, "\(good)")
                let session = try #require(try? Credentials.load(home: KataHome(root: h)).servers[server]?.token)
                secrets["\(name)'s session"] = session
                #expect(Posix.mode(h + "/credentials.toml").map { $0 & 0o777 } == 0o600, "credentials.toml is 0600")
                #expect(try await env.kata(args: ["create", "by \(name)", "--json"], cwd: dir, home: h, env: ["KATA_SERVER": server]).status
                    == (name == "vera" ? 8 : 0))
            }
            let wrongBearer = try await env.kata(args: ["list"], cwd: dir, home: home, env: ["KATA_AUTH_TOKEN": "kata_not-a-real-token-at-all-0000000000000000000", "KATA_SERVER": server])
            #expect(wrongBearer.status == 8)
            let backup = env.base + "/hygiene-backup.db"
            #expect(try await env.run(admin, ["backup", "--out", backup], home: home).status == 0)

            // Everything a person or a log collector could see.
            var places: [(String, String)] = []
            for args in [["config", "show"], ["config", "show", "--json"], ["status", "--json"]] {
                let r = try await env.run(admin, args, home: home)
                places.append(("kata-admin \(args.joined(separator: " "))", r.text))
            }
            let health = try await env.kata(args: ["health", "--json"], cwd: dir, home: home, env: boot)
            places.append(("kata health", health.text))
            let export = try await env.kata(args: ["export"], cwd: dir, home: home, env: ["KATA_AUTH_TOKEN": secrets["vera's token"]!, "KATA_SERVER": server])
            #expect(export.status == 0, "\(export)")
            places.append(("a viewer's export", export.text))
            let adminExport = try await env.kata(args: ["export"], cwd: dir, home: home, env: boot)
            places.append(("an admin's export (hashes only)", adminExport.text))
            places.append(("the daemon's stdout and stderr", (Posix.read(daemon.stdoutPath) ?? "") + (Posix.read(daemon.stderrPath) ?? "")))
            for file in Posix.files(under: home) where !file.contains("/kata.db") {
                places.append((file, String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)))
            }
            for h in clientHomes {
                for file in Posix.files(under: h) where !file.hasSuffix("/credentials.toml") {
                    places.append((file, String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)))
                }
            }
            #expect(places.count >= 8)
            for (what, text) in places {
                for (name, secret) in secrets where !(what == home + "/config.toml" && name == "bootstrap token") {
                    #expect(!text.contains(secret), "\(name) appears in \(what)")
                }
            }
            // The database and the backup hold hashes, never a secret in clear.
            let stored = Posix.files(under: home).filter { $0.contains("/kata.db") } + [backup]
            for file in stored {
                let bytes = FileManager.default.contents(atPath: file) ?? Data()
                for (name, secret) in secrets {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) is in clear in \(file)")
                }
            }

            // File modes (auth.md: run/ 0700; sockets, database, credentials.toml, backups 0600).
            func mode(_ p: String) -> mode_t? { Posix.mode(p).map { $0 & 0o777 } }
            #expect(mode(home + "/run") == 0o700, "run/ is 0700")
            for file in ["run/katad.sock", "run/admin.sock", "kata.db"] {
                #expect(mode(home + "/" + file) == 0o600, "\(file) is 0600, not \(String(mode(home + "/" + file) ?? 0, radix: 8))")
            }
            #expect(mode(backup) == 0o600, "the backup is 0600")
        }
    }
}
