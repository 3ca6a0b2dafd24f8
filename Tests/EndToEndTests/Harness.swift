// The end-to-end harness: runs the built `kata` and `katad` as processes against real daemons in
// temporary KATA_HOMEs, speaks HTTP (and SSE) to them over Unix sockets and loopback TCP, and
// stops every daemon a test started (by pid) when the test ends.
//
// Binaries: `$KATA_BIN_DIR`, else the folder holding this test bundle (`.build/debug`), else
// `<cwd>/.build/debug`. `KATA_E2E_PARALLEL` (default 4) caps how many tests run their processes at once.

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Limits

enum Limits {
    /// Every CLI invocation.
    static let command: Double = 60
    /// A daemon answering `/api/v1/ping` after it was started.
    static let ready: Double = 30
    /// A process that must exit by itself (a refused start, a SIGTERM).
    static let exit: Double = 20
    /// Waiting for SSE frames.
    static let stream: Double = 20
    /// One HTTP request.
    static let httpSeconds = 10
}

// MARK: - Finding the programs

enum Bin {
    /// The folder holding `kata` and `katad`.
    static let dir: String = {
        let env = ProcessInfo.processInfo.environment
        if let d = env["KATA_BIN_DIR"], !d.isEmpty { return Paths.absolute(d) }
        let me = Paths.realPath("/proc/self/exe")
        var candidates = [Paths.parent(me)]
        if let bundle = Bundle.main.executablePath { candidates.append(Paths.parent(Paths.realPath(bundle))) }
        candidates.append(Paths.currentDirectory() + "/.build/debug")
        for c in candidates where access(c + "/kata", X_OK) == 0 && access(c + "/katad", X_OK) == 0 {
            return c
        }
        return candidates[0]
    }()

    static var kata: String { dir + "/kata" }
    static var katad: String { dir + "/katad" }

    /// Fails the test when a binary is missing (a missing program is a gap, not a skip).
    static func require() throws {
        for p in [kata, katad] {
            try #require(access(p, X_OK) == 0, "program \(p) not found; build with `swift build` or set KATA_BIN_DIR")
        }
    }
}

// MARK: - JSON

/// Any JSON value, parsed without key conversion so tests see the wire names of the spec.
enum J: Decodable, Equatable, CustomStringConvertible, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([J])
    case object([String: J])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([J].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: J].self))
        }
    }

    static func parse(_ text: String) -> J? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty else { return nil }
        return try? JSONDecoder().decode(J.self, from: Data(t.utf8))
    }

    static func parse(_ bytes: [UInt8]) -> J? { parse(String(decoding: bytes, as: UTF8.self)) }

    subscript(key: String) -> J? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    subscript(index: Int) -> J? {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return nil
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded(): return Int64(d)
        default: return nil
        }
    }

    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    var array: [J]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var object: [String: J]? {
        if case .object(let o) = self { return o }
        return nil
    }

    var isNull: Bool { self == .null }

    /// Every string anywhere inside.
    var allStrings: [String] {
        switch self {
        case .string(let s): return [s]
        case .array(let a): return a.flatMap(\.allStrings)
        case .object(let o): return o.values.flatMap(\.allStrings)
        default: return []
        }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\"\($0)\":\(o[$0]!.description)" }.joined(separator: ",") + "}"
        }
    }

    /// The issue of an answer: `{"issue": {...}}`, or the issue itself.
    var issue: J { self["issue"].flatMap { $0.object != nil ? $0 : nil } ?? self }

    /// The list in an answer: a bare list, or the list under one of `keys`.
    func list(_ keys: String...) -> [J]? {
        if let a = array { return a }
        for k in keys { if let a = self[k]?.array { return a } }
        return nil
    }
}

/// Issue numbers of a list of issues (or of `{"issue": …}` wrappers such as search hits).
func numbers(_ items: [J]?) -> [Int64] {
    (items ?? []).compactMap { $0.issue["number"]?.int }
}

// MARK: - Process results

struct RunResult: CustomStringConvertible, Sendable {
    var display: String
    var status: Int32
    /// True when the process ended by a signal (a crash, or our timeout kill).
    var signaled: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String

