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
    /// Called after each commit with the events it wrote, in commit order.
    let onCommit: @Sendable ([Event], PurgeNotice?) -> Void

    /// Opens (creating if needed) the database file at `path` with the daemon's pragmas, and migrates it.
    static func open(path: String, onCommit: @escaping @Sendable ([Event], PurgeNotice?) -> Void) throws -> Store {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            db.add(function: Migrations.reverseFunction)
        }
        let pool = try DatabasePool(path: path, configuration: config)
        let store = Store(writer: pool, onCommit: onCommit)
        try store.migrate()
        return store
    }

    /// An in-memory store for unit tests.
    static func inMemory(onCommit: @escaping @Sendable ([Event], PurgeNotice?) -> Void = { _, _ in }) throws -> Store {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in db.add(function: Migrations.reverseFunction) }
        let queue = try DatabaseQueue(configuration: config)
        let store = Store(writer: queue, onCommit: onCommit)
        try store.migrate()
        return store
    }

    func migrate() throws {
        try Migrations.migrator.migrate(writer)
        try writer.write { db in
            if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_uid'") == nil {
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('instance_uid', ?)", arguments: [ULID().string])
            }
        }
    }

    /// The schema version: the number of applied migrations.
    func schemaVersion() async throws -> Int {
        try await writer.read { db in try Migrations.migrator.appliedIdentifiers(db).count }
    }

    /// Whether the database answers a trivial query.
    func ping() async -> Bool {
        (try? await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// Runs one write transaction that produces events; they are handed to `onCommit` after the commit.
    func writeWithEvents<T: Sendable>(_ body: @escaping @Sendable (Database, inout EventSink) throws -> T) async throws -> T {
        let onCommit = self.onCommit
        return try await writer.write { db in
            var sink = EventSink()
            let result = try body(db, &sink)
            let events = sink.events
            let purge = sink.purge
            if !events.isEmpty || purge != nil {
                db.afterNextTransaction(onCommit: { _ in onCommit(events, purge) })
            }
            return result
        }
    }
}

/// Collects the events a transaction writes, for broadcasting after its commit.
struct EventSink {
    var events: [Event] = []
    var purge: PurgeNotice?
}

/// A purge, as subscribers of the stream need to hear about it.
struct PurgeNotice: Sendable, Equatable {
    var projectId: Int64
    var resetCursor: Int64
}
