import Synchronization

/// Counts failed authentications per peer and throttles a peer that fails too often
/// (spec: auth.md, 429 `too_many_attempts` with `Retry-After`). Memory is bounded: at most
/// `maxPeers` peers are tracked, the stalest dropped first.
final class AuthThrottle: Sendable {
    struct Entry {
        var failures: Int
        var windowStart: ContinuousClock.Instant
        var blockedUntil: ContinuousClock.Instant?
    }

    let maxFailures: Int
    let window: Duration
    let penalty: Duration
    let maxPeers: Int
    private let entries = Mutex([String: Entry]())

    init(maxFailures: Int = 10, window: Duration = .seconds(60), penalty: Duration = .seconds(60), maxPeers: Int = 10_000) {
        self.maxFailures = maxFailures
        self.window = window
        self.penalty = penalty
        self.maxPeers = maxPeers
    }

    /// Seconds the peer must wait, or nil when it may try.
    func retryAfter(peer: String, now: ContinuousClock.Instant = .now) -> Int? {
        entries.withLock { map in
            guard let until = map[peer]?.blockedUntil, until > now else { return nil }
            let left = until - now
            return max(1, Int(left.components.seconds) + (left.components.attoseconds > 0 ? 1 : 0))
        }
    }

    /// Records a failed authentication.
    func recordFailure(peer: String, now: ContinuousClock.Instant = .now) {
        entries.withLock { map in
            var e = map[peer] ?? Entry(failures: 0, windowStart: now, blockedUntil: nil)
            if now - e.windowStart > window {
                e = Entry(failures: 0, windowStart: now, blockedUntil: nil)
            }
            e.failures += 1
            if e.failures >= maxFailures { e.blockedUntil = now + penalty }
            map[peer] = e
            if map.count > maxPeers, let stalest = map.min(by: { $0.value.windowStart < $1.value.windowStart })?.key {
                map.removeValue(forKey: stalest)
            }
        }
    }

    var trackedPeers: Int { entries.withLock { $0.count } }
}
