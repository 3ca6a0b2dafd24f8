import HTTPTypes
import Hummingbird
import Shared

/// Request authentication on the API listeners (spec: auth.md, "Request authentication on the API
/// listeners"): a chain of bootstrap token → DB-backed token → local caller, then the mode's limits
/// (read-only, identity mode). `/ping` and `/health` are always open.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KataRequestContext
    let policy: AuthPolicy
    let throttle: AuthThrottle
    let store: Store
    let usage: TokenUsage

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.openPaths.contains(where: { $0 == path }) { return try await next(request, context) }
        // The peer only matters to a request with credentials (throttling); most local requests have none.
        let peer = request.headers[.authorization] == nil ? nil : Self.peer(context)
        if let peer, let wait = throttle.retryAfter(peer: peer) {
            var e = KataError(429, .tooManyAttempts, "too many failed authentications from this peer; retry in \(wait) s")
            e.retryAfter = wait
            throw e
        }
        let principal = try await authenticate(request, peer: peer)
        try authorize(request, path: path, principal: principal)
        if principal == .local, Self.isAuthAdministration(path), isTrusted(context.listener) {
            // Behind a trusted proxy the "local" caller is whoever the proxy lets in: token administration
            // needs a real credential there, never just the header.
            throw KataError(
                401, .authRequired, "token administration on a trusted-proxy listener needs a bearer credential",
                hint: "use `kata-admin tokens create` on the daemon's host, or an admin token")
        }
        var context = context
        context.principal = principal
        context.proxyActor = try proxyActor(request, listener: context.listener)
        return try await next(request, context)
    }

    /// `peer` is set whenever the request has an `Authorization` header (a failure is counted against it).
    func authenticate(_ request: Request, peer: String?) async throws -> Principal {
        guard let given = Self.bearer(request.headers[.authorization]) else {
            if policy.token != nil || policy.identityMode {
                throw KataError(
                    401, .authRequired, "this daemon requires a bearer token",
                    hint: "run `kata auth login`, or set KATA_AUTH_TOKEN to a token from `kata-admin tokens create`, and retry")
            }
            return .local
        }
        if let token = policy.token, ConstantTime.equal(given, token) { return .bootstrap }
        if given.hasPrefix("kata_"), let identity = try await store.verifyToken(given) {
            usage.touch(identity.id, at: Timestamp.now())
            return .token(identity)
        }
        if let peer { throttle.recordFailure(peer: peer) }
        throw KataError(
            403, .tokenInvalid, "the bearer token is not valid for this daemon (unknown, revoked or expired)",
            hint: "log in again with `kata auth login`, check KATA_AUTH_TOKEN, or ask an operator for a new token")
    }

    func authorize(_ request: Request, path: String, principal: Principal) throws {
        // Resolving a workspace binding changes nothing: it is a read sent as POST.
        let isRead = request.method == .get || request.method == .head || (request.method == .post && path == "/api/v1/projects/resolve")
        let isTokenRoute = Self.isAuthAdministration(path)
        // Logging out only ever removes the caller's own credential.
        if path == AuthRoutes.logoutPath { return }
        if policy.readOnly && (!isRead || path == "/api/v1/events/stream" || isTokenRoute) {
            if principal == .local {
                throw KataError(
                    401, .authRequired, "this daemon is read-only without a token: \(request.method) \(path) is refused",
                    hint: "reads (GET) are served; writes need a daemon configured with a token")
            }
            throw KataError(403, .forbidden, "this daemon runs read-only (insecure_readonly)", hint: "only reads are served here")
        }
        if policy.identityMode && principal == .bootstrap && !isRead && !isTokenRoute {
            throw KataError(
                403, .bootstrapTokenWriteForbidden, "in identity mode the bootstrap token may read and administer tokens, not write",
                hint: "write with a DB-backed token minted by `kata tokens create` or `kata-admin tokens create`")
        }
        // Every write needs at least the role `user`; routes that need more check it themselves.
        if !isRead && !isTokenRoute && principal.role < .user {
            throw KataError(
                403, .forbidden, "\(request.method) \(path) needs the role user; this caller's role is \(principal.role.rawValue)",
                hint: "viewers may read and stream; ask an admin for a token or user with the role user")
        }
    }

    /// Paths served without credentials (compared one by one: hashing every request's path cost more).
    static let openPaths: [String] = ["/api/v1/ping", "/api/v1/health", "/api/v1/openapi.json", AuthRoutes.loginPath]

    /// Token and user administration: never through a trusted proxy's header alone.
    static func isAuthAdministration(_ path: String) -> Bool {
        path.hasPrefix("/api/v1/tokens") || path.hasPrefix("/api/v1/users")
    }

    /// On a trusted-proxy listener, the header's first value is the actor of every write; a mutation
    /// without it is 400 `actor_header_required`. Other listeners ignore the header entirely.
    func isTrusted(_ listener: ListenerInfo?) -> Bool {
        guard policy.trustedActorHeader != nil, let listener else { return false }
        return policy.trustedListeners.contains(listener.address)
    }

    func proxyActor(_ request: Request, listener: ListenerInfo?) throws -> String? {
        guard let header = policy.trustedActorHeader, isTrusted(listener), let name = HTTPField.Name(header) else { return nil }
        let value = request.headers[values: name].first.map(Validation.trimmed) ?? ""
        if value.isEmpty {
            let isRead = request.method == .get || request.method == .head
            if isRead || Self.isAuthAdministration(request.uri.path) || request.uri.path == AuthRoutes.logoutPath { return nil }
            throw KataError(
                400, .actorHeaderRequired, "this listener takes the actor from the \(header) header, and the request has none",
                hint: "send the request through the proxy that sets \(header)")
        }
        return value
    }

    /// The throttling key of the peer: its IP address for TCP, one key for all Unix-socket peers.
    static func peer(_ context: KataRequestContext) -> String {
        guard let addr = context.channel.remoteAddress else { return "unix" }
        return addr.ipAddress ?? "unix"
    }

    /// The token of an `Authorization: Bearer …` header.
    static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let t = Validation.trimmed(String(parts[1]))
        return t.isEmpty ? nil : t
    }
}

/// What the auth middleware enforces, from the effective configuration.
struct AuthPolicy: Sendable {
    var token: String?
    var readOnly: Bool
    var identityMode: Bool
    /// `[auth.proxy] trusted_actor_header`, honoured only on `trustedListeners`.
    var trustedActorHeader: String? = nil
    var trustedListeners: [ListenAddress] = []

    static let open = AuthPolicy(token: nil, readOnly: false, identityMode: false)
}

/// Comparisons whose time does not depend on where the inputs differ.
enum ConstantTime {
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        let n = max(x.count, y.count)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<n {
            let p = i < x.count ? x[i] : 0
            let q = i < y.count ? y[i] : 0
            diff |= p ^ q
        }
        return diff == 0
    }
}
