import Logging
import ServiceLifecycle

/// Writes token last-use times once a minute and once more at shutdown.
struct TokenUsageService: Service {
    let usage: TokenUsage
    let store: Store
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await flush()
            }
        }
        await flush()
    }

    func flush() async {
        do {
            try await store.recordLastUsed(usage.drain())
        } catch {
            logger.warning("cannot record token use", metadata: ["error": "\(error)"])
        }
    }
}
