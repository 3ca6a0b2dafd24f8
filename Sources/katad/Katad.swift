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
            Serves unix://<KATA_HOME>/run/katad.sock by default, and always the admin socket
            <KATA_HOME>/run/admin.sock. Stops gracefully on SIGTERM or SIGINT.

            Example:
              KATA_HOME=/srv/kata katad --listen unix:///srv/kata/run/katad.sock --listen 127.0.0.1:7777
            """,
        version: KataVersion.string)

    @Option(name: .customLong("listen"), help: "Listener address (repeatable): unix:///abs/path.sock, host:port or [v6]:port.")
    var listen: [String] = []

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
        var listeners: [ListenAddress] = []
        for text in listen {
            do {
                listeners.append(try ListenAddress.parse(text))
            } catch {
                throw StartupError.config("--listen \(text): \(error.message)")
            }
        }
        if listeners.isEmpty { listeners = [home.defaultListener] }
        for case .tcp(let host, _) in listeners where AddressClass.of(host: host) != .local {
            throw StartupError.config(
                "listener \(ListenAddress.tcp(host: host, port: 0).description.dropLast(2)) is not local and no token is configured: "
                    + "refusing to expose writes to a network (rule 4); listen on a Unix socket or loopback")
        }

        let lock = HomeLock(home: home)
        try lock.acquire()
        let logger = Self.makeLogger(home: home, env: env)
        let broadcaster = EventBroadcaster()
        let store: Store
        do {
            store = try Store.open(path: home.databasePath) { events, purge in broadcaster.publish(events, purge: purge) }
            chmod(home.databasePath, 0o600)
        } catch {
            lock.release(sockets: [])
            throw StartupError.environment("cannot open the database \(home.databasePath): \(error)")
        }
        let services = APIServices(
            store: store, broadcaster: broadcaster, startedAt: .now, listeners: listeners.map(\.description), authMode: "local")
        logger.info("starting", metadata: ["version": "\(KataVersion.string)", "home": "\(home.root)", "pid": "\(getpid())"])
        let unixPaths = listeners.compactMap { a -> String? in
            if case .unix(let p) = a { return p }
            return nil
        }
        for p in unixPaths where p != home.socketPath { lock.removeStaleSocketIfDead(p) }
        do {
            try await DaemonServer(services: services, listeners: listeners, adminSocket: home.adminSocketPath, logger: logger).run()
        } catch {
            lock.release(sockets: unixPaths + [home.adminSocketPath])
            throw StartupError.environment("cannot serve: \(error)")
        }
        lock.release(sockets: unixPaths + [home.adminSocketPath])
        logger.info("stopped")
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
