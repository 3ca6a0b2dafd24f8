import Foundation
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
