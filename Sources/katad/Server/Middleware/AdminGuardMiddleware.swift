import Hummingbird
import NIOCore
import Shared

#if canImport(Glibc)
import Glibc
#endif

/// The admin socket accepts only the daemon's own OS user (peer credentials of the Unix socket) and,
/// when a bootstrap token is configured, only requests that carry it (spec: auth.md, "The admin socket").
struct AdminGuardMiddleware: RouterMiddleware {
    let token: String?

    func handle(
        _ request: Request, context: KataRequestContext, next: (Request, KataRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let uid = await Self.peerUID(context.channel), uid == getuid() else {
            throw KataError(
                403, .forbidden, "the admin socket serves only the daemon's own OS user",
                hint: "run kata-admin as the user that runs katad")
        }
        if let token {
            guard let given = AuthMiddleware.bearer(request.headers[.authorization]) else {
                throw KataError(401, .authRequired, "the admin socket requires the bootstrap token", hint: "set KATA_AUTH_TOKEN or [auth] token in config.toml")
            }
            guard ConstantTime.equal(given, token) else {
                throw KataError(403, .tokenInvalid, "the bearer token is not this daemon's bootstrap token")
            }
        }
        return try await next(request, context)
    }

    /// The uid of the process at the other end of a Unix socket (SO_PEERCRED), or nil.
    static func peerUID(_ channel: any Channel) async -> uid_t? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        // SO_PEERCRED is 17 on Linux; its value is `struct ucred { pid_t pid; uid_t uid; gid_t gid; }`.
        let cred: PeerCredentials? = try? await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(17)
        ).get()
        return cred?.uid
    }

    /// Layout of Linux's `struct ucred`.
    struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }
}
