import Foundation
import Hummingbird
import Shared

/// `/admin/v1/…` on the admin socket.
enum AdminRoutes {
    struct Status: Codable, Sendable {
        var ok: Bool
        var version: String
        var pid: Int32
        var listeners: [String]
        var schemaVersion: Int
        var subscribers: Int
    }

    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        let admin = router.group("admin/v1")
        admin.get("ping") { _, _ in JSONResponse.make(SystemRoutes.Ping(ok: true, version: KataVersion.string)) }
        admin.get("status") { _, _ in
            JSONResponse.make(
                Status(
                    ok: true, version: KataVersion.string, pid: getpid(), listeners: s.listeners,
                    schemaVersion: (try? await s.store.schemaVersion()) ?? 0, subscribers: s.broadcaster.subscriberCount))
        }
    }
}
