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
}
