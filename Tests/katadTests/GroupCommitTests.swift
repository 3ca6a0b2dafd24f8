import Dispatch
import Foundation
import GRDB
import Shared
import Synchronization
import Testing

@testable import katad

/// A file-backed pool (WAL, several connections) in a fresh temporary folder, with a table `t`.
private func makePool() throws -> DatabasePool {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kata-gc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let pool = try DatabasePool(path: dir.appendingPathComponent("t.db").path)
    try pool.write { db in
        try db.execute(sql: "CREATE TABLE t(x INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        try db.execute(sql: "CREATE TABLE parent(id INTEGER PRIMARY KEY)")
        try db.execute(sql: "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id))")
    }
    return pool
}

private struct Refused: Error, Equatable {}

/// A shared, lock-protected value the closures under test can write to.
final class Locked<T: Sendable>: Sendable {
    private let mutex: Mutex<T>
    init(_ value: T) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout T) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// A committer whose first write holds the writer until `open()` is called, so the writes submitted
/// meanwhile all queue for the second batch.
private struct GatedCommitter {
    let committer: GroupCommitter
    let sizes: Locked<[Int]>
    let gate: DispatchSemaphore
    let first: Task<Void, any Error>

    init(_ pool: DatabasePool, events: Locked<[[Int64]]>? = nil) async throws {
        let sizes = Locked<[Int]>([])
        let gc = GroupCommitter(
            writer: pool, onCommit: { evs, _ in events?.withLock { $0.append(evs.map(\.id)) } },
            onBatch: { n in sizes.withLock { $0.append(n) } })
        let gate = DispatchSemaphore(value: 0)
        self.gate = gate
        first = Task {
            try await gc.write { db, _ in
                gate.wait()
                try db.execute(sql: "INSERT INTO t(x, v) VALUES (1, 'first')")
            }
        }
        committer = gc
        self.sizes = sizes
        #expect(await eventually { sizes.withLock { $0 } == [1] }, "the first write should be running alone")
    }

    func waitForPending(_ n: Int) async {
        #expect(await eventually { committer.pendingCount == n })
    }

    func open() { gate.signal() }
}

private func rows(_ pool: DatabasePool) throws -> [Int64] {
    try pool.read { db in try Int64.fetchAll(db, sql: "SELECT x FROM t ORDER BY x") }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test func writesThatQueueDuringACommitShareTheNextTransaction() async throws {
        let pool = try makePool()
        let g = try await GatedCommitter(pool)
        let later = (2...11).map { i in
            Task { () -> Int in
                try await g.committer.write { db, _ in
                    try db.execute(sql: "INSERT INTO t(x, v) VALUES (?, 'later')", arguments: [i])
                    return i
                }
            }
        }
        await g.waitForPending(10)
        g.open()
        try await g.first.value
        var answered: [Int] = []
        for t in later { answered.append(try await t.value) }
        #expect(answered == Array(2...11))
        #expect(g.sizes.withLock { $0 } == [1, 10], "ten queued writes should be carried by one transaction")
        #expect(try rows(pool) == Array(1...11))
    }

    @Test func aFailingWriteIsRolledBackAloneAndTheOthersCommit() async throws {
        let pool = try makePool()
        let g = try await GatedCommitter(pool)
        let ok2 = Task { try await g.committer.write { db, _ in try db.execute(sql: "INSERT INTO t(x, v) VALUES (2, 'ok')") } }
        await g.waitForPending(1)
        let refused = Task {
            try await g.committer.write { db, _ in
                try db.execute(sql: "INSERT INTO t(x, v) VALUES (3, 'half done')")
                throw Refused()
            }
        }
        await g.waitForPending(2)
        let duplicate = Task { try await g.committer.write { db, _ in try db.execute(sql: "INSERT INTO t(x, v) VALUES (2, 'again')") } }
        await g.waitForPending(3)
        let ok5 = Task { try await g.committer.write { db, _ in try db.execute(sql: "INSERT INTO t(x, v) VALUES (5, 'ok')") } }
        await g.waitForPending(4)
        g.open()
        try await g.first.value
        try await ok2.value
        try await ok5.value
        await #expect(throws: Refused.self) { try await refused.value }
        await #expect(throws: DatabaseError.self) { try await duplicate.value }
        #expect(g.sizes.withLock { $0 } == [1, 4])
        #expect(try rows(pool) == [1, 2, 5], "the refused write's row 3 must be rolled back, rows 2 and 5 kept")
        let v = try await pool.read { db in try String.fetchOne(db, sql: "SELECT v FROM t WHERE x = 2") }
        #expect(v == "ok")
    }

    @Test func aFailedCommitFailsEveryWriteOfTheBatchAndChangesNothing() async throws {
        let pool = try makePool()
        let events = Locked<[[Int64]]>([])
        let g = try await GatedCommitter(pool, events: events)
        let ok = Task {
            try await g.committer.write { db, sink in
                try db.execute(sql: "INSERT INTO t(x, v) VALUES (2, 'ok')")
                sink.events.append(event(42))
            }
        }
        await g.waitForPending(1)
        // A deferred foreign key is checked at COMMIT only: the savepoint succeeds, the commit fails.
        let orphan = Task {
            try await g.committer.write { db, _ in
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                try db.execute(sql: "INSERT INTO child(id, parent_id) VALUES (1, 999)")
            }
        }
        await g.waitForPending(2)
        g.open()
        try await g.first.value
        await #expect(throws: DatabaseError.self) { try await ok.value }
        await #expect(throws: DatabaseError.self) { try await orphan.value }
        #expect(try rows(pool) == [1], "nothing of the failed batch may remain")
        let children = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM child") }
        #expect(children == 0)
        #expect(events.withLock { $0 }.flatMap { $0 }.isEmpty, "a rolled-back write's events must not be published")
        // The committer goes on working after a failed batch.
        try await g.committer.write { db, _ in try db.execute(sql: "INSERT INTO t(x, v) VALUES (3, 'after')") }
        #expect(try rows(pool) == [1, 3])
    }

    @Test func aWriteThatEndsTheWholeTransactionFailsItsBatch() async throws {
        let pool = try makePool()
        let g = try await GatedCommitter(pool)
        let before = Task { try await g.committer.write { db, _ in try db.execute(sql: "INSERT INTO t(x, v) VALUES (2, 'before')") } }
        await g.waitForPending(1)
        // What SQLite does by itself on a full disk or an I/O error: the whole transaction is rolled back.
        // GRDB then refuses every later statement of the transaction block (SQLITE_ABORT), so the later
        // savepoint cannot start a transaction of its own, and the batch fails as a whole.
        let ender = Task { try await g.committer.write { db, _ in try db.execute(sql: "ROLLBACK") } }
        await g.waitForPending(2)
        let after = Task { try await g.committer.write { db, _ in try db.execute(sql: "INSERT INTO t(x, v) VALUES (4, 'after')") } }
        await g.waitForPending(3)
        g.open()
        try await g.first.value
        await #expect(throws: DatabaseError.self) { try await before.value }
        await #expect(throws: DatabaseError.self) { try await ender.value }
        await #expect(throws: DatabaseError.self) { try await after.value }
        #expect(g.sizes.withLock { $0 } == [1, 3])
        #expect(try rows(pool) == [1], "no write of the ended batch may be committed on its own")
        try await g.committer.write { db, _ in try db.execute(sql: "INSERT INTO t(x, v) VALUES (5, 'later')") }
        #expect(try rows(pool) == [1, 5])
    }

    @Test func anAnswerComesOnlyAfterTheCommitIsVisibleToOtherConnections() async throws {
        let pool = try makePool()
        let gc = GroupCommitter(writer: pool, onCommit: { _, _ in })
        try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 1...40 {
                group.addTask {
                    try await gc.write { db, _ in
                        try db.execute(sql: "INSERT INTO t(x, v) VALUES (?, 'w')", arguments: [i])
                    }
                    // Read on another connection of the pool: the write must already be committed.
                    return try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t WHERE x = ?", arguments: [i]) } ?? 0
                }
            }
            for try await seen in group { #expect(seen == 1) }
        }
        #expect(try rows(pool).count == 40)
    }

    @Test func eventsArePublishedInCommitOrderAroundAPurge() async throws {
        let pool = try makePool()
        let published = Locked<[String]>([])
        let sizes = Locked<[Int]>([])
        let gate = DispatchSemaphore(value: 0)
        let gc = GroupCommitter(
            writer: pool,
            onCommit: { evs, purge in
                published.withLock { $0.append(evs.map { String($0.id) }.joined(separator: ",") + (purge.map { " purge \($0.resetCursor)" } ?? "")) }
            },
            onBatch: { n in sizes.withLock { $0.append(n) } })
        let first = Task { try await gc.write { _, sink in gate.wait(); sink.events.append(event(1)) } }
        #expect(await eventually { sizes.withLock { $0 } == [1] })
        let a = Task { try await gc.write { _, sink in sink.events.append(event(2)) } }
        #expect(await eventually { gc.pendingCount == 1 })
        let b = Task {
            try await gc.write { _, sink in
                sink.events.append(event(3))
                sink.purge = PurgeNotice(projectId: 1, resetCursor: 4)
            }
        }
        #expect(await eventually { gc.pendingCount == 2 })
        let c = Task { try await gc.write { _, sink in sink.events.append(event(5)) } }
        #expect(await eventually { gc.pendingCount == 3 })
        gate.signal()
        for t in [first, a, b, c] { try await t.value }
        #expect(published.withLock { $0 } == ["1", "2,3 purge 4", "5"])
    }
}
