import GRDB
import Synchronization

/// Read-only connections for the API's short reads (a point read, a page of 50), run on the calling
/// thread, each read in one transaction so that its statements see one snapshot.
///
/// GRDB's `DatabasePool.read` costs more around a short read than the read itself: a semaphore and a
/// lock to take a reader, a `PRAGMA schema_version` outside the transaction (a second WAL snapshot per
/// read), and `BEGIN`/`COMMIT` prepared from text each time. Here a read takes a connection from a free
/// list under a mutex and runs cached `BEGIN`/`COMMIT` statements. The schema cannot change under these
/// connections: migrations run before they open, and a restore happens with the daemon stopped.
///
/// When every connection is busy (more concurrent callers than connections, which the cooperative pool's
/// size keeps rare), the read goes to the pool's own readers instead of waiting here.
final class ReadConnections: Sendable {
    private let free: Mutex<[Connection]>
    private let overflow: any DatabaseReader

    /// One read-only connection and the `PreparedRead` statements prepared on it. Only the caller that
    /// took it from the free list touches it, until it puts it back.
    private final class Connection: @unchecked Sendable {
        let queue: DatabaseQueue
        var prepared: [Int: Statement] = [:]

        init(_ queue: DatabaseQueue) { self.queue = queue }

        func statement(_ read: PreparedRead, _ db: Database) throws -> Statement {
            if let statement = prepared[read.key] { return statement }
            let statement = try db.makeStatement(sql: read.sql)
            prepared[read.key] = statement
            return statement
        }
    }

    /// Opens `count` read-only connections on the database file at `path`.
    init(path: String, count: Int, configuration: Configuration, overflow: any DatabaseReader) throws {
        var config = configuration
        config.readonly = true
        config.label = "kata.read"
        free = Mutex(try (0..<count).map { _ in Connection(try DatabaseQueue(path: path, configuration: config)) })
        self.overflow = overflow
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        guard let connection = free.withLock({ $0.popLast() }) else {
            return try overflow.unsafeRead { db in try Self.inReadTransaction(db, body) }
        }
        defer { free.withLock { $0.append(connection) } }
        return try connection.queue.inDatabase { db in try Self.inReadTransaction(db, body) }
    }

    /// Runs `read`'s statement through `body`, without a transaction around it (see `Store.readStatement`),
    /// on a free connection, or on the pool's readers when none is free. `body` must use SQLite's own
    /// calls only, and leave the statement reset.
    ///
    /// Once prepared, the statement runs on the calling thread without entering its connection's GRDB
    /// queue (about 3,500 instructions a read): the connection is this caller's alone until it is back on
    /// the free list, whose lock orders the accesses; SQLite lets any thread use a connection that one
    /// thread at a time uses; and `body` calls no GRDB code, which would check its queue.
    func readStatement<T>(_ read: PreparedRead, _ body: (SQLiteStatement) throws -> T) throws -> T {
        guard let connection = free.withLock({ $0.popLast() }) else {
            return try overflow.unsafeRead { db in try body(db.cachedStatement(sql: read.sql).sqliteStatement) }
        }
        defer { free.withLock { $0.append(connection) } }
        if let statement = connection.prepared[read.key] { return try body(statement.sqliteStatement) }
        return try connection.queue.inDatabase { db in try body(connection.statement(read, db).sqliteStatement) }
    }

    /// Runs `body` in a deferred transaction with cached statements, rolled back if it throws.
    static func inReadTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
        do {
            let value = try body(db)
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return value
        } catch {
            try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
            throw error
        }
    }
}

/// A statement of one of the API's most frequent reads, which each read connection prepares once and keeps
/// (`ReadConnections.readStatement`). GRDB's statement cache is keyed by the SQL text, and hashing a long
/// statement's text at every read cost as many instructions as a tenth of that read's SQLite work.
struct PreparedRead: Sendable {
    /// Tells the statements apart: unique among `PreparedRead`s.
    let key: Int
    let sql: String
}
