import Hummingbird
import Shared

/// `/users` (API listeners, for `admin` callers, and the admin socket).
enum UserRoutes {
    static func add(to group: RouterGroup<KataRequestContext>, _ s: APIServices) {
        let users = group.group("users")
        users.get { _, context in
            try context.require(.admin, to: "user administration")
            return JSONResponse.make(UserListAnswer(users: try await s.store.listUsers()))
        }
        users.post { request, context in
            try context.require(.admin, to: "user administration")
            let req = try await RequestDecoding.body(CreateUserRequest.self, from: request)
            let hash = try await hashed(req.password, s)
            let user = try await s.store.createUser(
                name: req.name, role: req.role, displayName: req.displayName, passwordHash: hash, by: try TokenRoutes.creator(context, request))
            return JSONResponse.make(UserAnswer(user: user, changed: true), status: .created)
        }
        users.get(":name") { _, context in
            try context.require(.admin, to: "user administration")
            let name = RequestDecoding.text(context, "name")
            guard let record = try await s.store.userRecord(name: name) else {
                throw KataError(404, .notFound, "no user named \(name)", hint: "list users with `kata-admin users list`")
            }
            return JSONResponse.make(UserAnswer(user: record.user, changed: false))
        }
        users.patch(":name") { request, context in
            try context.require(.admin, to: "user administration")
            let req = try await RequestDecoding.body(UpdateUserRequest.self, from: request)
            let hash = try await hashed(req.password, s)
            return JSONResponse.make(
                try await s.store.updateUser(
                    name: RequestDecoding.text(context, "name"), req, passwordHash: hash, by: try TokenRoutes.creator(context, request)))
        }
    }

    /// The argon2id hash of a new password, after checking it, or nil when none is given.
    static func hashed(_ password: String?, _ s: APIServices) async throws -> String? {
        guard let password else { return nil }
        return try await s.hasher.hash(try UserRules.validatePassword(password))
    }
}
