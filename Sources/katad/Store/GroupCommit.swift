import Dispatch
import GRDB
import Shared
import Synchronization

/// Group commit: the issue writes that arrive while a transaction is being written are carried together
/// by the next one.
///
/// Each write runs inside its own savepoint of the shared transaction, so a write that fails (a
/// validation error, a conflict) is rolled back alone and the others still commit. A caller is answered
/// only after the transaction that carries its write has committed, so an acknowledged write is exactly as
/// durable as with one transaction per write (WAL, `synchronous = NORMAL`); if the commit itself fails,
/// every write of the batch gets that error and the database is as it was before the batch.
///
/// Search rows are written once per batch, after its last write (see `SearchRows`): each write hands on
/// the batch's rows so far, its own added, or unchanged if it was rolled back.
///
/// When writes arrive one at a time a batch holds one write: nothing waits for a batch to fill. Under load
/// the batch is whatever queued during the previous commit (at most `maxBatch`), which is what turns one
/// commit per request into one commit per batch.
final class GroupCommitter: Sendable {
    /// One write waiting for a batch.
    struct Job: Sendable {
        /// Runs the write inside its savepoint, given the batch's search rows so far, and returns what to do
        /// once the batch has ended.
        let run: @Sendable (Database, SearchRows) -> Outcome
        /// Answers the caller without running the write (the batch could not start).
        let fail: @Sendable (any Error) -> Void
    }

    /// What a write produced inside the batch, and how to answer its caller once the batch has ended.
    struct Outcome: Sendable {
        var events: [Event]
        var purge: PurgeNotice?
        /// The batch's search rows after this write.
        var search: SearchRows
        /// Called with nil after the commit, or with the error that rolled the batch back.
        let resume: @Sendable ((any Error)?) -> Void
    }

    struct State {
        var pending: [Job] = []
        var draining = false
    }

    /// The most writes one transaction carries.
    static let maxBatch = 256

    private let writer: any DatabaseWriter
    /// Told the terms of the rows each batch indexes.
    private let indexedTerms: IndexedTerms?
    private let onCommit: @Sendable ([Event], PurgeNotice?) -> Void
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "kata.group-commit")
    /// Told the size of each batch as it starts (tests and diagnostics).
    private let onBatch: (@Sendable (Int) -> Void)?
    /// Called after each commit, once its callers are answered (the WAL checkpointer).
    private let afterCommit: (@Sendable () -> Void)?

    init(
        writer: any DatabaseWriter, indexedTerms: IndexedTerms? = nil, onCommit: @escaping @Sendable ([Event], PurgeNotice?) -> Void,
        onBatch: (@Sendable (Int) -> Void)? = nil, afterCommit: (@Sendable () -> Void)? = nil
    ) {
        self.writer = writer
        self.indexedTerms = indexedTerms
        self.onCommit = onCommit
        self.onBatch = onBatch
        self.afterCommit = afterCommit
    }

    /// How many writes wait for the next batch.
    var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Runs `body` in the next batch and returns its result once that batch has committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database, inout EventSink) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db, search in
                    var sink = EventSink(search: search)
                    var value: T?
                    do {
                        try GroupCommitter.inSavepoint(db) { value = try body(db, &sink) }
                    } catch {
                        return Outcome(events: [], purge: nil, search: search, resume: { _ in continuation.resume(throwing: error) })
                    }
                    let result = value!
                    return Outcome(
                        events: sink.events, purge: sink.purge, search: sink.search,
                        resume: { batchError in
                            if let batchError {
                                continuation.resume(throwing: batchError)
                            } else {
                                continuation.resume(returning: result)
                            }
                        })
                },
                fail: { continuation.resume(throwing: $0) })
            enqueue(job)
        }
    }

    private func enqueue(_ job: Job) {
        let startDrain = state.withLock { s -> Bool in
            s.pending.append(job)
            if s.draining { return false }
            s.draining = true
            return true
        }
        if startDrain { queue.async { self.drain() } }
    }

    /// Writes batches until nothing is pending.
    private func drain() {
        while true {
            let batch = state.withLock { s -> [Job] in
                if s.pending.isEmpty {
                    s.draining = false
                    return []
                }
                let n = min(s.pending.count, Self.maxBatch)
                let taken = Array(s.pending.prefix(n))
                s.pending.removeFirst(n)
                return taken
            }
            if batch.isEmpty { return }
            commit(batch)
        }
    }

    private func commit(_ batch: [Job]) {
        onBatch?(batch.count)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        do {
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    var search = SearchRows()
                    for job in batch {
                        let outcome = job.run(db, search)
                        search = outcome.search
                        outcomes.append(outcome)
                    }
                    try search.write(db, terms: indexedTerms)
                    return .commit
                }
            }
        } catch {
            // Rolled back: none of the batch's writes happened.
            for outcome in outcomes { outcome.resume(error) }
            for job in batch.dropFirst(outcomes.count) { job.fail(error) }
            return
        }
        publish(outcomes)
        for outcome in outcomes { outcome.resume(nil) }
        afterCommit?()
    }

    /// Runs `body` inside a savepoint of the batch's transaction, rolled back alone if it throws. Like
    /// `Database.inSavepoint`, with statements prepared once per connection: that one prepares `SAVEPOINT`
    /// and `RELEASE` from their text at every call, which at half of peak cost about 5 % of the writer.
    static func inSavepoint(_ db: Database, _ body: () throws -> Void) throws {
        try db.cachedStatement(sql: "SAVEPOINT kata_write").execute()
        do {
            try body()
        } catch {
            if db.isInsideTransaction {
                do {
                    try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT kata_write").execute()
                    try db.cachedStatement(sql: "RELEASE SAVEPOINT kata_write").execute()
                } catch {
                    // Its changes could not be undone alone: undo the whole batch, which then fails as a whole
                    // (GRDB refuses the rest of an ended transaction block).
                    try? db.execute(sql: "ROLLBACK")
                }
            }
            throw error
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT kata_write").execute()
    }

    /// Hands the batch's events to subscribers in commit order: one call for a run of writes, and a
    /// purge's notice right after the events that preceded it.
    private func publish(_ outcomes: [Outcome]) {
        var run: [Event] = []
        for outcome in outcomes {
            if let purge = outcome.purge {
                run += outcome.events
                onCommit(run, purge)
                run = []
            } else {
                run += outcome.events
            }
        }
        if !run.isEmpty { onCommit(run, nil) }
    }
}
