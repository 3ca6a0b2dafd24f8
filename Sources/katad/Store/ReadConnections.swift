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
    private let free: Mutex<[DatabaseQueue]>
    private let overflow: any DatabaseReader

    /// Opens `count` read-only connections on the database file at `path`.
    init(path: String, count: Int, configuration: Configuration, overflow: any DatabaseReader) throws {
        var config = configuration
        config.readonly = true
        config.label = "kata.read"
        free = Mutex(try (0..<count).map { _ in try DatabaseQueue(path: path, configuration: config) })
        self.overflow = overflow
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try onConnection { db in try Self.inReadTransaction(db, body) }
    }

    /// Runs `body`, which runs one statement, without a transaction around it (see `Store.readStatement`).
    func readStatement<T>(_ body: (Database) throws -> T) throws -> T {
        try onConnection(body)
    }

    /// Runs `body` on a free connection, or on the pool's readers when none is free.
    private func onConnection<T>(_ body: (Database) throws -> T) throws -> T {
        guard let connection = free.withLock({ $0.popLast() }) else {
            return try overflow.unsafeRead(body)
        }
        defer { free.withLock { $0.append(connection) } }
        return try connection.inDatabase(body)
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
