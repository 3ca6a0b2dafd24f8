import Foundation
import Hummingbird
import NIOCore
import Shared

/// Which listener a request came in on.
struct ListenerInfo: Sendable, Equatable {
    let address: ListenAddress
    /// Whether this is the admin socket rather than an API listener.
    let isAdmin: Bool
}

/// The request context of every route: Hummingbird's core storage plus the listener the request came in on.
struct KataRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var listener: ListenerInfo?
    /// Who the request speaks for (set by the auth middleware).
    var principal: Principal = .local
    /// The actor asserted by a trusted proxy's header, on a trusted listener.
    var proxyActor: String?
    /// The connection's channel, for peer credentials (admin socket) and the peer address (throttling).
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies over 1 MiB get 413.
    var maxUploadSize: Int { RequestLimits.maxBody }

    /// The actor of a write: a DB-backed token's actor when one authenticated the request (any body
    /// actor is ignored), else the body's actor.
    func actor(_ claimed: String?) throws -> String {
        if let proxyActor { return proxyActor }
        if case .token(let t) = principal { return t.actor }
        guard let claimed else { return "anonymous" }
        let t = Validation.trimmed(claimed)
        if t.isEmpty { return "anonymous" }
        if t.count > 200 { throw KataError.validation("actor", "at most 200 characters") }
        return t
    }
}

enum RequestLimits {
    static let maxBody = 1 << 20
}
