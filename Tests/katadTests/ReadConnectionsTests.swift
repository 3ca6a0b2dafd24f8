import Foundation
import GRDB
import Testing

@testable import katad

/// A WAL database on disk with `t(x)` holding 1, its pool (the writer) and `count` read connections.
private func fixture(count: Int) throws -> (pool: DatabasePool, readers: ReadConnections) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kata-read-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("kata.db").path
    let pool = try DatabasePool(path: path)
    try pool.write { db in try db.execute(sql: "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1)") }
    return (pool, try ReadConnections(path: path, count: count, configuration: Configuration(), overflow: pool))
}

private func x(_ db: Database) throws -> Int { try Int.fetchOne(db, sql: "SELECT x FROM t") ?? -1 }

@Suite("Read connections")
struct ReadConnectionsTests {
    /// Every statement of one read sees the same snapshot, even when a write commits between them.
    @Test func aReadSeesOneSnapshot() throws {
        let (pool, readers) = try fixture(count: 2)
        let (before, after) = try readers.read { db in
            let before = try x(db)
            try pool.write { db in try db.execute(sql: "UPDATE t SET x = 2") }
            return (before, try x(db))
        }
        #expect(before == 1)
        #expect(after == 1, "the second statement of the read saw the write committed during the read")
        #expect(try readers.read(x) == 2, "the next read sees the write")
    }

    /// A read that throws ends its transaction: the connection goes back to the free list and its next
    /// read sees later writes.
    @Test func aReadThatThrowsEndsItsTransaction() throws {
        struct Stop: Error {}
        let (pool, readers) = try fixture(count: 1)
        #expect(throws: Stop.self) {
            try readers.read { db in
                _ = try x(db)
                throw Stop()
            }
        }
        try pool.write { db in try db.execute(sql: "UPDATE t SET x = 3") }
        #expect(try readers.read(x) == 3)
    }

    /// When every connection is taken, a read runs on the pool's readers instead of waiting.
    @Test func aReadWhileEveryConnectionIsBusyRunsOnThePool() throws {
        let (_, readers) = try fixture(count: 1)
        let inner = try readers.read { _ in try readers.read(x) }
        #expect(inner == 1)
    }

    /// The store reads through its read connections, and a refused read (an unknown issue) leaves them
    /// usable.
    @Test func theStoreReadsThroughThemAfterARefusal() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kata-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try Store.open(path: dir.appendingPathComponent("kata.db").path, onCommit: { _, _ in })
        #expect(store.readers != nil)
        let project = try await store.addProject("alpha")
        await #expect(throws: KataError.self) {
            _ = try await store.issueDetail(projectId: project.id, ref: "1", comments: false, events: false)
        }
        let f = Fixture(store: store, log: CommitLog(), project: project)
        let created = try await f.create("Readers see the first issue")
        let detail = try await store.issueDetail(projectId: project.id, ref: "1", comments: true, events: true)
        #expect(detail.issue.uid == created.uid)
        #expect(detail.events?.map(\.type) == ["issue.created"])
    }
}
