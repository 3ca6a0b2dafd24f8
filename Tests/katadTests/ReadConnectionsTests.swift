import Foundation
import GRDB
import GRDBSQLite
import NIOCore
import Shared
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
        // The one-statement read, on a read connection's own prepared statement, twice (prepared, then kept).
        for _ in 0..<2 {
            let json = try #require(try store.unlinkedIssueJSON(projectId: project.id, ref: "1"))
            #expect(try KataJSON.decoder().decode(IssueDetailAnswer.self, from: Data(String(buffer: json).utf8)).issue.uid == created.uid)
        }
        #expect(try store.unlinkedIssueJSON(projectId: project.id, ref: "2") == nil)
    }
}

@Suite("One-statement reads")
struct OneStatementReadTests {
    /// `readStatement` runs outside a transaction and leaves none behind: the next read sees later writes.
    @Test func aStatementReadEndsWithItsStatement() throws {
        let (pool, readers) = try fixture(count: 1)
        let read = PreparedRead(key: 99, sql: "SELECT x FROM t")
        /// The statement's one value, stepped with SQLite's calls as `readStatement` wants.
        func value(_ s: SQLiteStatement) -> (insideTransaction: Bool, x: Int64, statement: SQLiteStatement) {
            defer { sqlite3_reset(s) }
            guard sqlite3_step(s) == SQLITE_ROW else { return (false, -1, s) }
            return (sqlite3_get_autocommit(sqlite3_db_handle(s)) == 0, sqlite3_column_int64(s, 0), s)
        }
        let first = try readers.readStatement(read, value)
        #expect(!first.insideTransaction, "readStatement opened a transaction")
        #expect(first.x == 1)
        try pool.write { db in try db.execute(sql: "UPDATE t SET x = 4") }
        let second = try readers.readStatement(read, value)
        #expect(second.x == 4, "the connection kept the snapshot of the previous statement")
        #expect(second.statement == first.statement, "the connection prepared the statement again")
        // Its connection still works through GRDB, on its queue, after statements ran outside it.
        #expect(try readers.read { db in try Int.fetchOne(db, sql: "SELECT x FROM t") } == 4)
    }

    /// The one-statement read of `#N` writes, byte for byte, the JSON the transaction path's answer gives
    /// for an issue without links (labels sorted, texts escaped), and hands every linked issue, from either
    /// end, to that path.
    @Test func anUnlinkedIssueIsReadInOneStatementAndALinkedOneIsNot() async throws {
        let f = try await Fixture.make()
        let plain = try await f.create("Plain issue", labels: ["zeta", "alpha", "mid"])
        let tricky = try await f.create(
            "Quotes \" and \\ back-slashes, caf\u{E9} \u{1F600}", body: "tab\tnew line\nbell\u{07} / slash <b>", labels: ["a:b", "a.b", "a-b"],
            owner: "bob")
        let closed = try await f.create("Closed one")
        _ = try await f.store.close(projectId: f.pid, ref: "\(closed.number)", reason: "wontfix", message: nil, actor: "alice")
        let target = try await f.create("Blocked issue")
        let blocker = try await f.create("Blocking issue", blocks: ["\(target.number)"])
        let parent = try await f.create("Parent issue")
        let child = try await f.create("Child issue", parent: "\(parent.number)")
        let relatedTo = try await f.create("Related issue")
        let relating = try await f.create("Relating issue", related: ["\(relatedTo.number)"])
        func fast(_ number: Int64) throws -> String? {
            try f.store.unlinkedIssueJSON(projectId: f.pid, ref: "\(number)").map { String(buffer: $0) }
        }
        func full(_ number: Int64) throws -> String {
            let answer = try f.store.read { db in
                let row = try #require(try IssueRow.fetchOne(db, sql: "\(IssueRow.select) WHERE i.number = ?", arguments: [number]))
                return try Store.detail(db, row, comments: false, events: false)
            }
            return String(decoding: try KataJSON.encoder().encode(answer), as: UTF8.self)
        }
        for issue in [plain, tricky, closed] {
            let json = try #require(try fast(issue.number))
            #expect(json == (try full(issue.number)))
        }
        #expect(try fast(plain.number)?.contains(#""labels":["alpha","mid","zeta"]"#) == true)
        for linked in [target, blocker, parent, child, relatedTo, relating] {
            #expect(try fast(linked.number) == nil, "#\(linked.number) has links but was read without them")
        }
        #expect(try fast(999) == nil)
        // Through the store's entry point, the linked ones still come with their links.
        func detail(_ number: Int64) async throws -> IssueDetailAnswer {
            try await f.store.issueDetail(projectId: f.pid, ref: "\(number)", comments: false, events: false)
        }
        #expect(try await detail(target.number).links.blockedBy.map(\.number) == [blocker.number])
        #expect(try await detail(child.number).links.parent?.number == parent.number)
        #expect(try await detail(plain.number).issue.labels == ["alpha", "mid", "zeta"])
        #expect(try await detail(relating.number).links.related.map(\.number) == [relatedTo.number])
    }

    /// Whether an issue has links is one search of `links_from` and one of `links_to` (migration v7), not
    /// a search per kind or a scan of the links.
    @Test func theLinkCheckSearchesOneIndexPerDirection() async throws {
        let f = try await Fixture.make()
        let plan = try await f.store.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(Store.unlinkedIssue.sql)", arguments: [1, 1]).map { $0["detail"] as String }
        }
        let links = plan.filter { $0.contains(" k ") || $0.hasSuffix(" k") }
        #expect(links.count == 2, "\(plan)")
        #expect(links.contains { $0.contains("links_from") } && links.contains { $0.contains("links_to") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
    }
}
