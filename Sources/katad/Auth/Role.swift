import Shared

/// The roles of auth.md, lowest to highest: each may do what the ones below it may, and more.
enum Role: String, CaseIterable, Comparable, Sendable {
    /// Reads issues, projects, events and the stream.
    case viewer
    /// + create, edit, comment, label, assign, link, close, reopen.
    case user
    /// + delete, restore, purge, import, project init and rename.
    case `operator`
    /// + tokens and users of others, export of auth data.
    case admin

    var rank: Int { Role.allCases.firstIndex(of: self)! }

    static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }

    /// The role named `name`, or a `validation` error naming `field` and the choices.
    static func parse(_ name: String, field: String = "role") throws -> Role {
        guard let role = Role(rawValue: name) else {
            throw KataError.validation(field, "must be one of viewer, user, operator, admin (got \"\(name)\")")
        }
        return role
    }
}

extension KataRequestContext {
    /// Refuses (403 `forbidden`, naming the role needed) a caller whose role is below `role`.
    func require(_ role: Role, to what: String) throws {
        let have = principal.role
        guard have >= role else {
            throw KataError(
                403, .forbidden, "\(what) needs the role \(role.rawValue); this caller's role is \(have.rawValue)",
                hint: "ask an admin for a token or user with the role \(role.rawValue)")
        }
    }
}
