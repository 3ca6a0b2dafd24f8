import ArgumentParser
import Foundation
import GRDB
import Shared

/// `kata-admin backup --out FILE`: an online, consistent copy through the admin socket.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", 
        abstract: "Write an online, consistent backup of the database (0600) while the daemon keeps serving.",
        discussion: """
            The daemon copies its database with SQLite's backup API from one snapshot, checks the copy, and \
            renames it into place, so a failed backup leaves no partial file. Users, tokens (hashes) and \
            every event come along: a token minted before the backup works after a restore.

            Example:
              kata-admin backup --out /var/backups/kata-$(date +%F).db
            """)
    @Option(help: "The backup file to write.") var out: String
    @Flag(help: "Replace the file when it exists.") var force = false
    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let path = Paths.absolute(out)
        try Tokens.call(json: json) { api throws(ErrorEnvelope) in
            let answer = try api.client.call(
                "POST", "/admin/v1/backup", body: BackupRequest(path: path, force: force), as: BackupAnswer.self)
            if json { return printJSON(answer) }
            printLine("backed up the database (schema \(answer.schemaVersion), \(answer.bytes) bytes) to \(answer.path)")
        }
    }
}

/// `kata-admin restore FILE`: puts a backup in place of the database, with the daemon stopped.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", 
        abstract: "Replace the database with a backup (the daemon must be stopped).",
        discussion: """
            The file must be a SQLite database that passes `PRAGMA integrity_check` and was written by this \
            or an older katad. The current database is moved aside to kata.db.pre-restore-<time> (kept, so a \
            mistaken restore can be undone by hand), the backup is copied in (0600) and opened; if it does not \
            open, the previous database is put back.

            Example:
              kata daemon stop && kata-admin restore /var/backups/kata-2026-12-01.db && kata daemon start
            """)
    @Argument(help: "The backup file (from `kata-admin backup`).") var file: String
    @Flag(help: "Print as JSON.") var json = false

    struct Answer: Codable {
        var restored: String
        var database: String
        var previous: String?
        var schemaVersion: Int
        var instanceUid: String
    }

    func run() throws {
        do throws(ErrorEnvelope) {
            let answer = try Self.restore(Paths.absolute(file), home: KataHome.fromEnvironment())
            if json { return printJSON(answer) }
            printLine("restored \(answer.restored) into \(answer.database) (schema \(answer.schemaVersion))")
            if let previous = answer.previous { printLine("the previous database is kept at \(previous)") }
        } catch {
            throw AdminExit.reporting(error, json: json)
        }
    }

    static func refuse(_ message: String, hint: String? = nil, code: ErrorCode = .validation) -> ErrorEnvelope {
        ErrorEnvelope(status: code == .conflict ? 409 : 400, code: code, message: message, hint: hint)
    }

    static func restore(_ file: String, home: KataHome) throws(ErrorEnvelope) -> Answer {
        if let pid = DaemonProcess(home: home).runningPid() {
            throw refuse(
                "katad (pid \(pid)) is running on \(home.root): restore needs it stopped", hint: "run `kata daemon stop`, then restore again",
                code: .conflict)
        }
        var st = stat()
        guard stat(file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw refuse("\(file): no such file") }
        guard let magic = FileHandle(forReadingAtPath: file)?.readData(ofLength: 16), magic == Data("SQLite format 3\0".utf8) else {
            throw refuse("\(file) is not a SQLite database", hint: "restore a file written by `kata-admin backup`")
        }
        let db = home.databasePath
        let stamp = Timestamp.now().replacingOccurrences(of: ":", with: "-")
        let incoming = "\(db).restore-\(getpid())"
        defer { for s in ["", "-wal", "-shm"] { unlink(incoming + s) } }
        try copy(file, to: incoming)
        let facts = try check(incoming, what: file)
        var previous: String?
        if access(db, F_OK) == 0 {
            let aside = "\(db).pre-restore-\(stamp)"
            for s in ["", "-wal", "-shm"] where access(db + s, F_OK) == 0 {
                guard rename(db + s, aside + s) == 0 else {
                    throw refuse("cannot move \(db + s) aside: \(String(cString: strerror(errno)))")
                }
            }
            previous = aside
        }
        guard rename(incoming, db) == 0 else {
            let reason = String(cString: strerror(errno))
            if let previous { for s in ["", "-wal", "-shm"] { rename(previous + s, db + s) } }
            throw refuse("cannot put the backup in place: \(reason)")
        }
        chmod(db, 0o600)
        do throws(ErrorEnvelope) {
            _ = try check(db, what: db)
        } catch {
            unlink(db)
            if let previous { for s in ["", "-wal", "-shm"] { rename(previous + s, db + s) } }
            throw refuse("the restored database did not open (\(error.error.message)); the previous one is back in place")
        }
        return Answer(restored: file, database: db, previous: previous, schemaVersion: facts.schema, instanceUid: facts.instance)
    }

    /// Copies `from` to a new 0600 file `to`, synced.
    static func copy(_ from: String, to: String) throws(ErrorEnvelope) {
        guard let input = FileHandle(forReadingAtPath: from) else { throw refuse("cannot read \(from)") }
        let fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw refuse("cannot write \(to): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while true {
            let data = input.readData(ofLength: 1 << 20)
            if data.isEmpty { break }
            let ok = data.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
            if !ok { throw refuse("cannot write \(to): \(String(cString: strerror(errno)))") }
        }
        fsync(fd)
    }

    /// Opens a database file and checks it is a sound kata database this version can serve.
    static func check(_ path: String, what: String) throws(ErrorEnvelope) -> (schema: Int, instance: String) {
        do {
            let queue = try DatabaseQueue(path: path)
            defer { try? queue.close() }
            return try queue.read { db throws -> (Int, String) in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                guard integrity == ["ok"] else {
                    throw refuse("\(what) fails its integrity check: \(integrity.prefix(3).joined(separator: "; "))")
                }
                guard try db.tableExists("grdb_migrations"), try db.tableExists("meta"),
                    let instance = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_uid'")
                else {
                    throw refuse("\(what) is a SQLite database but not a kata database", hint: "restore a file written by `kata-admin backup`")
                }
                let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                let unknown = applied.filter { !SchemaFacts.migrations.contains($0) }
                guard unknown.isEmpty else {
                    throw refuse(
                        "\(what) was written by a newer katad (schema \(unknown.joined(separator: ", ")))", hint: "upgrade katad, then restore")
                }
                return (applied.count, instance)
            }
        } catch let e as ErrorEnvelope {
            throw e
        } catch {
            throw refuse("\(what) cannot be read as a database: \(error)", hint: "restore a file written by `kata-admin backup`")
        }
    }
}
