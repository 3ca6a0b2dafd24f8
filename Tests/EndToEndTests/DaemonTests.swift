// Zero-config start, daemon files and lifecycle, listeners (spec/README.md, tracker.md, auth.md, operations.md).

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("daemon: zero-config start, files, lifecycle, listeners", .timeLimit(.minutes(5)))
struct DaemonTests {
    /// README: `kata` finds its server … or else the local daemon (starting it if needed);
    /// operations.md: `run/` 0700, sockets and database 0600; tracker.md: `.kata.toml` is
    /// `version = 1` / `[project] name = "…"`, and `kata init` is idempotent.
    @Test("first kata init auto-starts exactly one daemon; file modes; .kata.toml; second init is idempotent")
    func zeroConfigInit() async throws {
        try await withEnv { env in
            let ws = env.newDir()
            let run = env.home + "/run"
            #expect(!Posix.exists(env.home), "the temporary KATA_HOME must not exist before the first command")
            #expect(Posix.katadPids(home: env.home).isEmpty)

            let first = try await env.kata("init", "--project", "demo", "--json", cwd: ws)
            try #require(first.status == 0, "\(first)")
            let project = try #require(first.json?["project"], "init --json prints the project: \(first)")
            #expect(project["name"]?.string == "demo")
            #expect(Wire.isULID(project["uid"]?.string), "project uid is a ULID: \(project)")
            let projectId = try #require(project["id"]?.int)

            let pids = Posix.katadPids(home: env.home)
            #expect(pids.count == 1, "exactly one katad for this KATA_HOME after the first command: \(pids)")
            #expect(env.daemonPid() == pids.first, "run/katad.pid names the running daemon")

            // File modes.
            #expect(Posix.mode(run) == 0o700, "run/ must be 0700, is \(String(Posix.mode(run) ?? 0, radix: 8))")
            #expect(Posix.isSocket(run + "/katad.sock"), "run/katad.sock is a socket")
            #expect(Posix.mode(run + "/katad.sock") == 0o600, "katad.sock must be 0600")
            #expect(Posix.mode(env.home + "/kata.db") == 0o600, "kata.db must be 0600")
            for extra in ["-wal", "-shm"] where Posix.exists(env.home + "/kata.db" + extra) {
                #expect(Posix.mode(env.home + "/kata.db" + extra) == 0o600, "kata.db\(extra) must be 0600")
            }
            let ping = try API(.unix(path: run + "/katad.sock")).get("/api/v1/ping")
            #expect(ping.status == 200)

            // .kata.toml: version = 1, [project] name = "demo", no secrets.
            let toml = try #require(Posix.read(ws + "/.kata.toml"), "kata init writes .kata.toml")
            let parsed = MiniTOML.parse(toml)
            #expect(parsed["version"] == "1", ".kata.toml: \(toml)")
            #expect(parsed["project.name"] == "\"demo\"", ".kata.toml: \(toml)")
            #expect(!toml.lowercased().contains("token"), ".kata.toml must be secret-free")

            // Second init: same project, same daemon, same file, still one project.
            let second = try await env.kata("init", "--project", "demo", "--json", cwd: ws)
            try #require(second.status == 0, "\(second)")
            #expect(second.json?["project"]?["id"]?.int == projectId)
            #expect(Posix.read(ws + "/.kata.toml") == toml, "an idempotent init leaves .kata.toml as it was")
            #expect(Posix.katadPids(home: env.home) == pids, "the second init reuses the running daemon")
            let projects = try await env.kata("projects", "list", "--json", cwd: ws)
            let demos = (projects.json?.list("projects", "items") ?? []).filter { $0["name"]?.string == "demo" }
            #expect(demos.count == 1, "one project demo after two inits: \(projects)")
            let aliases = demos.first?["aliases"]?.allStrings ?? []
            #expect(aliases.contains("local://\(ws)") || aliases.contains("local://\(Paths.realPath(ws))"),
                "the alias is local://<abs path>: \(demos)")
        }
    }

    /// README: the local daemon is started when needed — several first commands at once still end with one daemon.
    @Test("parallel first commands on a fresh KATA_HOME start exactly one daemon")
    func parallelFirstCommands() async throws {
        try await withEnv { env in
            let dirs = (0..<4).map { _ in env.newDir() }
            let results = try await withThrowingTaskGroup(of: RunResult.self) { group in
                for d in dirs { group.addTask { try await env.kata("init", "--project", "demo", "--json", cwd: d) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for r in results { #expect(r.status == 0 && !r.signaled, "\(r)") }
            let ids = Set(results.compactMap { $0.json?["project"]?["id"]?.int })
            #expect(ids.count == 1, "every init binds the same project: \(ids)")
            #expect(Posix.katadPids(home: env.home).count == 1, "one daemon per KATA_HOME")
        }
    }

    /// README: `kata` starts the local daemon when needed. The daemon outlives the command, so it must not keep
    /// the caller's descriptors: a caller waiting for EOF on a pipe it handed to `kata` would wait forever.
    @Test("the auto-started daemon holds none of the caller's descriptors open")
    func autoStartDoesNotInheritDescriptors() async throws {
        try await withEnv { env in
            var fds: [Int32] = [0, 0]
            try #require(pipe(&fds) == 0)
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            defer { close(fds[0]) }
            let ws = env.newDir()
            let r = try await env.run(Bin.kata, ["init", "--project", "demo", "--json"], cwd: ws, fd3: fds[1])
            close(fds[1])
            try #require(r.status == 0, "\(r)")
            #expect(env.daemonPid() != nil, "kata started the daemon")
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            let eof = await eventually(5) {
                var byte: UInt8 = 0
                return read(fds[0], &byte, 1) == 0
            }
            #expect(eof, "the caller's pipe (kata's fd 3) is still held open after kata exited: the daemon inherited it")
        }
    }

    /// tracker.md: `kata daemon start … / stop / status / logs`.
    @Test("kata daemon status, stop, start and logs")
    func daemonCommands() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let pid = try #require(env.daemonPid())
            let status = try await ws.k("daemon", "status")
            #expect(status.status == 0, "\(status)")
            #expect(status.text.contains(String(pid)) || status.text.contains(ws.socket), "status reports the daemon: \(status)")

            let stop = try await ws.k("daemon", "stop")
            #expect(stop.status == 0, "\(stop)")
            #expect(await eventually(10) { !Posix.alive(pid) }, "katad still running after `kata daemon stop`")
            #expect(!Posix.exists(ws.socket), "the socket file is removed by a graceful stop")
            let down = try await ws.k("daemon", "status")
            #expect(down.status == 7, "status of a stopped daemon exits 7 (daemon unavailable): \(down)")

            let start = try await ws.k("daemon", "start")
            #expect(start.status == 0, "\(start)")
            let again = try #require(env.daemonPid(), "a daemon runs after `kata daemon start`")
            #expect(again != pid)
            #expect(Posix.katadPids(home: env.home) == [again])
            let logs = try await ws.plain("daemon", "logs")
            #expect(logs.status == 0 && !logs.stdout.isEmpty, "the log has lines: \(logs)")
            #expect(Posix.exists(env.home + "/logs/katad.log"))
        }
    }

    /// operations.md (crash): after `kill -9`, a restart keeps every acknowledged write; a stale socket
    /// file must not stop the next `kata` command from starting a new daemon.
    @Test("a stale socket left by kill -9: the next command starts a new daemon and the data is still there")
    func staleSocketAfterKill9() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let a = try await ws.create("Provision the build cluster for nightly jobs", "--body", "runners")
            try await ws.ok("comment", "1", "--body", "acknowledged before the crash")
            let pid = try #require(env.daemonPid())
            kill(pid, SIGKILL)
            #expect(await eventually(10) { !Posix.alive(pid) }, "katad survived SIGKILL")
            #expect(Posix.isSocket(ws.socket), "precondition: kill -9 leaves the socket file behind")

            let list = try await ws.k("list")
            #expect(list.status == 0, "the next command succeeds: \(list)")
            #expect(numbers(list.json?.list("issues", "items")) == [1])
            let newPid = try #require(env.daemonPid(), "a new daemon was started")
            #expect(newPid != pid)
            #expect(Posix.katadPids(home: env.home) == [newPid], "exactly one daemon after the restart")
            let shown = try await ws.show("1", "--comments")
            #expect(shown.issue["uid"] == a["uid"])
            #expect(shown.allStrings.contains("acknowledged before the crash"), "the comment survived: \(shown)")
            #expect(try await ws.create("Deploy the staging release with feature flags")["number"]?.int == 2,
                "numbering continues after the crash")
        }
    }

    /// katad: "Stops gracefully on SIGTERM"; the socket is removed; a later command auto-starts again.
    @Test("SIGTERM: katad exits 0, removes its socket, and the next command auto-starts a daemon")
    func gracefulShutdown() async throws {
        try await withEnv { env in
            let d = try await env.startKatad([])
            let ws = try await Workspace.make(env)
            #expect(Posix.katadPids(home: env.home) == [d.pid], "kata used the running daemon instead of starting one")
            try await ws.create("Write onboarding documentation for contributors")
            d.signal(SIGTERM)
            let exit = await d.waitForExit(Limits.exit)
            let (status, signaled) = try #require(exit, "katad did not exit within \(Limits.exit) s of SIGTERM:\n\(d.describe)")
            #expect(status == 0 && !signaled, "graceful exit status 0:\n\(d.describe)")
            #expect(!Posix.exists(ws.socket), "the socket file is removed on a graceful stop")
            #expect(!Posix.exists(env.home + "/run/admin.sock"), "the admin socket file is removed too")

            let list = try await ws.k("list")
            #expect(list.status == 0, "\(list)")
            #expect(numbers(list.json?.list("issues", "items")) == [1], "data survives the restart")
            let pid = try #require(env.daemonPid(), "the command auto-started a daemon")
            #expect(pid != d.pid)
        }
    }

    /// auth.md / tracker.md: `katad --listen ADDR` is repeatable, every listener serves the API; a
    /// non-loopback TCP listener without a token is refused at start-up with exit 2.
    @Test("two listeners (Unix socket and loopback TCP) serve the same API")
    func twoListeners() async throws {
        try await withEnv { env in
            let sock = env.base + "/a.sock"
            let port = Posix.freePort()
            let d = try await env.startKatad(["--listen", "unix://\(sock)", "--listen", "127.0.0.1:\(port)"])
            let unixAPI = API(.unix(path: sock))
            let tcpAPI = API(.http(host: "127.0.0.1", port: port))
            #expect(try unixAPI.get("/api/v1/ping").status == 200)
            #expect(try tcpAPI.get("/api/v1/ping").status == 200)

            let ws = env.newDir()
            let tcpURL = "http://127.0.0.1:\(port)"
            let initR = try await env.kata("init", "--project", "demo", "--server", "unix://\(sock)", "--json", cwd: ws)
            #expect(initR.status == 0, "\(initR)")
            let created = try await env.kata("create", "Fix memory leak in websocket reconnect handler", "--server", tcpURL, "--json", cwd: ws)
            #expect(created.status == 0, "\(created)")
            #expect(created.json?.issue["number"]?.int == 1)
            let viaUnix = try await env.kata("list", "--server", "unix://\(sock)", "--json", cwd: ws)
            #expect(numbers(viaUnix.json?.list("issues", "items")) == [1], "both listeners share one database: \(viaUnix)")
            let viaTCP = try await env.kata("show", "1", "--server", tcpURL, "--json", cwd: ws)
            #expect(viaTCP.json?.issue["uid"] == created.json?.issue["uid"], "\(viaTCP)")

            let health = try tcpAPI.get("/api/v1/health")
            #expect(health.status == 200)
            let listeners = health.json?.allStrings.joined(separator: " ") ?? ""
            #expect(listeners.contains(sock) && listeners.contains(String(port)), "health lists both listeners: \(health)")
            #expect(Posix.katadPids(home: env.home) == [d.pid], "--server never auto-starts another daemon")
        }
    }

    @Test("a non-loopback TCP listener without a token is refused with exit 2", arguments: ["0.0.0.0", "[::]"])
    func nonLoopbackRefused(host: String) async throws {
        try await withEnv { env in
            let port = Posix.freePort()
            let d = try env.spawnKatad(["--listen", "\(host):\(port)"])
            let exit = await d.waitForExit(Limits.exit)
            let (status, signaled) = try #require(exit, "katad kept running with a non-local listener and no token:\n\(d.describe)")
            #expect(status == 2 && !signaled, "refused at start-up with exit 2:\n\(d.describe)")
            #expect(!d.stderr.isEmpty, "the refusal says why on stderr")
        }
    }
}

/// Just enough TOML for `.kata.toml`: `key = value` lines under `[section]` headers, values kept raw.
enum MiniTOML {
    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var section = ""
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out[section.isEmpty ? key : "\(section).\(key)"] = value
        }
        return out
    }
}
