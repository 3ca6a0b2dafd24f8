import Crypto
import Foundation
import GRDB
import Shared

/// The hidden project that holds auth events (`token.created`, `token.revoked`).
enum SystemProject {
    static let name = "_system"
}

/// A verified DB-backed token: who it speaks for.
struct TokenIdentity: Sendable, Equatable {
    var id: Int64
    var actor: String
    var role: String
    var kind: String
    var expiresAt: String?
}

/// Token secrets: `kata_` + 32 CSPRNG bytes, URL-safe base64; only their SHA-256 is stored.
enum TokenSecret {
    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let b64 = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "kata_" + b64
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The part shown in lists: `kata_` and four characters.
    static func prefix(_ secret: String) -> String { String(secret.prefix(9)) }
}

// MARK: - Tokens

extension Store {
    /// Mints a token; the answer holds the secret, which is never stored or shown again.
    func createToken(_ req: CreateTokenRequest, createdBy: String) async throws -> CreatedTokenAnswer {
        let actor = try IssueRules.validateActorName(req.actor ?? "", field: "actor")
        let name = Validation.trimmed(req.name ?? "")
        if name.isEmpty { throw KataError.validation("name", "must not be blank: give the token a label, like --name laptop") }
        if name.count > 100 { throw KataError.validation("name", "at most 100 characters") }
        let role = try Role.parse(req.role ?? "user").rawValue
        var expiresAt: String?
        if let e = req.expires {
            guard let seconds = Durations.seconds(e), seconds > 0 else {
                throw KataError.validation("expires", "\"\(e)\" is not a positive duration; write it like 90s, 12h or 30d")
            }
            expiresAt = Timestamp.format(millis: Timestamp.nowMillis() + seconds * 1000)
        }
        let secret = TokenSecret.generate()
        let expiry = expiresAt
        return try await writer.write { db in
            let now = Timestamp.now()
            if let user = try Store.userRecord(db, name: actor) {
                if user.user.disabledAt != nil {
                    throw KataError.validation("actor", "the user \(actor) is disabled; enable them before minting tokens for them")
                }
                if try Role.parse(role) > user.role {
                    throw KataError.validation(
                        "role", "\(role) is above the role of the user \(actor) (\(user.user.role)); a token's role is at most its user's")
                }
            }
            if try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE actor = ? AND name = ? AND revoked_at IS NULL)",
                arguments: [actor, name]) == true
            {
                throw KataError(
                    409, .tokenNameTaken, "\(actor) already has a token named \(name)",
                    hint: "choose another --name, or list them with `kata tokens list`")
            }
            try db.execute(
                sql: """
                    INSERT INTO api_tokens(uid, actor, name, role, kind, hash, prefix, created_by, created_at, expires_at)
                    VALUES (?, ?, ?, ?, 'token', ?, ?, ?, ?, ?)
                    """,
                arguments: [ULID().string, actor, name, role, TokenSecret.hash(secret), TokenSecret.prefix(secret), createdBy, now, expiry])
            let token = try Store.token(db, id: db.lastInsertedRowID)!
            try Store.appendSystemEvent(db, type: "token.created", actor: createdBy, payload: Store.payload(token), at: now)
            return CreatedTokenAnswer(token: token, secret: secret)
        }
    }

    /// Every token, newest first.
    func listTokens() async throws -> [APIToken] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY id DESC").map(Store.token(row:))
        }
    }

    /// Revokes a token (a no-op when it already is).
    func revokeToken(id: Int64, by actor: String) async throws -> RevokedTokenAnswer {
        try await writer.write { db in
            guard let token = try Store.token(db, id: id) else {
                throw KataError(404, .notFound, "no token with id \(id)", hint: "list tokens with `kata tokens list`")
            }
            if token.revokedAt != nil { return RevokedTokenAnswer(token: token, changed: false) }
            let now = Timestamp.now()
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", arguments: [now, id])
            try Store.appendSystemEvent(db, type: "token.revoked", actor: actor, payload: Store.payload(token), at: now)
            return RevokedTokenAnswer(token: try Store.token(db, id: id)!, changed: true)
        }
    }

    /// The identity of a secret, when it is a live (not revoked, not expired) DB-backed token.
    func verifyToken(_ secret: String) async throws -> TokenIdentity? {
        let hash = TokenSecret.hash(secret)
        let now = Timestamp.now()
        return try read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                        SELECT t.id, t.actor, t.role, t.kind, t.expires_at, u.role AS user_role, u.disabled_at AS user_disabled_at
                        FROM api_tokens t LEFT JOIN users u ON u.name = t.actor
                        WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
                        """),
                    arguments: [hash, now])
            else { return nil }
            // A disabled user's tokens are dead at once; a user's role caps their tokens' roles.
            if (row["user_disabled_at"] as String?) != nil { return nil }
            var role = Role(rawValue: row["role"]) ?? .viewer
            if let userRole = (row["user_role"] as String?).flatMap(Role.init(rawValue:)) { role = min(role, userRole) }
            return TokenIdentity(id: row["id"], actor: row["actor"], role: role.rawValue, kind: row["kind"], expiresAt: row["expires_at"])
        }
    }

    /// Whether any live DB-backed token, or any enabled user with a password (who can log in), exists
    /// (start-up rule 6).
    func identityRecordsExist() async throws -> Bool {
        try read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM api_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?))
                        OR EXISTS (SELECT 1 FROM users WHERE disabled_at IS NULL AND password_hash IS NOT NULL)
                    """,
                arguments: [Timestamp.now()]) ?? false
        }
    }

    /// Writes remembered last-use times.
    func recordLastUsed(_ times: [Int64: String]) async throws {
        guard !times.isEmpty else { return }
        try await writer.write { db in
            for (id, at) in times {
                try db.execute(sql: "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", arguments: [at, id])
            }
        }
    }

    static func token(_ db: Database, id: Int64) throws -> APIToken? {
        try Row.fetchOne(db, sql: "SELECT * FROM api_tokens WHERE id = ?", arguments: [id]).map(token(row:))
    }

    static func token(row r: Row) -> APIToken {
        APIToken(
            id: r["id"], uid: r["uid"], actor: r["actor"], name: r["name"], role: r["role"], kind: r["kind"], prefix: r["prefix"],
            createdBy: r["created_by"], createdAt: r["created_at"], lastUsedAt: r["last_used_at"], expiresAt: r["expires_at"],
            revokedAt: r["revoked_at"])
    }

    /// What a token event records: never the secret or its hash.
    static func payload(_ t: APIToken) -> JSONValue {
        ["token_id": .int(t.id), "actor": .string(t.actor), "name": .string(t.name), "role": .string(t.role), "kind": .string(t.kind)]
    }

    /// Appends an event to the hidden system project. It is not broadcast and no feed shows it.
    static func appendSystemEvent(_ db: Database, type: String, actor: String, payload: JSONValue, at now: String) throws {
        guard let project = try Row.fetchOne(db, sql: "SELECT id, name FROM projects WHERE name = ? AND hidden = 1", arguments: [SystemProject.name])
        else { throw KataError(500, .internalError, "the system project is missing") }
        try db.execute(
            sql: """
                INSERT INTO events(uid, type, actor, project_id, project_name, issue_uid, issue_number, payload, created_at)
                VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?)
                """,
            arguments: [ULID().string, type, actor, project["id"] as Int64, project["name"] as String, KataJSON.line(payload), now])
    }
}
