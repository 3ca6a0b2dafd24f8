/// Token administration calls shared by `kata tokens` (API listener, `/api/v1`) and
/// `kata-admin tokens` (admin socket, `/admin/v1`).
public struct TokenAPI: Sendable {
    public let client: KataClient
    /// `/api/v1` or `/admin/v1`.
    public let base: String

    public init(client: KataClient, base: String) {
        self.client = client
        self.base = base
    }

    public func create(_ req: CreateTokenRequest, by actor: String) throws(ErrorEnvelope) -> HTTPAnswer {
        try client.send("POST", "\(base)/tokens" + URLEncoding.query([("by", actor)]), body: req)
    }

    public func list() throws(ErrorEnvelope) -> HTTPAnswer {
        try client.send("GET", "\(base)/tokens")
    }

    public func revoke(id: String, by actor: String) throws(ErrorEnvelope) -> HTTPAnswer {
        try client.send("DELETE", "\(base)/tokens/\(URLEncoding.component(id))" + URLEncoding.query([("by", actor)]))
    }

    /// One line per token for people.
    public static func lines(_ tokens: [APIToken]) -> [String] {
        if tokens.isEmpty { return ["no tokens"] }
        return tokens.map { t in
            var state = t.revokedAt.map { "revoked \($0)" } ?? "active"
            if t.revokedAt == nil, let e = t.expiresAt {
                state = e <= Timestamp.now() ? "expired \(e)" : state + ", expires \(e)"
            }
            return "\(t.id)\t\(t.prefix)…  \(t.actor)/\(t.name)  role \(t.role)  created \(t.createdAt)  last used \(t.lastUsedAt ?? "never")  \(state)"
        }
    }

    /// The text shown once after creation.
    public static func createdText(_ a: CreatedTokenAnswer) -> String {
        """
        created token \(a.token.id) for \(a.token.actor) (\(a.token.name), role \(a.token.role))
        secret (shown once, store it now): \(a.secret)
        """
    }
}
