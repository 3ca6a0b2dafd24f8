import Foundation
import Shared

/// What the routes need: the store, the broadcaster, and facts about this daemon.
struct APIServices: Sendable {
    let store: Store
    let broadcaster: EventBroadcaster
    let startedAt: ContinuousClock.Instant
    let listeners: [String]
    let authMode: String
    var authPolicy: AuthPolicy = .open
    var throttle = AuthThrottle()
    var tokenUsage = TokenUsage()
    /// Failed logins per username (peers are throttled by `throttle`).
    var loginThrottle = AuthThrottle()
    var hasher = PasswordHasher()
    /// `[auth] session_ttl`: the lifetime of a login session, in seconds.
    var sessionTTL: Int64 = 720 * 3600
    /// Where uploads (imports) are spooled before they are read: `<KATA_HOME>/run` (0700).
    var spoolDirectory: String = NSTemporaryDirectory()
}
