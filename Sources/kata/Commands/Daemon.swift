import ArgumentParser
import Foundation
import Shared

/// `kata daemon start|stop|status|logs`: the local daemon of this KATA_HOME.
struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", 
        abstract: "Run, stop, inspect the local katad of this KATA_HOME.",
        discussion: "Example: kata daemon status --json",
        subcommands: [Start.self, Stop.self, Status.self, Logs.self])

    struct StatusAnswer: Codable {
        var running: Bool
        var pid: Int32?
        var socket: String
        var home: String
        var log: String
        var health: HealthAnswer?
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "start", 
            abstract: "Start katad in the background (or --foreground).", discussion: "Example: kata daemon start --listen 127.0.0.1:7777")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("listen"), help: "Listener address (repeatable).") var listen: [String] = []
        @Flag(name: .customLong("insecure-readonly"), help: "Serve reads only, without a token.") var insecureReadonly = false
        @Flag(help: "Run in the foreground instead of starting a background daemon.") var foreground = false

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                var args: [String] = listen.flatMap { ["--listen", $0] }
                if insecureReadonly { args.append("--insecure-readonly") }
                let launcher = DaemonLauncher(home: session.home, env: session.env)
                if foreground {
                    guard let katad = launcher.katadPath() else { throw CLIError.unavailable("no katad next to kata or on PATH") }
                    var cArgs = ([katad] + args).map { strdup($0) } + [nil]
                    execv(katad, &cArgs)
                    throw CLIError.unavailable("cannot run \(katad): \(String(cString: strerror(errno)))")
                }
                if let pid = DaemonProcess(home: session.home).runningPid() {
                    if out.json { return out.value(StatusAnswer(running: true, pid: pid, socket: session.home.socketPath, home: session.home.root, log: session.home.logFilePath)) }
                    return out.line("katad is already running (pid \(pid))")
                }
                try launcher.start(arguments: args)
                let pid = DaemonProcess(home: session.home).runningPid()
                if out.json { return out.value(StatusAnswer(running: true, pid: pid, socket: session.home.socketPath, home: session.home.root, log: session.home.logFilePath)) }
                out.line("katad started (pid \(pid.map(String.init) ?? "?")) for \(session.home.root)")
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the background katad (SIGTERM, graceful).", discussion: "Example: kata daemon stop")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                guard let pid = DaemonProcess(home: session.home).runningPid() else {
                    if out.json { return out.value(StatusAnswer(running: false, socket: session.home.socketPath, home: session.home.root, log: session.home.logFilePath)) }
                    return out.line("katad is not running for \(session.home.root)")
                }
                kill(pid, SIGTERM)
                let deadline = Date().addingTimeInterval(15)
                while Date() < deadline && DaemonProcess.alive(pid) { usleep(20_000) }
                if DaemonProcess.alive(pid) {
                    throw ErrorEnvelope(status: 500, code: .internalError, message: "katad (pid \(pid)) did not stop within 15 s", hint: "see \(session.home.logFilePath)")
                }
                if out.json { return out.value(StatusAnswer(running: false, pid: pid, socket: session.home.socketPath, home: session.home.root, log: session.home.logFilePath)) }
                out.line("katad (pid \(pid)) stopped")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", 
            abstract: "Whether katad runs for this KATA_HOME; exits 7 when it does not.", discussion: "Example: kata daemon status")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let home = session.home
                let pid = DaemonProcess(home: home).runningPid()
                var answer = StatusAnswer(running: pid != nil, pid: pid, socket: home.socketPath, home: home.root, log: home.logFilePath)
                if pid != nil {
                    answer.health = try? KataClient(target: .unix(path: home.socketPath), timeoutSeconds: 5).call("GET", "/api/v1/health", as: HealthAnswer.self)
                }
                guard let pid else {
                    throw CLIError.unavailable("katad is not running for \(home.root)", hint: "any kata command starts it, or `kata daemon start`")
                }
                if out.json { return out.value(answer) }
                out.line("katad is running (pid \(pid)) on unix://\(home.socketPath)")
                if let h = answer.health {
                    out.line("version \(h.version), uptime \(Int(h.uptimeSeconds)) s, schema \(h.schemaVersion)")
                    for l in h.listeners where l != "unix://\(home.socketPath)" { out.line("also listening on \(l)") }
                }
                out.line("log: \(home.logFilePath)")
            }
        }
    }

    struct Logs: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print the daemon's log.", discussion: "Example: kata daemon logs --lines 50")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only the last N lines.") var lines: Int = 100

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                guard let text = Paths.readText(session.home.logFilePath) else {
                    throw ErrorEnvelope(status: 404, code: .notFound, message: "no log at \(session.home.logFilePath)", hint: "the daemon writes it when it starts")
                }
                let all = text.split(separator: "\n", omittingEmptySubsequences: false)
                let tail = all.suffix(max(0, lines) + (text.hasSuffix("\n") ? 1 : 0))
                if out.json { return out.value(JSONValue.object(["path": .string(session.home.logFilePath), "lines": .array(tail.filter { !$0.isEmpty }.map { .string(String($0)) })])) }
                out.line(tail.joined(separator: "\n"))
            }
        }
    }
}
