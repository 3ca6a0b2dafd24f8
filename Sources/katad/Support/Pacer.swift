import Dispatch
import Synchronization

/// Runs work on its own serial queue when signalled, at most once per `interval`: a signal while a run is
/// scheduled adds nothing; the first signal after a quiet interval runs at once. Work that should see
/// everything signalled before it collects that itself when it runs (a signal during a run schedules the
/// next one).
///
/// Paces the WAL checkpointer's passes after commits and the event broadcaster's deliveries.
final class Pacer: Sendable {
    private struct State {
        var scheduled = false
        var lastStart: ContinuousClock.Instant?
    }

    let interval: Duration
    private let queue: DispatchQueue
    private let state = Mutex(State())

    init(label: String, interval: Duration, qos: DispatchQoS = .default) {
        self.interval = interval
        queue = DispatchQueue(label: label, qos: qos)
    }

    /// Schedules `work` unless a run is already scheduled.
    func signal(_ work: @escaping @Sendable () -> Void) {
        let delay = state.withLock { s -> Duration? in
            if s.scheduled { return nil }
            s.scheduled = true
            guard let last = s.lastStart else { return .zero }
            return max(.zero, interval - last.duration(to: .now))
        }
        guard let delay else { return }
        queue.asyncAfter(deadline: .now() + delay.dispatchInterval) { self.run(work) }
    }

    /// Runs `work` on the queue now, after any run in progress, and returns when it is done.
    func runNow(_ work: () -> Void) {
        queue.sync { run(work) }
    }

    private func run(_ work: () -> Void) {
        // Signals from here on schedule the next run.
        state.withLock { s in
            s.scheduled = false
            s.lastStart = .now
        }
        work()
    }
}
