import CSQLiteSetup
import Foundation
import GRDB
import Logging
import Shared

/// The one façade over the database. Named write methods are invariant-preserving transactions; nothing
/// above this layer sees SQL or a raw connection.
///
/// Writes go through GRDB's single writer (a `DatabasePool` in WAL mode), so callers queue instead of
/// seeing "database is locked".
struct Store: Sendable {
    let writer: any DatabaseWriter
    /// Carries the issue writes that queue up together in one transaction (see `GroupCommitter`), and
    /// calls `onCommit` after each commit with the events it wrote, in commit order.
    let committer: GroupCommitter
    /// Recent word counts of the look-alike check (see `TermCounts`).
    let termCounts = TermCounts()
    /// The terms the search index holds, for the look-alike check (see `IndexedTerms`).
    let indexedTerms = IndexedTerms()
    /// The word pairs of short issues, for the look-alike check (see `WordPairs`).
    let wordPairs = WordPairs()
    /// The connections `read` runs on; nil for an in-memory store, which reads through `writer`.
    let readers: ReadConnections?
    /// Checkpoints the WAL after the committer's commits; nil for an in-memory store.
    let checkpointer: WALCheckpointer?

    init(
        writer: any DatabaseWriter, readers: ReadConnections? = nil, checkpointer: WALCheckpointer? = nil,
        onCommit: @escaping @Sendable ([Event], PurgeNotice?) -> Void
    ) {
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        var afterCommit: (@Sendable () -> Void)?
        if let checkpointer { afterCommit = { checkpointer.committed() } }
        committer = GroupCommitter(writer: writer, indexedTerms: indexedTerms, onCommit: onCommit, afterCommit: afterCommit)
    }

    /// SQLite's process-wide settings, made once before its first connection (see `CSQLiteSetup`): no
    /// memory statistics, which took a process-wide mutex at each of the 34 allocations and frees of a
    /// read of one issue. SQLite answers `SQLITE_MISUSE` and changes nothing if a connection opened first
    /// (tests).
    static let sqliteSetup: Int32 = kata_sqlite_disable_memstatus()

    /// Opens (creating if needed) the database file at `path` with the daemon's pragmas, and migrates it.
    static func open(path: String, onCommit: @escaping @Sendable ([Event], PurgeNotice?) -> Void) throws -> Store {
        _ = sqliteSetup
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.writerThreshold)")
            }
            db.add(function: Migrations.reverseFunction)
        }
        let pool = try DatabasePool(path: path, configuration: config)
        try migrate(pool)
        // Opened after the migrations, so their schema is the final one. One per thread of the cooperative
        // pool, where the API's reads run, and two more for reads from elsewhere.
        let readers = try ReadConnections(
            path: path, count: ProcessInfo.processInfo.activeProcessorCount + 2, configuration: config, overflow: pool)
        let checkpointer = try WALCheckpointer(path: path, configuration: config)
        return Store(writer: pool, readers: readers, checkpointer: checkpointer, onCommit: onCommit)
    }

    /// An in-memory store for unit tests.
    static func inMemory(onCommit: @escaping @Sendable ([Event], PurgeNotice?) -> Void = { _, _ in }) throws -> Store {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in db.add(function: Migrations.reverseFunction) }
        let queue = try DatabaseQueue(configuration: config)
        try migrate(queue)
        return Store(writer: queue, onCommit: onCommit)
    }

    static func migrate(_ writer: any DatabaseWriter) throws {
        try Migrations.migrator.migrate(writer)
        try writer.write { db in
            if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_uid'") == nil {
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('instance_uid', ?)", arguments: [ULID().string])
            }
        }
    }

    /// The schema version: the number of applied migrations.
    func schemaVersion() async throws -> Int {
        try read { db in try Migrations.migrator.appliedIdentifiers(db).count }
    }

    /// Whether the database answers a trivial query.
    func ping() async -> Bool {
        (try? read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Runs one write that produces events, in the next group-commit batch; its events are handed to
    /// `onCommit` after the batch commits, and only then does this return.
    func writeWithEvents<T: Sendable>(_ body: @escaping @Sendable (Database, inout EventSink) throws -> T) async throws -> T {
        try await committer.write(body)
    }

    /// Runs a read on the calling thread, in one transaction on one of the read connections (see
    /// `ReadConnections`): no hop to a reader's queue and back, which costs more than the short reads of
    /// the API (a point read, a page of 50). Long reads (the export) use GRDB's async `read`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        if let readers { return try readers.read(body) }
        return try writer.unsafeRead { db in try ReadConnections.inReadTransaction(db, body) }
    }

    /// Runs a read of one statement on the calling thread, without a transaction around it: a statement
    /// reads one snapshot by itself. For `body`s that run exactly one statement.
    func readStatement<T>(_ read: PreparedRead, _ body: (SQLiteStatement) throws -> T) throws -> T {
        if let readers { return try readers.readStatement(read, body) }
        return try writer.unsafeRead { db in try body(db.cachedStatement(sql: read.sql).sqliteStatement) }
    }
}

/// Collects what a write leaves for after it: the events to broadcast after the commit, and the search
/// rows to write at the end of its batch.
struct EventSink {
    var events: [Event] = []
    var purge: PurgeNotice?
    /// The batch's search rows so far, this write's included (see `SearchRows`).
    var search = SearchRows()
}

/// A purge, as subscribers of the stream need to hear about it.
struct PurgeNotice: Sendable, Equatable {
    var projectId: Int64
    var resetCursor: Int64
}
