import Hummingbird
import Shared

/// `POST /auth/login` (open: it is how a user gets a credential) and `POST /auth/logout`.
enum AuthRoutes {
    static let loginPath = "/api/v1/auth/login"
    static let logoutPath = "/api/v1/auth/logout"

    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        let auth = router.group("api/v1/auth")
        auth.post("login") { request, context in
            if s.authPolicy.readOnly {
                throw KataError(
                    403, .forbidden, "this daemon runs read-only (insecure_readonly): it starts no login sessions",
                    hint: "only reads are served here")
            }
            let req = try await RequestDecoding.body(LoginRequest.self, from: request)
            let username = Validation.trimmed(req.username ?? "")
            if username.isEmpty { throw KataError.validation("username", "must not be blank") }
            guard let password = req.password, !password.isEmpty else { throw KataError.validation("password", "must not be empty") }
            let peer = AuthMiddleware.peer(context)
            let userKey = "user:" + username
            if let wait = s.throttle.retryAfter(peer: peer) ?? s.loginThrottle.retryAfter(peer: userKey) {
                var e = KataError(429, .tooManyAttempts, "too many failed logins; retry in \(wait) s")
                e.retryAfter = wait
                throw e
            }
            // An unknown user, a user without a password, and a disabled user all cost one argon2id
            // verification and get the same answer as a wrong password.
            let record = try await s.store.userRecord(name: username)
            let matches = try await s.hasher.verify(password, encoded: record?.passwordHash ?? PasswordHasher.decoy)
            guard matches, let record, record.passwordHash != nil, record.user.disabledAt == nil else {
                s.throttle.recordFailure(peer: peer)
                s.loginThrottle.recordFailure(peer: userKey)
                throw KataError(
                    401, .invalidCredentials, "the username or the password is wrong",
                    hint: "check both, or ask an admin to reset the password with `kata-admin users passwd`")
            }
            return JSONResponse.make(try await s.store.createSession(for: record.user, ttlSeconds: s.sessionTTL))
        }
        auth.post("logout") { _, context in
            guard case .token(let t) = context.principal else { return JSONResponse.make(LogoutAnswer(revoked: false, tokenId: nil)) }
            let answer = try await s.store.revokeToken(id: t.id, by: t.actor)
            return JSONResponse.make(LogoutAnswer(revoked: answer.changed, tokenId: t.id))
        }
    }
}
