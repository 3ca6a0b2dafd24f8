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
/// free), and by then it has only the few frames committed since the last pass here to copy.
final class WALCheckpointer: Sendable {
    /// The writer's automatic checkpoint, in WAL frames (pages): under writes that never pause, the WAL
    /// file grows to about this many 4 KiB pages (128 MiB) before it starts over.
    ///
    /// That checkpoint still stops the writer for 5-8 ms here (two `fsync`s, whatever is left to copy),
    /// and every connection waiting on a write waits with it: at 4,096 frames it came 12-15 times a
    /// second under creates at half of peak, and the writes held behind it were about 4 % of all, enough to
    /// make the p99. At 32,768 it comes 8 times less often (paired runs: writer-side p99 5.7-7.9 ms
    /// against 9.5-11.0). The file is not shrunk afterwards: a `journal_size_limit` that truncated it
    /// after each start-over made every stall about three times longer.
    static let writerThreshold = 32_768
    /// The least time between the starts of two passes.
    static let minInterval: Duration = .milliseconds(10)

    private let connection: DatabaseQueue
    private let pacer = Pacer(label: "kata.checkpoint", interval: minInterval, qos: .utility)
    private let passCount = Mutex(0)

    /// Opens the checkpointer's own connection on the database file at `path`.
    init(path: String, configuration: Configuration) throws {
        var config = configuration
        config.label = "kata.checkpoint"
        connection = try DatabaseQueue(path: path, configuration: config)
    }

    /// How many passes have run (tests).
    var passes: Int { passCount.withLock { $0 } }

    /// Called after each commit of the writer: schedules a pass unless one is already scheduled.
    func committed() {
        pacer.signal { self.pass() }
    }

    private func pass() {
        // Passive: copies what no reader still needs, never waits for the writer or a reader. It fails
        // with SQLITE_BUSY only when the writer is checkpointing itself; the next pass catches up.
        _ = try? connection.inDatabase { db in try db.checkpoint(.passive) }
        passCount.withLock { $0 += 1 }
    }
}
