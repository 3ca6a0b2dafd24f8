import Foundation
import Hummingbird
import Shared

/// `GET /ping` and `GET /health`: open, no secrets.
enum SystemRoutes {
    struct Ping: Codable, Sendable {
        var ok: Bool
        var version: String
    }

    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        let api = router.group("api/v1")
        api.get("ping") { _, _ in
            JSONResponse.make(Ping(ok: true, version: KataVersion.string))
        }
        api.get("health") { _, _ in
            let dbOK = await s.store.ping()
            let schema = (try? await s.store.schemaVersion()) ?? 0
            let uptime = ContinuousClock.now - s.startedAt
            let seconds = Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18
            let answer = HealthAnswer(
                status: dbOK ? "ok" : "degraded", version: KataVersion.string, database: dbOK ? "ok" : "unreachable",
                schemaVersion: schema, uptimeSeconds: (seconds * 1000).rounded() / 1000, listeners: s.listeners,
                authMode: s.authMode, pid: getpid())
            return JSONResponse.make(answer, status: dbOK ? .ok : .serviceUnavailable)
        }
    }
}
