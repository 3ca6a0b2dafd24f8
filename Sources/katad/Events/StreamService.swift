import ServiceLifecycle

/// Runs the stream's keepalive ticker and, on graceful shutdown, ends every open stream so the
/// listeners can drain.
struct StreamService: Service {
    let broadcaster: EventBroadcaster
    var keepaliveInterval: Duration = .seconds(25)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: keepaliveInterval)
                broadcaster.keepalive()
            }
        }
        broadcaster.close()
    }
}
