import HTTPTypes
import Hummingbird
import Shared

/// Request authentication on the API listeners for local, static-token and read-only modes
/// (spec: auth.md, "Request authentication on the API listeners"). `/ping` and `/health` are always open.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KataRequestContext
    let policy: AuthPolicy
    let throttle: AuthThrottle

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/api/v1/ping" || path == "/api/v1/health" { return try await next(request, context) }
        let isRead = request.method == .get || request.method == .head
        let readOnlyClosed = path == "/api/v1/events/stream" || path.hasPrefix("/api/v1/tokens")
        let peer = Self.peer(context)
        if request.headers[.authorization] != nil, let wait = throttle.retryAfter(peer: peer) {
            var e = KataError(429, .tooManyAttempts, "too many failed authentications from this peer; retry in \(wait) s")
            e.retryAfter = wait
            throw e
        }
        if let token = policy.token {
            guard let given = Self.bearer(request.headers[.authorization]) else {
                throw KataError(
                    401, .authRequired, "this daemon requires a bearer token",
                    hint: "set KATA_AUTH_TOKEN (or log in with `kata auth login`) and retry")
            }
            guard ConstantTime.equal(given, token) else {
                throttle.recordFailure(peer: peer)
                throw KataError(403, .tokenInvalid, "the bearer token is not valid for this daemon", hint: "check KATA_AUTH_TOKEN")
            }
            if policy.identityMode && !isRead {
                throw KataError(
                    403, .bootstrapTokenWriteForbidden, "in identity mode the bootstrap token may read and administer tokens, not write",
                    hint: "write with a DB-backed token minted by `kata-admin tokens create`")
            }
            if policy.readOnly && (!isRead || readOnlyClosed) {
                throw KataError(403, .forbidden, "this daemon runs read-only (insecure_readonly)", hint: "only reads are served here")
            }
        } else if policy.readOnly && (!isRead || readOnlyClosed) {
            throw KataError(
                401, .authRequired, "this daemon is read-only without a token: \(request.method) \(path) is refused",
                hint: "reads (GET) are served; writes need a daemon configured with a token")
        }
        return try await next(request, context)
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
