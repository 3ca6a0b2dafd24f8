import Synchronization
import Testing

@testable import katad

@Suite("Pacer")
struct PacerTests {
    /// The first signal runs at once; signals within the interval after it make one more run, not one each.
    @Test func signalsWithinTheIntervalMakeOneRun() async throws {
        let pacer = Pacer(label: "test.pacer", interval: .milliseconds(300))
        let runs = Mutex(0)
        pacer.signal { runs.withLock { $0 += 1 } }
        #expect(await eventually { runs.withLock { $0 } == 1 })
        for _ in 1...3 { pacer.signal { runs.withLock { $0 += 1 } } }
        #expect(runs.withLock { $0 } == 1, "signalled within the interval: not yet")
        #expect(await eventually { runs.withLock { $0 } == 2 })
        try await Task.sleep(for: .milliseconds(400))
        #expect(runs.withLock { $0 } == 2, "three signals, one run")
        // runNow does not wait for the interval.
        pacer.runNow { runs.withLock { $0 += 1 } }
        #expect(runs.withLock { $0 } == 3)
    }
}
