import Synchronization

/// Last-use times of DB-backed tokens: kept in memory on every use, written to the database at most
/// once a minute per token (by `TokenUsageService`) and at shutdown.
final class TokenUsage: Sendable {
    private let state = Mutex<(current: [Int64: String], dirty: Set<Int64>)>(([:], []))

    func touch(_ id: Int64, at time: String) {
        state.withLock {
            $0.current[id] = time
            $0.dirty.insert(id)
        }
    }

    /// The remembered time of a token, if it was used since start.
    func lastUsed(_ id: Int64) -> String? { state.withLock { $0.current[id] } }

    /// Takes the times not yet written.
    func drain() -> [Int64: String] {
        state.withLock { s in
            var out: [Int64: String] = [:]
            for id in s.dirty { out[id] = s.current[id] }
            s.dirty.removeAll()
            return out
        }
    }
}
