import ArgumentParser
import Foundation
import Shared

/// `kata-admin config check|show`.
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", 
        abstract: "Check or show the daemon's configuration.",
        discussion: "Example: kata-admin config check --config /srv/kata/config.toml", subcommands: [Check.self, Show.self])

    /// The problems as the JSON output lists them.
    struct Item: Codable {
        var key: String
        var message: String
        var line: Int?
        init(_ p: ConfigProblem) {
            key = p.key
            message = p.message
            line = p.line
        }
    }

    struct CheckAnswer: Codable {
        var file: String
        var valid: Bool
        var authMode: String
        var listeners: [String]
        var problems: [Item]
        var warnings: [Item]
    }

    /// Loads, merges and checks a configuration exactly as katad does at start-up (rule 6 aside).
    static func evaluate(file: String?, listen: [String], insecureReadonly: Bool, env: [String: String]) -> (DaemonConfig, ConfigReport, String) {
        let home = KataHome.fromEnvironment(env)
        let path = file.map(Paths.absolute) ?? home.configPath
        var config = DaemonConfig()
        var report = ConfigReport()
        if let text = Paths.readText(path) {
            let (parsed, problems) = DaemonConfig.parse(text, file: path)
            config = parsed
            report.problems += problems
            if let token = parsed.auth.token, !token.isEmpty {
                var st = stat()
                if stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
                    let mode = String(st.st_mode & 0o777, radix: 8)
                    report.warnings.append(
                        ConfigProblem(key: "auth.token", message: "\(path) holds a token and is readable by others (mode 0\(mode)); run chmod 600 \(path)"))
                }
            }
        } else if file != nil {
            report.problems.append(ConfigProblem(key: path, message: "cannot read the file; check the path and its permissions"))
        }
        report.problems += config.applyEnvironment(env)
        config.applyFlags(listen: listen, insecureReadonly: insecureReadonly)
        let rules = StartupRules.check(config, home: home, identityRecordsExist: nil)
        report.problems += rules.problems
        report.warnings += rules.warnings
        return (config, report, path)
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", 
            abstract: "Apply katad's start-up rules offline; exit 0 when valid, 3 when not, every problem listed with its key.",
            discussion: "Example: kata-admin config check --config /etc/kata/config.toml --listen 100.64.0.5:7777")

        @Option(help: "The file to check (default: <KATA_HOME>/config.toml).") var config: String?
        @Option(name: .customLong("listen"), help: "Listener address as katad would get it (repeatable; replaces the configured list).")
        var listen: [String] = []
        @Flag(name: .customLong("insecure-readonly"), help: "Check as if katad ran with --insecure-readonly.") var insecureReadonly = false
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let env = Shared.Environment.all()
            let (cfg, report, path) = Config.evaluate(file: config, listen: listen, insecureReadonly: insecureReadonly, env: env)
            let listeners = cfg.listeners(home: KataHome.fromEnvironment(env)).0.map(\.description)
            if json {
                printJSON(
                    CheckAnswer(
                        file: path, valid: report.isValid, authMode: cfg.authMode, listeners: listeners,
                        problems: report.problems.map(Item.init), warnings: report.warnings.map(Item.init)))
            } else {
                for p in report.problems { printLine("error: \(p)") }
                for w in report.warnings { printLine("warning: \(w)") }
                printLine(report.isValid ? "\(path): valid (auth \(cfg.authMode), listeners \(listeners.joined(separator: ", ")))" : "\(path): invalid, \(report.problems.count) problem(s)")
            }
            if !report.isValid { throw AdminExit(code: KataExitCode.validation.rawValue) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", 
            abstract: "Show the merged effective configuration (file, environment), secrets redacted.",
            discussion: "Example: kata-admin config show --json")

        @Option(help: "The file (default: <KATA_HOME>/config.toml).") var config: String?
        @Flag(help: "Print as JSON.") var json = false

        struct Effective: Codable {
            var file: String
            var listen: [String]
            var activeDaemon: String?
            var authMode: String
            var token: String?
            var trustPrivateNetwork: Bool
            var requireTokenIdentity: Bool
            var insecureReadonly: Bool
            var sessionTtlSeconds: Int64
            var trustedActorHeader: String?
            var trustedProxyListeners: [String]
            var tlsCertFile: String?
            var tlsKeyFile: String?
        }

        func run() throws {
            let env = Shared.Environment.all()
            let (cfg, report, path) = Config.evaluate(file: config, listen: [], insecureReadonly: false, env: env)
            let eff = Effective(
                file: path, listen: cfg.listeners(home: KataHome.fromEnvironment(env)).0.map(\.description), activeDaemon: cfg.activeDaemon,
                authMode: cfg.authMode, token: cfg.auth.token == nil ? nil : "(set, redacted)",
                trustPrivateNetwork: cfg.auth.trustPrivateNetwork, requireTokenIdentity: cfg.auth.requireTokenIdentity,
                insecureReadonly: cfg.auth.insecureReadonly, sessionTtlSeconds: cfg.auth.sessionTTL,
                trustedActorHeader: cfg.proxy.trustedActorHeader, trustedProxyListeners: cfg.proxy.trustedProxyListeners,
                tlsCertFile: cfg.tls?.certFile, tlsKeyFile: cfg.tls?.keyFile)
            if json {
                printJSON(eff)
            } else {
                let data = (try? KataJSON.encoder(pretty: true).encode(eff)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                printLine(data)
                for p in report.problems { printLine("error: \(p)") }
            }
            if !report.isValid { throw AdminExit(code: KataExitCode.validation.rawValue) }
        }
    }
}
