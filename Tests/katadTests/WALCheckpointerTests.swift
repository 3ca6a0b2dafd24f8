import Foundation
import GRDB
import Testing

@testable import katad

/// A store on disk with one project, and the paths of its database and WAL files.
private func diskStore() async throws -> (f: Fixture, db: String, wal: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kata-wal-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("kata.db").path
    let store = try Store.open(path: path, onCommit: { _, _ in })
    let f = Fixture(store: store, log: CommitLog(), project: try await store.addProject("alpha"))
    return (f, path, path + "-wal")
}

private func size(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? -1
}

@Suite("WAL checkpoints beside the writer")
struct WALCheckpointerTests {
    /// A few creates stay far below the writer's own checkpoint threshold; their pages still reach the
    /// database file, copied by the checkpointer's passes.
    @Test func committedPagesReachTheDatabaseFileWithoutTheWriter() async throws {
        let (f, db, _) = try await diskStore()
        let checkpointer = try #require(f.store.checkpointer)
        let before = size(db)
        for i in 1...20 { try await f.create("Checkpoint me \(i)") }
        #expect(await eventually { size(db) > before }, "the database file should grow as the WAL is copied into it")
        #expect(checkpointer.passes > 0)
    }

    /// A pass that copied pages syncs the database file itself (SQLite syncs it only when a pass ends
    /// with the whole WAL copied), so the writer's own checkpoint finds few pages left to write; a pass
    /// that copied nothing does not sync.
    @Test func aPassThatCopiedPagesSyncsTheDatabaseFile() async throws {
        let (f, _, _) = try await diskStore()
        let checkpointer = try #require(f.store.checkpointer)
        for i in 1...20 { try await f.create("Sync me \(i)") }
        #expect(await eventually { checkpointer.databaseSyncs > 0 }, "no pass synced the database file")
        // Nothing new to copy: a pass that copies nothing leaves the count as it is.
        try await Task.sleep(for: .milliseconds(100))
        let (syncs, passes) = (checkpointer.databaseSyncs, checkpointer.passes)
        checkpointer.committed()
        #expect(await eventually { checkpointer.passes > passes }, "no pass ran")
        #expect(checkpointer.databaseSyncs == syncs)
    }

    /// The writer keeps its own, rarer, checkpoint: the WAL starts over instead of growing without bound.
    @Test func theWALStartsOverPastTheWritersThreshold() async throws {
        let (f, _, wal) = try await diskStore()
        let creates = 2 * WALCheckpointer.writerThreshold / 25
        for i in 1...creates { try await f.create("Issue number \(i) with a body", body: String(repeating: "text \(i) ", count: 40)) }
        let frame = 4096 + 24
        // The creates, one at a time, write about twice the threshold (about 25 frames each).
        #expect(size(wal) < (WALCheckpointer.writerThreshold + 400) * frame, "WAL is \(size(wal) / frame) frames")
    }
}

/// A WAL database on disk with a table `t`, its pool, and the path of its `-wal` file.
private func walDatabase() throws -> (pool: DatabasePool, path: String, wal: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kata-wal-idle-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("kata.db").path
    let pool = try DatabasePool(path: path)
    try pool.write { db in try db.execute(sql: "CREATE TABLE t(x TEXT)") }
    return (pool, path, path + "-wal")
}

/// Writes about `megabytes` MB of rows in one transaction, which leaves a `-wal` file at least that large.
private func fill(_ pool: DatabasePool, megabytes: Int) throws {
    try pool.write { db in
        for _ in 0..<(megabytes * 256) {
            try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [String(repeating: "x", count: 4000)])
        }
    }
}

@Suite("WAL file truncated when the writer is quiet")
struct WALIdleTruncationTests {
    /// After a burst, once no commit came for the delay, a `-wal` file over the limit goes back to nothing,
    /// and the database still reads and writes.
    @Test func aLargeWALIsTruncatedOnceTheWriterIsQuiet() async throws {
        let (pool, path, wal) = try walDatabase()
        try fill(pool, megabytes: 4)
        #expect(size(wal) > 4 << 20)
        let checkpointer = try WALCheckpointer(path: path, configuration: Configuration(), idleDelay: .milliseconds(100), idleLimit: 1 << 20)
        checkpointer.committed()
        #expect(await eventually { checkpointer.truncations == 1 }, "not truncated")
        #expect(size(wal) == 0)
        try await pool.write { db in try db.execute(sql: "INSERT INTO t VALUES ('after')") }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 4 * 256 + 1)
    }

    /// A `-wal` file under the limit is left as it is.
    @Test func aSmallWALIsLeftAlone() async throws {
        let (pool, path, wal) = try walDatabase()
        try fill(pool, megabytes: 1)
        let before = size(wal)
        let checkpointer = try WALCheckpointer(path: path, configuration: Configuration(), idleDelay: .milliseconds(50), idleLimit: 8 << 20)
        checkpointer.committed()
        try await Task.sleep(for: .milliseconds(400))
        #expect(checkpointer.truncations == 0)
        #expect(size(wal) == before)
    }

    /// A commit within the delay puts the truncation off until the delay has passed since that commit.
    /// An attempt in which this task was held back so long that the delay passed between its steps
    /// proves nothing and is made again.
    @Test func aCommitWithinTheDelayPutsTheTruncationOff() async throws {
        let delay = Duration.seconds(1)
        let clock = ContinuousClock()
        for attempt in 1...3 {
            let (pool, path, wal) = try walDatabase()
            try fill(pool, megabytes: 2)
            let checkpointer = try WALCheckpointer(path: path, configuration: Configuration(), idleDelay: delay, idleLimit: 1 << 20)
            let first = clock.now
            checkpointer.committed()
            try await Task.sleep(for: delay / 2)
            let second = clock.now
            checkpointer.committed()
            try await Task.sleep(for: delay * 0.7)
            let (truncations, walSize) = (checkpointer.truncations, size(wal))
            let looked = clock.now
            if (first.duration(to: second) >= delay || second.duration(to: looked) >= delay) && attempt < 3 { continue }
            // The first look, a delay after the first commit, found the second one too recent.
            #expect(truncations == 0, "truncated \(second.duration(to: looked)) after a commit")
            #expect(walSize > 1 << 20)
            #expect(await eventually { checkpointer.truncations == 1 }, "not truncated once the commits stopped")
            return
        }
    }
}
