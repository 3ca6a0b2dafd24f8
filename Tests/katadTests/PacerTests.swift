import Synchronization
import Testing

@testable import katad

@Suite("Pacer")
struct PacerTests {
    /// The first signal runs at once; signals within the interval after it make one more run, not one each.
    @Test func signalsWithinTheIntervalMakeOneRun() async throws {
        // A loaded test run can hold this task back for longer than the interval. What is asserted needs
        // the signals to come within the interval of the first run, which starts after `start`: an
        // attempt that took longer proves nothing and is made again.
        let interval = Duration.milliseconds(300)
        for attempt in 1...5 {
            let pacer = Pacer(label: "test.pacer", interval: interval)
            let runs = Mutex(0)
            let start = ContinuousClock.now
            pacer.signal { runs.withLock { $0 += 1 } }
            #expect(await eventually { runs.withLock { $0 } == 1 })
            for _ in 1...3 { pacer.signal { runs.withLock { $0 += 1 } } }
            let before = runs.withLock { $0 }
            guard ContinuousClock.now - start < interval else {
                if attempt == 5 { Issue.record("5 attempts were each held back longer than the interval") }
                continue
            }
            #expect(before == 1, "signalled within the interval: not yet")
            #expect(await eventually { runs.withLock { $0 } == 2 })
            try await Task.sleep(for: .milliseconds(400))
            #expect(runs.withLock { $0 } == 2, "three signals, one run")
            // runNow does not wait for the interval.
            pacer.runNow { runs.withLock { $0 += 1 } }
            #expect(runs.withLock { $0 } == 3)
            return
        }
    }
}
