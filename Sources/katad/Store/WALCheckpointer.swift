import Foundation
import GRDB
import Synchronization

/// Copies committed WAL frames into the database file on its own connection and thread, so that the
/// writer seldom has to.
///
/// SQLite checkpoints on the connection that commits: with its default threshold the group committer
/// stopped every 1,000 WAL frames (a few dozen creates) to copy them, and every write queued behind it
/// waited; under creates at half of peak that was most of the p90 and p99 latency. Here, after each
/// commit, a passive checkpoint runs on a separate connection (at most one every `minInterval`), next to
/// the writer rather than in front of it. The writer keeps SQLite's automatic checkpoint at
/// `writerThreshold` frames: it is what lets the WAL start over from its beginning when writes never
/// pause (a pause long enough for a pass here to copy everything lets the next write start it over for
/// free), and by then it has only the few frames committed since the last pass here to copy, and, since
/// each pass syncs the database file after copying (see `pass`), only those pages to write.
///
/// SQLite never shrinks the `-wal` file, so after a burst of writes it would keep up to
/// `writerThreshold` pages on disk for good. Once the writer has been quiet for `idleDelay`, a `-wal`
/// file over `idleLimit` bytes is truncated to nothing (a `TRUNCATE` checkpoint that gives up at once,
/// rather than waiting, if a reader or the writer is busy; the next commit tries again later).
final class WALCheckpointer: Sendable {
    /// The writer's automatic checkpoint, in WAL frames (pages): under writes that never pause, the WAL
    /// file grows to about this many 4 KiB pages (128 MiB) before it starts over.
    ///
    /// That checkpoint still stops the writer for its two `fsync`s and whatever is left to copy (5-8 ms
    /// here before passes synced the database file themselves; about 1 ms since), and every connection
    /// waiting on a write waits with it: at 4,096 frames it came 12-15 times a
    /// second under creates at half of peak, and the writes held behind it were about 4 % of all, enough to
    /// make the p99. At 32,768 it comes 8 times less often (paired runs: writer-side p99 5.7-7.9 ms
    /// against 9.5-11.0). SQLite does not shrink the file again; the idle truncation below does (a
    /// `journal_size_limit`, which truncates it at every start-over, made every stall about three times
    /// longer).
    static let writerThreshold = 32_768
    /// The least time between the starts of two passes.
    static let minInterval: Duration = .milliseconds(10)

    /// How long the writer must have been quiet before a large `-wal` file is truncated.
    static let idleDelay: Duration = .seconds(2)
    /// The size of a `-wal` file, in bytes, that is left alone when the writer is quiet (the file of the old
    /// threshold, 4,096 pages).
    static let idleLimit = 16 << 20

    private let connection: DatabaseQueue
    private let walPath: String
    /// A descriptor of the database file of its own, to sync what an incomplete pass copied (see `pass`).
    private let databaseFile: Int32
    private let idleDelay: Duration
    private let idleLimit: Int
    private let pacer = Pacer(label: "kata.checkpoint", interval: minInterval, qos: .utility)
    private let idleQueue = DispatchQueue(label: "kata.checkpoint.idle", qos: .utility)
    private let passCount = Mutex(PassCount())
    private let databaseSyncCount = Mutex(0)
    private let idle = Mutex(Idle())

    private struct PassCount {
        var passes = 0
        /// The WAL frames copied as of the last pass.
        var backfilled = 0
    }

    private struct Idle {
        var lastCommit = ContinuousClock.now
        var checkScheduled = false
        var truncations = 0
    }

    /// Opens the checkpointer's own connection on the database file at `path`.
    init(path: String, configuration: Configuration, idleDelay: Duration = idleDelay, idleLimit: Int = idleLimit) throws {
        var config = configuration
        config.label = "kata.checkpoint"
        connection = try DatabaseQueue(path: path, configuration: config)
        walPath = path + "-wal"
        databaseFile = open(path, O_RDONLY | O_CLOEXEC)
        self.idleDelay = idleDelay
        self.idleLimit = idleLimit
    }

    deinit {
        if databaseFile >= 0 { close(databaseFile) }
    }

    /// How many passes have run (tests).
    var passes: Int { passCount.withLock { $0.passes } }
    /// How many times a pass synced the database file itself (tests).
    var databaseSyncs: Int { databaseSyncCount.withLock { $0 } }
    /// How many times the `-wal` file was truncated while the writer was quiet (tests).
    var truncations: Int { idle.withLock { $0.truncations } }

    /// Called after each commit of the writer: schedules a pass unless one is already scheduled, and a
    /// look at the `-wal` file once the writer has been quiet for `idleDelay`.
    func committed() {
        pacer.signal { self.pass() }
        let schedule = idle.withLock { s -> Bool in
            s.lastCommit = .now
            let schedule = !s.checkScheduled
            s.checkScheduled = true
            return schedule
        }
        if schedule { scheduleIdleCheck(after: idleDelay) }
    }

    private func scheduleIdleCheck(after delay: Duration) {
        idleQueue.asyncAfter(deadline: .now() + delay.dispatchInterval) { self.idleCheck() }
    }

    /// Truncates a large `-wal` file if no commit came for `idleDelay`; otherwise looks again when that
    /// much time will have passed since the last one.
    private func idleCheck() {
        let wait = idle.withLock { s -> Duration? in
            let quiet = s.lastCommit.duration(to: .now)
            if quiet < idleDelay { return idleDelay - quiet }
            s.checkScheduled = false
            return nil
        }
        if let wait {
            scheduleIdleCheck(after: wait)
            return
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: walPath))?[.size] as? NSNumber)?.intValue ?? 0
        guard size > idleLimit else { return }
        let truncated: Bool? = try? connection.inDatabase { db in
            // No waiting: with the busy timeout on, a reader still in a transaction would keep the
            // writer's next commit waiting behind this checkpoint.
            let timeout = try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? 0
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(timeout)") }
            let result = try db.checkpoint(.truncate)
            return result.walFrameCount == 0
        }
        if truncated == true { idle.withLock { $0.truncations += 1 } }
    }

    private func pass() {
        // Passive: copies what no reader still needs, never waits for the writer or a reader. It fails
        // with SQLITE_BUSY only when the writer is checkpointing itself; the next pass catches up.
        let result = try? connection.inDatabase { db in try db.checkpoint(.passive) }
        let copied = passCount.withLock { count -> Bool in
            count.passes += 1
            defer { count.backfilled = result?.checkpointedFrameCount ?? count.backfilled }
            return result.map { $0.checkpointedFrameCount != count.backfilled } ?? false
        }
        // SQLite syncs the database file only when a pass ends with the whole WAL copied, and under writes
        // that never pause it seldom does: a commit lands while it copies. The pages it copied stayed dirty
        // in the page cache, and the next complete checkpoint, usually the writer's own, had to write them
        // all before it could let the WAL start over: 500-700 pages, 6-9 ms with every write waiting.
        // Synced here, on this thread, after every pass that copied anything (a sync with nothing to write
        // takes about 0.1 ms), the writer's checkpoint finds only the pages of the last pass. It changes
        // nothing SQLite relies on: the frames stay in the WAL until a complete checkpoint.
        if copied, databaseFile >= 0, fdatasync(databaseFile) == 0 {
            databaseSyncCount.withLock { $0 += 1 }
        }
    }
}
