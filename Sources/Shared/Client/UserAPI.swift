/// User administration calls (`/api/v1/users` for an admin token, `/admin/v1/users` on the admin socket).
public struct UserAPI: Sendable {
    public let client: KataClient
    /// `/api/v1` or `/admin/v1`.
    public let base: String

    public init(client: KataClient, base: String) {
        self.client = client
        self.base = base
    }

    public func create(_ req: CreateUserRequest, by actor: String) throws(ErrorEnvelope) -> HTTPAnswer {
        try client.send("POST", "\(base)/users" + URLEncoding.query([("by", actor)]), body: req)
    }

    public func list() throws(ErrorEnvelope) -> HTTPAnswer {
        try client.send("GET", "\(base)/users")
    }

    public func update(_ name: String, _ req: UpdateUserRequest, by actor: String) throws(ErrorEnvelope) -> HTTPAnswer {
        try client.send("PATCH", "\(base)/users/\(URLEncoding.component(name))" + URLEncoding.query([("by", actor)]), body: req)
    }

    /// One line per user for people.
    public static func lines(_ users: [User]) -> [String] {
        if users.isEmpty { return ["no users"] }
        return users.map { u in
            let state = u.disabledAt.map { "disabled \($0)" } ?? "active"
            let display = u.displayName.map { " (\($0))" } ?? ""
            return "\(u.name)\(display)  role \(u.role)  password \(u.hasPassword ? "set" : "none")  created \(u.createdAt)  \(state)"
        }
    }
}
