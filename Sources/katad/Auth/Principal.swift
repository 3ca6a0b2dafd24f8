/// Who a request speaks for, as authentication decided.
enum Principal: Sendable, Equatable {
    /// No credentials on a daemon without a token: zero-config local use; acts as `admin`, actor from the body.
    case local
    /// The configured bootstrap token; acts as `admin`, actor from the body (identity mode forbids writes).
    case bootstrap
    /// A DB-backed token: its actor is authoritative.
    case token(TokenIdentity)

    var kindName: String {
        switch self {
        case .local: return "local"
        case .bootstrap: return "bootstrap"
        case .token(let t): return t.kind
        }
    }

    var role: Role {
        switch self {
        case .local, .bootstrap: return .admin
        case .token(let t): return Role(rawValue: t.role) ?? .viewer
        }
    }
}