    var json: J? { J.parse(stdout) }
    var text: String { stdout + "\n" + stderr }
    /// The `error.code` of an error envelope printed with --json.
    var errorCode: String? { json?["error"]?["code"]?.string }

    var description: String {
        "`\(display)` -> \(timedOut ? "TIMED OUT" : signaled ? "signal \(status)" : "exit \(status)")\n--- stdout ---\n"
            + String(stdout.suffix(2500)) + "\n--- stderr ---\n" + String(stderr.suffix(2500))
    }
}

// MARK: - Small POSIX helpers

enum Posix {
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    static func isSocket(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func read(_ path: String) -> String? { Paths.readText(path) }

    static func write(_ path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// Whether `pid` is a live (not zombie) process.
    static func alive(_ pid: pid_t) -> Bool {
        guard pid > 0, let st = read("/proc/\(pid)/stat") else { return false }
        guard let close = st.lastIndex(of: ")") else { return false }
        let state = st[st.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != nil && state != "Z" && state != "X"
    }

    static func cmdline(_ pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    static func environ(_ pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Live `katad` processes whose KATA_HOME is `home` (started by us or by `kata`).
    /// Every regular file under `dir`, recursively.
    static func files(under dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            let p = dir + "/" + rel
            var st = stat()
            if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { out.append(p) }
        }
        return out.sorted()
    }

    static func katadPids(home: String) -> [pid_t] {
        katadPids { $0 == "KATA_HOME=\(home)" }
    }

    /// Live `katad` processes whose KATA_HOME lies under `base`.
    static func katadPids(under base: String) -> [pid_t] {
        katadPids { $0.hasPrefix("KATA_HOME=\(base)/") }
    }

    private static func katadPids(_ match: (String) -> Bool) -> [pid_t] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var out: [pid_t] = []
        for name in names {
            guard let pid = pid_t(name), pid != getpid() else { continue }
            let argv = cmdline(pid)
            guard let first = argv.first, first.split(separator: "/").last == "katad" else { continue }
            guard alive(pid), environ(pid).contains(where: match) else { continue }
            out.append(pid)
        }
        return out.sorted()
    }

    /// The pid in a pid file, if any.
    static func pidFile(_ path: String) -> pid_t? {
        read(path).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freePort() -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// Sleeps without holding a thread.
func pause(_ seconds: Double) async {
    try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(_ timeout: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if await condition() { return true }
        if Date() > deadline { return false }
        await pause(0.05)
    }
}

// MARK: - Capping parallel tests

/// A counting semaphore for async code: caps how many tests run processes at once on a small machine.
actor Gate {
    static let shared = Gate(Int(ProcessInfo.processInfo.environment["KATA_E2E_PARALLEL"] ?? "") ?? 4)

    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ permits: Int) { free = max(1, permits) }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            free += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

// MARK: - Child processes

/// A child process started with `posix_spawn`, reaped with `waitpid(pid, WNOHANG)`.
///
/// Not Foundation's `Process`: on Linux it notices a child's end through a socket the child inherits, so a
/// `kata` that leaves a daemon running behind it (the daemon inherits that socket) never looks finished.
/// Here every child gets only stdin, stdout and stderr (all other descriptors are closed), its own
/// process group, and default signal handling.
final class Child: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var result: (status: Int32, signaled: Bool)?

    private init(pid: pid_t) { self.pid = pid }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    // glibc ≥ 2.29 / 2.34; not exported by the Glibc module, so looked up at run time.
    private static let addChdir = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
    private static let addClosefrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddClosefrom.self) }

    /// `fd3`: a descriptor of ours to pass on as the child's fd 3 (every other one above 2 is closed).
    static func spawn(
        _ program: String, _ args: [String], env: [String: String], cwd: String, stdin: String, stdout: String, stderr: String,
        fd3: Int32? = nil
    ) throws -> Child {
        guard let addChdir, let addClosefrom else {
            throw HarnessError("this libc lacks posix_spawn_file_actions_addchdir_np/addclosefrom_np")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = addChdir(&actions, cwd)
        if let fd3 { posix_spawn_file_actions_adddup2(&actions, fd3, 3) }
        _ = addClosefrom(&actions, fd3 == nil ? 3 : 4)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([program] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, &attr, argv, envp)
        guard rc == 0 else { throw HarnessError("cannot start \(program): \(String(cString: strerror(rc)))") }
        return Child(pid: pid)
    }

    /// The exit status (or the signal that ended it) once it ended; nil while it runs.
    var finished: (status: Int32, signaled: Bool)? {
        lock.withLock {
            if result == nil {
                var st: Int32 = 0
                if waitpid(pid, &st, WNOHANG) == pid {
                    let sig = st & 0x7f
                    result = sig == 0 ? ((st >> 8) & 0xff, false) : (sig, true)
                }
            }
            return result
        }
    }

    var running: Bool { finished == nil }

    func signal(_ sig: Int32) {
        if running { kill(pid, sig) }
    }

    /// Waits up to `timeout` for the end; nil if it still runs.
    func wait(_ timeout: Double) async -> (status: Int32, signaled: Bool)? {
        _ = await eventually(timeout) { !running }
        return finished
    }
}

/// A `katad` this test started itself (so it can see its exit status).
final class KatadProcess: @unchecked Sendable {
    let child: Child
    let display: String
    let stdoutPath: String
    let stderrPath: String

    init(child: Child, display: String, stdoutPath: String, stderrPath: String) {
        self.child = child
        self.display = display
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    var pid: pid_t { child.pid }
    var running: Bool { child.running }
    var stderr: String { Posix.read(stderrPath) ?? "" }
    var stdout: String { Posix.read(stdoutPath) ?? "" }

    /// The exit status once it ended by itself (nil when still running after `timeout`).
    func waitForExit(_ timeout: Double) async -> (status: Int32, signaled: Bool)? {
        await child.wait(timeout)
    }

    func signal(_ sig: Int32) { child.signal(sig) }

    var describe: String { "\(display)\n--- stdout ---\n\(stdout.suffix(2000))\n--- stderr ---\n\(stderr.suffix(2000))" }
}

// MARK: - The per-test environment

/// One test's world: a short temporary folder with its KATA_HOME(s), HOME, workspaces and process output.
/// Everything it started is stopped (by pid) in `cleanup()`.
final class TestEnv: @unchecked Sendable {
    let base: String
    let home: String
    let userHome: String
    let io: String
    private let lock = NSLock()
    private var counter = 0
    private var homes: [String] = []
    private var daemons: [KatadProcess] = []

    init() throws {
        var template = Array("/tmp/kt-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw HarnessError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        base = String(cString: made)
        io = base + "/io"
        userHome = base + "/u"
        home = base + "/h"
        for d in [io, userHome] { mkdir(d, 0o700) }
        homes = [home]
    }

    private func next() -> Int {
        lock.withLock {
            counter += 1
            return counter
        }
    }

    /// A new KATA_HOME path (not created: the programs create it).
    func newHome() -> String {
        let h = "\(base)/h\(next())"
        lock.withLock { homes.append(h) }
        return h
    }

    /// A new empty folder (a workspace, say).
    func newDir(_ name: String? = nil) -> String {
        let d = "\(base)/\(name ?? "w\(next())")"
        mkdir(d, 0o755)
        return d
    }

    /// The environment of a child: ours without KATA_* and colour variables, with KATA_HOME, HOME
    /// and a clean PATH (the binaries' folder first). `extra` values of nil remove a variable.
    func environment(home: String? = nil, _ extra: [String: String?] = [:]) -> [String: String] {
        var e = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("KATA_") && !["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PATH"].contains($0.key)
        }
        e["HOME"] = userHome
        e["KATA_HOME"] = home ?? self.home
        e["PATH"] = Bin.dir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for (k, v) in extra { e[k] = v }
        return e
    }

    private func spawn(
        _ program: String, _ args: [String], home: String?, env: [String: String?], cwd: String?, stdin: String?,
        fd3: Int32? = nil
    ) throws -> (Child, String, String) {
        let n = next()
        let outPath = "\(io)/\(n).out"
        let errPath = "\(io)/\(n).err"
        var inPath = "/dev/null"
        if let stdin {
            inPath = "\(io)/\(n).in"
            try Posix.write(inPath, stdin)
        }
        let child = try Child.spawn(
            program, args, env: environment(home: home, env), cwd: cwd ?? base, stdin: inPath, stdout: outPath, stderr: errPath,
            fd3: fd3)
        return (child, outPath, errPath)
    }

    /// Runs a program to its end (its process group killed after `timeout`), capturing stdout and stderr.
    func run(
        _ program: String, _ args: [String], home: String? = nil, env: [String: String?] = [:], cwd: String? = nil,
        stdin: String? = nil, fd3: Int32? = nil, timeout: Double = Limits.command
    ) async throws -> RunResult {
        let display = ([program.split(separator: "/").last.map(String.init) ?? program] + args).joined(separator: " ")
        let (child, outPath, errPath) = try spawn(program, args, home: home, env: env, cwd: cwd, stdin: stdin, fd3: fd3)
        var end = await child.wait(timeout)
        let timedOut = end == nil
        if timedOut {
            kill(-child.pid, SIGKILL)
            end = await child.wait(10)
        }
        return RunResult(
            display: display, status: end?.status ?? -1, signaled: end?.signaled ?? false, timedOut: timedOut,
            stdout: Posix.read(outPath) ?? "", stderr: Posix.read(errPath) ?? "")
    }

    /// `kata ARGS` in `cwd`.
    func kata(
        _ args: String..., cwd: String? = nil, home: String? = nil, env: [String: String?] = [:], stdin: String? = nil
    ) async throws -> RunResult {
        try await run(Bin.kata, args, home: home, env: env, cwd: cwd, stdin: stdin)
    }

    /// `kata ARGS` with an argument array.
    func kata(
        args: [String], cwd: String? = nil, home: String? = nil, env: [String: String?] = [:], stdin: String? = nil
    ) async throws -> RunResult {
        try await run(Bin.kata, args, home: home, env: env, cwd: cwd, stdin: stdin)
    }

    /// Starts `katad ARGS` in the foreground without waiting for it.
    func spawnKatad(_ args: [String], home: String? = nil, env: [String: String?] = [:]) throws -> KatadProcess {
        let (child, outPath, errPath) = try spawn(Bin.katad, args, home: home, env: env, cwd: base, stdin: nil)
        let d = KatadProcess(child: child, display: "katad " + args.joined(separator: " "), stdoutPath: outPath, stderrPath: errPath)
        lock.withLock { daemons.append(d) }
        return d
    }

    /// Starts `katad ARGS` and waits until `/api/v1/ping` answers 200 on `probe`
    /// (default: the first `--listen`, else `<home>/run/katad.sock`).
    func startKatad(_ args: [String], home: String? = nil, probe: ServerTarget? = nil) async throws -> KatadProcess {
        let h = home ?? self.home
        let d = try spawnKatad(args, home: h)
        var target = probe
        if target == nil, let i = args.firstIndex(of: "--listen"), i + 1 < args.count {
            let l = args[i + 1]
            target = try ServerTarget.parse(l.hasPrefix("unix://") ? l : "http://" + l)
        }
        let t = target ?? .unix(path: h + "/run/katad.sock")
        let up = await eventually(Limits.ready) {
            if !d.running { return true }
            return (try? API(t).get("/api/v1/ping").status) == 200
        }
        guard up, d.running else {
            throw HarnessError("katad did not answer /api/v1/ping on \(t) within \(Limits.ready) s:\n\(d.describe)")
        }
        return d
    }

    /// The pid of the daemon serving `home`, from its pid file, if it is alive.
    func daemonPid(home: String? = nil) -> pid_t? {
        guard let pid = Posix.pidFile((home ?? self.home) + "/run/katad.pid"), Posix.alive(pid) else { return nil }
        return pid
    }

    /// SIGTERM the daemons of every home this test used (pid file, then any katad of ours left),
    /// SIGKILL after 5 s; then remove the folder.
    func cleanup() async {
        let (allHomes, direct) = lock.withLock { (homes, daemons) }
        var pids = Set<pid_t>()
        for h in allHomes {
            if let pid = Posix.pidFile(h + "/run/katad.pid"), Posix.alive(pid),
                Posix.environ(pid).contains("KATA_HOME=\(h)")
            {
                pids.insert(pid)
            }
        }
        for d in direct where d.running { pids.insert(d.pid) }
        pids.formUnion(Posix.katadPids(under: base))
        for pid in pids { kill(pid, SIGTERM) }
        _ = await eventually(5) { pids.allSatisfy { !Posix.alive($0) } && direct.allSatisfy { !$0.running } }
        for pid in pids where Posix.alive(pid) { kill(pid, SIGKILL) }
        for d in direct where d.running { kill(d.pid, SIGKILL) }
        _ = await eventually(5) { direct.allSatisfy { !$0.running } }
        if ProcessInfo.processInfo.environment["KATA_E2E_KEEP"] != "1" {
            try? FileManager.default.removeItem(atPath: base)
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs `body` with a fresh `TestEnv`, always cleaning up (also when it throws).
func withEnv(_ body: (TestEnv) async throws -> Void) async throws {
    try Bin.require()
    await Gate.shared.acquire()
    let env: TestEnv
    do {
        env = try TestEnv()
    } catch {
        await Gate.shared.release()
        throw error
    }
    do {
        try await body(env)
    } catch {
        await env.cleanup()
        await Gate.shared.release()
        throw error
    }
    await env.cleanup()
    await Gate.shared.release()
}

// MARK: - A bound workspace

/// A workspace bound with `kata init --project NAME` (auto-starting the local daemon of `home`).
struct Workspace: Sendable {
    let env: TestEnv
    let path: String
    let home: String
    let project: String

    var socket: String { home + "/run/katad.sock" }
    var api: API { API(.unix(path: socket)) }

    static func make(_ env: TestEnv, project: String = "demo", home: String? = nil) async throws -> Workspace {
        let h = home ?? env.home
        let dir = env.newDir()
        let r = try await env.kata("init", "--project", project, "--json", cwd: dir, home: h)
        try #require(r.status == 0 && !r.signaled, "kata init --project \(project) failed: \(r)")
        return Workspace(env: env, path: dir, home: h, project: project)
    }

    /// `kata ARGS --json` in the workspace.
    func k(_ args: String..., stdin: String? = nil, env extra: [String: String?] = [:]) async throws -> RunResult {
        try await env.kata(args: args + ["--json"], cwd: path, home: home, env: extra, stdin: stdin)
    }

    /// `kata ARGS` (no --json) in the workspace.
    func plain(_ args: String..., stdin: String? = nil) async throws -> RunResult {
        try await env.kata(args: args, cwd: path, home: home, stdin: stdin)
    }

    /// `kata ARGS --json`, requiring exit 0 and JSON on stdout.
    @discardableResult
    func ok(_ args: String..., stdin: String? = nil) async throws -> J {
        let r = try await env.kata(args: args + ["--json"], cwd: path, home: home, stdin: stdin)
        try #require(r.status == 0 && !r.signaled && !r.timedOut, "expected exit 0: \(r)")
        return try #require(r.json, "expected JSON on stdout: \(r)")
    }

    /// Creates an issue; returns the issue object.
    @discardableResult
    func create(_ title: String, _ extra: String...) async throws -> J {
        let r = try await env.kata(args: ["create", title] + extra + ["--json"], cwd: path, home: home)
        try #require(r.status == 0, "create \(title) failed: \(r)")
        return try #require(r.json?.issue, "create printed no JSON: \(r)")
    }

    func show(_ ref: String, _ extra: String...) async throws -> J {
        let r = try await env.kata(args: ["show", ref] + extra + ["--json"], cwd: path, home: home)
        try #require(r.status == 0, "show \(ref) failed: \(r)")
        return try #require(r.json, "show printed no JSON: \(r)")
    }

    /// Issue numbers of `kata list EXTRA`.
    func list(_ extra: String...) async throws -> [Int64] {
        let j = try await env.kata(args: ["list"] + extra + ["--json"], cwd: path, home: home)
        try #require(j.status == 0, "list failed: \(j)")
        return numbers(j.json?.list("issues", "items"))
    }

    /// Every event of the project, via `kata events --json`.
    func events() async throws -> [J] {
        let r = try await env.kata(args: ["events", "--limit", "1000", "--json"], cwd: path, home: home)
        try #require(r.status == 0, "events failed: \(r)")
        return r.json?.list("events", "items") ?? []
    }

    /// The project's id, from `GET /api/v1/projects`.
    func projectId() throws -> Int64 {
        let a = try api.get("/api/v1/projects")
        let list = try #require(a.json?.list("projects", "items"), "GET /api/v1/projects: \(a)")
        let p = try #require(list.first { $0["name"]?.string == project }, "project \(project) not listed: \(a)")
        return try #require(p["id"]?.int)
    }
}

// MARK: - HTTP

/// Plain HTTP requests to a daemon (through `Shared.KataClient`, one connection per request).
struct API: Sendable {
    let target: ServerTarget
    init(_ target: ServerTarget) { self.target = target }

    struct Answer: CustomStringConvertible {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var json: J? { J.parse(body) }
        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? { json?["error"]?["code"]?.string }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var description: String { "HTTP \(status) \(text.prefix(800))" }
    }

    func request(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []) throws -> Answer {
        let client = KataClient(target: target, timeoutSeconds: Limits.httpSeconds)
        do {
            let a = try client.exchange(method, path, body: body, headers: headers)
            return Answer(status: a.status, headers: a.headers, body: a.body)
        } catch {
            throw HarnessError("\(method) \(path) on \(target): \(error.error.message)")
        }
    }

    func get(_ path: String, headers: [(String, String)] = []) throws -> Answer {
        try request("GET", path, headers: headers)
    }

    func postJSON(_ path: String, _ text: String) throws -> Answer {
        try request("POST", path, body: Array(text.utf8), headers: [("Content-Type", "application/json")])
    }
}

// MARK: - Server-sent events

/// One SSE frame.
struct Frame: CustomStringConvertible {
    var id: String?
    var event: String?
    var data: String?
    var json: J? { data.flatMap { J.parse($0) } }
    var idNumber: Int64? { id.flatMap { Int64($0) } }
    var description: String { "[id=\(id ?? "-") event=\(event ?? "-") data=\((data ?? "").prefix(120))]" }
}

/// A raw SSE connection (Unix socket or TCP), read without blocking a thread.
final class SSEStream {
    private let fd: Int32
    private var raw: [UInt8] = []
    private var text: [UInt8] = []
    private(set) var status = 0
    private(set) var headers: [(String, String)] = []
    private(set) var frames: [Frame] = []
    private(set) var closed = false
    private var chunked = false
    /// The body of a non-200 answer.
    private(set) var errorBody: [UInt8] = []

    /// Connects and sends `GET path` with `Accept: text/event-stream` (unless `accept` says otherwise).
    init(_ target: ServerTarget, _ path: String, headers: [(String, String)] = [], accept: String? = "text/event-stream") throws {
        fd = try SSEStream.connect(target)
        var lines = ["GET \(path) HTTP/1.1", "Host: localhost"]
        if let accept { lines.append("Accept: \(accept)") }
        for (k, v) in headers { lines.append("\(k): \(v)") }
        let req = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        var sent = 0
        while sent < req.count {
            let n = req[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                close(fd)
                throw HarnessError("cannot send the stream request: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    deinit { close(fd) }

    private static func connect(_ target: ServerTarget) throws -> Int32 {
        switch target {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &addr.sun_path) { rawPath in
                for (i, b) in bytes.enumerated() { rawPath[i] = b }
                rawPath[bytes.count] = 0
            }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if rc != 0 {
                close(fd)
                throw HarnessError("cannot connect to \(path): \(String(cString: strerror(errno)))")
            }
            return fd
        case .http(let host, let port):
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc != 0 {
                close(fd)
                throw HarnessError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
            }
            return fd
        case .https:
            throw HarnessError("https is not used by these tests")
        }
    }

    /// Reads whatever is available now; false when nothing was.
    private func pump() -> Bool {
        guard !closed else { return false }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 0) == 1 else { return false }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n <= 0 {
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return false }
            closed = true
            return true
        }
        raw += buf[0..<n]
        parse()
        return true
    }

    private func parse() {
        if status == 0 {
            guard let end = find(raw, [13, 10, 13, 10]) else { return }
            let head = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            raw = Array(raw[(end + 4)...])
            let parts = head[0].split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? -1 : -1
            for line in head.dropFirst() {
                guard let c = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<c]), line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)))
            }
            chunked = headers.contains { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }
        }
        // De-chunk what is complete.
        if chunked {
            while let lineEnd = find(raw, [13, 10]) {
                let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    closed = true
                    return
                }
                if size == 0 {
                    closed = true
                    raw = []
                    break
                }
                guard raw.count >= lineEnd + 2 + size + 2 else { break }
                text += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
                raw = Array(raw[(lineEnd + 2 + size + 2)...])
            }
        } else {
            text += raw
            raw = []
        }
        if status != 200 {
            errorBody = text
            return
        }
        // Split frames at blank lines.
        while true {
            let lf = find(text, [10, 10])
            let crlf = find(text, [13, 10, 13, 10])
            let cut: (Int, Int)?
            switch (lf, crlf) {
            case let (a?, b?): cut = a < b ? (a, 2) : (b, 4)
            case let (a?, nil): cut = (a, 2)
            case let (nil, b?): cut = (b, 4)
            default: cut = nil
            }
            guard let (at, len) = cut else { break }
            let block = String(decoding: text[..<at], as: UTF8.self)
            text = Array(text[(at + len)...])
            var f = Frame()
            var any = false
            for line in block.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix(":") { continue }
                let (field, value): (Substring, Substring)
                if let c = line.firstIndex(of: ":") {
                    field = line[..<c]
                    var v = line[line.index(after: c)...]
                    if v.hasPrefix(" ") { v = v.dropFirst() }
                    value = v
                } else {
                    field = line
                    value = ""
                }
                any = true
                switch field {
                case "id": f.id = String(value)
                case "event": f.event = String(value)
                case "data": f.data = f.data.map { $0 + "\n" + value } ?? String(value)
                default: break
                }
            }
            if any { frames.append(f) }
        }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = 0
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }

    /// Waits for the response head; returns the status.
    func waitForHead(_ timeout: Double = Limits.stream) async -> Int {
        _ = await eventually(timeout) {
            while pump() {}
            return status != 0 || closed
        }
        if status != 200 {
            _ = await eventually(2) {
                while pump() {}
                return closed || J.parse(errorBody) != nil
            }
        }
        return status
    }

    /// Reads until `condition(frames)` holds, the stream closes, or `timeout` passes; returns whether it held.
    @discardableResult
    func read(until condition: ([Frame]) -> Bool, timeout: Double = Limits.stream) async -> Bool {
        var held = false
        _ = await eventually(timeout) {
            while pump() {}
            held = condition(frames)
            return held || closed
        }
        return held
    }

    /// Reads for `seconds` more, collecting frames (to prove that nothing else arrives).
    func settle(_ seconds: Double) async {
        _ = await eventually(seconds) {
            while pump() {}
            return closed
        }
    }

    /// Waits until the server closes the stream.
    func waitForClose(_ timeout: Double) async -> Bool {
        await eventually(timeout) {
            while pump() {}
            return closed
        }
    }

    var errorJSON: J? { J.parse(errorBody) }

    /// Event frames (those with an id and a type other than the reset marker).
    var eventFrames: [Frame] { frames.filter { $0.event != nil && $0.event != "sync.reset_required" && $0.idNumber != nil } }
}

// MARK: - Checks of the wire formats (from the spec)

enum Wire {
    static let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// A 26-character Crockford base-32 ULID.
    static func isULID(_ s: String?) -> Bool {
        guard let s, s.count == 26 else { return false }
        return s.uppercased().allSatisfy { crockford.contains($0) }
    }

    /// UTC RFC 3339 with milliseconds: `2024-05-01T12:00:00.123Z` (or `+00:00`).
    static func isTimestamp(_ s: String?) -> Bool {
        guard let s else { return false }
        let c = Array(s)
        guard c.count == 24 || c.count == 29 else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]
        guard digits.allSatisfy({ c[$0].isASCII && c[$0].isNumber }) else { return false }
        guard c[4] == "-", c[7] == "-", c[10] == "T", c[13] == ":", c[16] == ":", c[19] == "." else { return false }
        return c.count == 24 ? c[23] == "Z" : String(c[23...]) == "+00:00"
    }
}
