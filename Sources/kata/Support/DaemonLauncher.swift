import Foundation
import Shared

/// Starts `katad` for a `KATA_HOME` in the background and waits until it answers.
struct DaemonLauncher {
    let home: KataHome
    let env: [String: String]

    /// Makes sure the local daemon answers on its socket, starting it when needed.
    func ensureRunning() throws(ErrorEnvelope) {
        if (try? HTTPConnection(target: .unix(path: home.socketPath), timeoutSeconds: 2)) != nil { return }
        try start(arguments: [])
    }

    /// The `katad` binary: next to this executable, else on PATH.
    func katadPath() -> String? {
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let candidate = Paths.parent(me) + "/katad"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        for dir in (env["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/katad"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Marks every descriptor above stderr close-on-exec. The daemon outlives this command, so it must not
    /// inherit the caller's pipes or sockets: a caller waiting for EOF on one would wait for the daemon's end.
    static func closeInheritedDescriptorsOnExec() {
        let dir = Paths.isDirectory("/proc/self/fd") ? "/proc/self/fd" : "/dev/fd"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            guard let fd = Int32(name), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    static func pidInFile(_ path: String) -> pid_t? {
        Paths.readText(path).flatMap { pid_t(Validation.trimmed($0)) }
    }

    /// Waits up to `seconds` for the child `pid` to end.
    static func reap(_ pid: pid_t, within seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(10_000)
        }
    }

    /// Spawns `katad ARGS` detached (own session), then waits up to 15 s for `/api/v1/ping` on the socket.
    func start(arguments: [String]) throws(ErrorEnvelope) {
        guard let katad = katadPath() else {
            throw CLIError.unavailable(
                "cannot start the local daemon: no katad next to kata or on PATH", hint: "install katad beside kata, or set --server")
        }
        Self.closeInheritedDescriptorsOnExec()
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CLIError.unavailable("cannot start katad: pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(0x80))  // POSIX_SPAWN_SETSID (glibc): a session of its own
        let argv = [katad] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, katad, &actions, &attr, &cArgs, &cEnv)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw CLIError.unavailable("cannot start \(katad): \(String(cString: strerror(rc)))")
        }
        let flags = fcntl(fds[0], F_GETFL)
        _ = fcntl(fds[0], F_SETFL, flags | O_NONBLOCK)
        defer { close(fds[0]) }
        var output: [UInt8] = []
        func drain() {
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fds[0], &buf, buf.count)
                if n <= 0 { break }
                output += buf[0..<n]
            }
        }
        let deadline = Date().addingTimeInterval(15)
        var exited = false
        while Date() < deadline {
            drain()
            if !exited {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    exited = true
                    let code = (status >> 8) & 0xff
                    // 75: another katad holds this home; it is starting, keep waiting for it.
                    if code != 75 {
                        drain()
                        let text = Validation.trimmed(String(decoding: output, as: UTF8.self))
                        let last = text.split(separator: "\n").last(where: { $0.contains("katad:") }).map(String.init) ?? text
                        throw CLIError.unavailable(
                            "the local daemon did not start (exit \(code)): \(last.isEmpty ? "no message" : last)",
                            hint: "see \(home.logFilePath), or run `katad` in the foreground to see why")
                    }
                }
            }
            if let conn = try? HTTPConnection(target: .unix(path: home.socketPath), timeoutSeconds: 2),
                (try? conn.send(method: "GET", path: "/api/v1/ping", headers: [], body: nil)) != nil,
                let answer = try? conn.readAnswer(), answer.status == 200
            {
                // Another katad won the race for this home: ours is on its way out (exit 75). Reap it, so
                // that when this command returns, one daemon runs per home.
                if !exited, Self.pidInFile(home.pidFilePath) != pid { Self.reap(pid, within: 3) }
                return
            }
            usleep(20_000)
        }
        throw CLIError.unavailable(
            "the local daemon did not answer within 15 s on unix://\(home.socketPath)", hint: "see \(home.logFilePath)")
    }
}
