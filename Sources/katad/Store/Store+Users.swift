import Foundation
import GRDB
import Shared

// MARK: - Users

/// A user's row as the store needs it, the password hash included (never sent anywhere).
struct UserRecord: Sendable {
    var user: User
    var passwordHash: String?
    var role: Role { Role(rawValue: user.role) ?? .viewer }
}

extension Store {
    /// Creates a user. `passwordHash` is already argon2id-encoded (hashing happens off the writer).
    func createUser(name rawName: String?, role rawRole: String?, displayName: String?, passwordHash: String?, by actor: String) async throws
        -> User
    {
        let name = try UserRules.validateName(rawName)
        let role = try Role.parse(rawRole ?? "user")
        let display = try UserRules.validateDisplayName(displayName)
        return try await writer.write { db in
            if try Store.userRecord(db, name: name) != nil {
                throw KataError(409, .conflict, "a user named \(name) already exists", hint: "list users with `kata-admin users list`")
            }
            let now = Timestamp.now()
            try db.execute(
                sql: """
                    INSERT INTO users(uid, name, display_name, role, password_hash, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [ULID().string, name, display, role.rawValue, passwordHash, now, now])
            let user = try Store.userRecord(db, name: name)!.user
            try Store.appendSystemEvent(db, type: "user.created", actor: actor, payload: Store.payload(user), at: now)
            return user
        }
    }

    /// Every user, by name.
    func listUsers() async throws -> [User] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map { Store.userRecord(row: $0).user }
        }
    }

    /// One user with its password hash, or nil.
    func userRecord(name: String) async throws -> UserRecord? {
        try read { db in try Store.userRecord(db, name: name) }
    }

    /// Applies the fields of an update. Disabling a user revokes every live token and session of theirs
    /// in the same transaction; lowering a role caps their tokens at once (see `verifyToken`).
    func updateUser(name rawName: String, _ req: UpdateUserRequest, passwordHash: String?, by actor: String) async throws -> UserAnswer {
        let name = Validation.trimmed(rawName)
        let role = try req.role.map { try Role.parse($0) }
        let display = try req.displayName.map { try UserRules.validateDisplayName($0) }
        return try await writer.write { db in
            guard let before = try Store.userRecord(db, name: name) else {
                throw KataError(404, .notFound, "no user named \(name)", hint: "list users with `kata-admin users list`")
            }
            let now = Timestamp.now()
            var changed = false
            if let role, role.rawValue != before.user.role {
                try db.execute(sql: "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", arguments: [role.rawValue, now, before.user.id])
                try Store.appendSystemEvent(
                    db, type: "user.role_changed", actor: actor,
                    payload: ["user": .string(name), "from": .string(before.user.role), "to": .string(role.rawValue)], at: now)
                changed = true
            }
            if let display, display != before.user.displayName {
                try db.execute(sql: "UPDATE users SET display_name = ?, updated_at = ? WHERE id = ?", arguments: [display, now, before.user.id])
                changed = true
            }
            if let passwordHash {
                try db.execute(
                    sql: "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", arguments: [passwordHash, now, before.user.id])
                try Store.appendSystemEvent(db, type: "user.password_changed", actor: actor, payload: ["user": .string(name)], at: now)
                changed = true
            }
            if let disabled = req.disabled, disabled != (before.user.disabledAt != nil) {
                try db.execute(
                    sql: "UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?", arguments: [disabled ? now : nil, now, before.user.id])
                if disabled {
                    let revoked = try Int64.fetchAll(
                        db, sql: "SELECT id FROM api_tokens WHERE actor = ? AND revoked_at IS NULL", arguments: [name])
                    for id in revoked {
                        try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", arguments: [now, id])
                        if let t = try Store.token(db, id: id) {
                            try Store.appendSystemEvent(db, type: "token.revoked", actor: actor, payload: Store.payload(t), at: now)
                        }
                    }
                }
                try Store.appendSystemEvent(
                    db, type: disabled ? "user.disabled" : "user.enabled", actor: actor, payload: ["user": .string(name)], at: now)
                changed = true
            }
            return UserAnswer(user: try Store.userRecord(db, name: name)!.user, changed: changed)
        }
    }

    /// Mints a session token for a user who just proved their password.
    func createSession(for user: User, ttlSeconds: Int64) async throws -> LoginAnswer {
        let secret = TokenSecret.generate()
        return try await writer.write { db in
            let now = Timestamp.now()
            let expires = Timestamp.format(millis: Timestamp.nowMillis() + ttlSeconds * 1000)
            try db.execute(
                sql: """
                    INSERT INTO api_tokens(uid, actor, name, role, kind, hash, prefix, created_by, created_at, expires_at)
                    VALUES (?, ?, ?, ?, 'session', ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    ULID().string, user.name, "session \(ULID().string)", user.role, TokenSecret.hash(secret), TokenSecret.prefix(secret),
                    user.name, now, expires,
                ])
            let token = try Store.token(db, id: db.lastInsertedRowID)!
            try Store.appendSystemEvent(db, type: "token.created", actor: user.name, payload: Store.payload(token), at: now)
            return LoginAnswer(token: secret, tokenId: token.id, actor: user.name, role: user.role, kind: "session", expiresAt: expires)
        }
    }

    static func userRecord(_ db: Database, name: String) throws -> UserRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(userRecord(row:))
    }

    static func userRecord(row r: Row) -> UserRecord {
        let hash: String? = r["password_hash"]
        return UserRecord(
            user: User(
                id: r["id"], uid: r["uid"], name: r["name"], displayName: r["display_name"], role: r["role"], hasPassword: hash != nil,
                createdAt: r["created_at"], updatedAt: r["updated_at"], disabledAt: r["disabled_at"]),
            passwordHash: hash)
    }

    /// What a user event records: never the password or its hash.
    static func payload(_ u: User) -> JSONValue {
        ["user": .string(u.name), "role": .string(u.role)]
    }
}

enum UserRules {
    /// User names are actors: non-blank, at most 200 characters, no whitespace or control characters
    /// (they are typed at a login prompt and shown in every event).
    static func validateName(_ raw: String?) throws -> String {
        let name = Validation.trimmed(raw ?? "")
        if name.isEmpty { throw KataError.validation("name", "must not be blank: give the user a name, like alice") }
        if name.count > 200 { throw KataError.validation("name", "at most 200 characters") }
        if name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            throw KataError.validation("name", "must not contain spaces or control characters (got \"\(name)\")")
        }
        return name
    }

    static func validateDisplayName(_ raw: String?) throws -> String? {
        guard let raw else { return nil }
        let t = Validation.trimmed(raw)
        if t.count > 200 { throw KataError.validation("display_name", "at most 200 characters") }
        return t.isEmpty ? nil : t
    }

    /// Passwords: at least 8 characters, at most 1,024 bytes (argon2 hashes anything, but a megabyte
    /// password is an attack on the hasher, not a password).
    static func validatePassword(_ raw: String?, field: String = "password") throws -> String {
        guard let p = raw, !p.isEmpty else { throw KataError.validation(field, "must not be empty") }
        if p.count < 8 { throw KataError.validation(field, "must be at least 8 characters") }
        if p.utf8.count > 1024 { throw KataError.validation(field, "at most 1024 bytes") }
        return p
    }
}
