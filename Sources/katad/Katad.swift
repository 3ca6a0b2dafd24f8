import ArgumentParser
import Foundation
import Logging
import Shared

/// `katad`: the kata server. Owns one SQLite database and serves the HTTP API.
@main
struct Katad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "katad",
        abstract: "The kata daemon: owns the SQLite database and serves the HTTP API.",
        discussion: """
            Serves unix://<KATA_HOME>/run/katad.sock by default, and always the admin socket \
            <KATA_HOME>/run/admin.sock. Stops gracefully on SIGTERM or SIGINT.

            Example:
              KATA_HOME=/srv/kata katad --listen unix:///srv/kata/run/katad.sock --listen 127.0.0.1:7777
            """,
        version: KataVersion.string)

    @Option(name: .customLong("listen"), help: "Listener address (repeatable): unix:///abs/path.sock, host:port or [v6]:port.")
    var listen: [String] = []

    @Flag(name: .customLong("insecure-readonly"), help: "Serve reads only: without a token, writes, the stream and /tokens get 401; with a token, writes get 403.")
    var insecureReadonly = false

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        umask(0o077)
        do {
            try await serve()
        } catch let e as StartupError {
            FileHandle.standardError.write(Data("katad: \(e.message)\n".utf8))
            throw ExitCode(e.exitCode)
        }
    }

    func serve() async throws {
        let env = Shared.Environment.all()
        let home = KataHome.fromEnvironment(env)
        let (config, warnings) = try Self.effectiveConfig(home: home, env: env, listen: listen, insecureReadonly: insecureReadonly)
        let listeners = config.listeners(home: home).0
        for case .unix(let path) in listeners where path != home.socketPath && !Paths.isDirectory(Paths.parent(path)) {
            throw StartupError.config("listen: the folder of unix://\(path) does not exist; create \(Paths.parent(path)) first (katad creates only <KATA_HOME>/run)")
        }
        for w in warnings { FileHandle.standardError.write(Data("katad: warning: \(w)\n".utf8)) }

        let tlsConfiguration = try config.tls.map { t throws(StartupError) in try DaemonServer.loadTLS(t) }
        let lock = HomeLock(home: home)
        try lock.acquire()
        let logger = Self.makeLogger(home: home, env: env)
        // Streams get what was committed at most every 20 ms (see EventBroadcaster).
        let broadcaster = EventBroadcaster(coalesce: .milliseconds(20))
        let store: Store
        do {
            store = try Store.open(path: home.databasePath) { events, purge in broadcaster.publish(events, purge: purge) }
            chmod(home.databasePath, 0o600)
        } catch {
            lock.release(sockets: [])
            throw StartupError.environment("cannot open the database \(home.databasePath): \(error)")
        }
        if config.auth.requireTokenIdentity, config.auth.token?.isEmpty ?? true {
            let exists = (try? await store.identityRecordsExist()) ?? false
            let rule6 = StartupRules.check(config, home: home, identityRecordsExist: exists).problems.filter { $0.message.hasPrefix("rule 6") }
            if let p = rule6.first {
                lock.release(sockets: [])
                throw StartupError.config("refusing to start, the configuration breaks a rule:\n  - \(p)")
            }
        }
        var services = APIServices(
            store: store, broadcaster: broadcaster, startedAt: .now, listeners: listeners.map(\.description), authMode: config.authMode,
            authPolicy: AuthPolicy(
                token: config.auth.token.flatMap { $0.isEmpty ? nil : $0 }, readOnly: config.auth.insecureReadonly,
                identityMode: config.auth.requireTokenIdentity,
                trustedActorHeader: config.proxy.trustedActorHeader.flatMap { $0.isEmpty ? nil : $0 },
                trustedListeners: config.proxy.trustedProxyListeners.compactMap { try? ListenAddress.parse($0) }))
        services.sessionTTL = config.auth.sessionTTL
        services.spoolDirectory = home.runDirectory
        logger.info("starting", metadata: ["version": "\(KataVersion.string)", "home": "\(home.root)", "pid": "\(getpid())"])
        let unixPaths = listeners.compactMap { a -> String? in
            if case .unix(let p) = a { return p }
            return nil
        }
        for p in unixPaths where p != home.socketPath { lock.removeStaleSocketIfDead(p) }
        do {
            var server = DaemonServer(services: services, listeners: listeners, adminSocket: home.adminSocketPath, logger: logger)
            server.tls = tlsConfiguration
            try await server.run()
        } catch {
            lock.release(sockets: unixPaths + [home.adminSocketPath])
            throw StartupError.environment("cannot serve: \(error)")
        }
        lock.release(sockets: unixPaths + [home.adminSocketPath])
        logger.info("stopped")
    }

    /// The configuration from `<KATA_HOME>/config.toml`, the environment and the flags, checked against the
    /// start-up rules; any problem refuses the start with exit 2, listing every problem.
    static func effectiveConfig(
        home: KataHome, env: [String: String], listen: [String], insecureReadonly: Bool
    ) throws(StartupError) -> (DaemonConfig, [ConfigProblem]) {
        var config = DaemonConfig()
        var problems: [ConfigProblem] = []
        if let text = Paths.readText(home.configPath) {
            let parsed = DaemonConfig.parse(text, file: home.configPath)
            config = parsed.0
            problems += parsed.1
        }
        problems += config.applyEnvironment(env)
        config.applyFlags(listen: listen, insecureReadonly: insecureReadonly)
        // Rule 6 needs the database; it is checked once the store is open.
        let report = StartupRules.check(config, home: home, identityRecordsExist: nil)
        problems += report.problems
        if !problems.isEmpty {
            let list = problems.map { "  - \($0)" }.joined(separator: "\n")
            throw .config("refusing to start, the configuration breaks \(problems.count == 1 ? "a rule" : "these rules"):\n\(list)\nCheck it offline with `kata-admin config check`.")
        }
        return (config, report.warnings)
    }

    /// Logs go to stderr and to `<KATA_HOME>/logs/katad.log`; `KATA_LOG_LEVEL` sets the level (default info).
    static func makeLogger(home: KataHome, env: [String: String]) -> Logger {
        let level = env["KATA_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let file = FileLogHandler.openFile(home.logFilePath)
        let stderrSink = FileLogHandler.Sink(fd: 2)
        LoggingSystem.bootstrap { label in
            var handlers: [any LogHandler] = [FileLogHandler(label: label, sink: stderrSink)]
            if let file { handlers.append(FileLogHandler(label: label, sink: file)) }
            var h = MultiplexLogHandler(handlers)
            h.logLevel = level
            return h
        }
        var logger = Logger(label: "katad")
        logger.logLevel = level
        return logger
    }
}
