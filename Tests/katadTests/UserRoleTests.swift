import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Shared
import Testing

@testable import katad

private func headers(_ token: String?, confirm: String? = nil) -> HTTPFields {
    var h = HTTPFields()
    if let token { h[.authorization] = "Bearer \(token)" }
    h[.contentType] = "application/json"
    if let confirm { h[confirmHeader] = confirm }
    return h
}

private func errorMessage(_ r: TestResponse) -> String {
    ((try? r.object)?["error"] as? [String: Any])?["message"] as? String ?? ""
}

@Suite("Password hashing")
struct PasswordHasherTests {
    @Test func hashesAreArgon2idWithServerStrengthParametersAndAFreshSalt() async throws {
        let hasher = PasswordHasher()
        let a = try await hasher.hash("correct horse")
        let b = try await hasher.hash("correct horse")
        #expect(a.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"), "\(a)")
        #expect(a != b, "each hash has its own salt")
        #expect(!a.contains("correct horse"))
        #expect(try await hasher.verify("correct horse", encoded: a))
        #expect(try await hasher.verify("correct horse", encoded: b))
        #expect(try await hasher.verify("correct horse!", encoded: a) == false)
        #expect(try await hasher.verify("", encoded: a) == false)
    }

    @Test func malformedHashesAreMismatchesNotCrashes() async throws {
        let hasher = PasswordHasher()
        for encoded in ["", "plain", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA", "$argon2id$v=19$m=19456,t=2,p=1$", "$argon2id$garbage"] {
            #expect(try await hasher.verify("x", encoded: encoded) == false, "\(encoded)")
        }
        #expect(PasswordHasher.decoy.hasPrefix("$argon2id$"), "the decoy costs a real verification")
    }

    @Test func oneTrailingNewlineIsStrippedFromStandardInput() {
        #expect(PasswordInput.strippingOneNewline("pw\n") == "pw")
        #expect(PasswordInput.strippingOneNewline("pw\r\n") == "pw")
        #expect(PasswordInput.strippingOneNewline("pw\n\n") == "pw\n")
        #expect(PasswordInput.strippingOneNewline("pw") == "pw")
        #expect(PasswordInput.strippingOneNewline("p w ") == "p w ")
    }
}

@Suite("Users in the store")
struct StoreUserTests {
    @Test func createListAndRefuseDuplicatesAndBadFields() async throws {
        let store = try Store.inMemory()
        let u = try await store.createUser(name: "alice", role: "operator", displayName: "Alice A.", passwordHash: "$argon2id$x", by: "root")
        #expect(u.role == "operator" && u.hasPassword && u.displayName == "Alice A." && u.disabledAt == nil)
        let v = try await store.createUser(name: "bob", role: nil, displayName: nil, passwordHash: nil, by: "root")
        #expect(v.role == "user" && !v.hasPassword, "role defaults to user")
        #expect(try await store.listUsers().map(\.name) == ["alice", "bob"])
        func failure(_ name: String?, _ role: String?) async -> KataError? {
            do {
                _ = try await store.createUser(name: name, role: role, displayName: nil, passwordHash: nil, by: "root")
                return nil
            } catch { return error as? KataError }
        }
        #expect(await failure("alice", nil)?.status == 409)
        #expect(await failure("  ", nil)?.envelope.error.data?["field"] == "name")
        #expect(await failure("two words", nil)?.envelope.error.data?["field"] == "name")
        #expect(await failure("carol", "root")?.envelope.error.data?["field"] == "role")
        #expect(try await store.listUsers().count == 2, "refusals add nothing")
    }

    @Test func passwordRulesNameTheField() throws {
        #expect(throws: KataError.self) { try UserRules.validatePassword("short") }
        #expect(throws: KataError.self) { try UserRules.validatePassword(String(repeating: "x", count: 1025)) }
        #expect(try UserRules.validatePassword("eight ch") == "eight ch")
    }

    @Test func disablingAUserRevokesTheirTokensAtOnceAndRecordsEvents() async throws {
        let store = try Store.inMemory()
        _ = try await store.createUser(name: "alice", role: "admin", displayName: nil, passwordHash: nil, by: "root")
        let t = try await store.createToken(CreateTokenRequest(actor: "alice", name: "laptop", role: "operator", expires: nil), createdBy: "root")
        let s = try await store.createSession(for: try #require(try await store.userRecord(name: "alice")).user, ttlSeconds: 3600)
        #expect(try await store.verifyToken(t.secret)?.role == "operator")
        #expect(try await store.verifyToken(s.token)?.kind == "session")
        let answer = try await store.updateUser(name: "alice", UpdateUserRequest(disabled: true), passwordHash: nil, by: "root")
        #expect(answer.changed && answer.user.disabledAt != nil)
        #expect(try await store.verifyToken(t.secret) == nil)
        #expect(try await store.verifyToken(s.token) == nil)
        // Enabling again does not bring revoked tokens back.
        _ = try await store.updateUser(name: "alice", UpdateUserRequest(disabled: false), passwordHash: nil, by: "root")
        #expect(try await store.verifyToken(t.secret) == nil)
        let types = try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT e.type FROM events e JOIN projects p ON p.id = e.project_id WHERE p.hidden = 1 ORDER BY e.id")
        }
        #expect(types == ["user.created", "token.created", "token.created", "token.revoked", "token.revoked", "user.disabled", "user.enabled"])
    }

    @Test func tokensNeverOutrankTheirUser() async throws {
        let store = try Store.inMemory()
        _ = try await store.createUser(name: "vera", role: "viewer", displayName: nil, passwordHash: nil, by: "root")
        do {
            _ = try await store.createToken(CreateTokenRequest(actor: "vera", name: "x", role: "user", expires: nil), createdBy: "root")
            Issue.record("a user-role token for a viewer was minted")
        } catch let e as KataError {
            #expect(e.envelope.error.data?["field"] == "role")
            #expect(e.envelope.error.message.contains("viewer"), "\(e.envelope.error.message)")
        }
        // A token minted while the user ranked higher is capped when the user is demoted.
        _ = try await store.createUser(name: "opal", role: "operator", displayName: nil, passwordHash: nil, by: "root")
        let t = try await store.createToken(CreateTokenRequest(actor: "opal", name: "ci", role: "operator", expires: nil), createdBy: "root")
        _ = try await store.updateUser(name: "opal", UpdateUserRequest(role: "viewer"), passwordHash: nil, by: "root")
        #expect(try await store.verifyToken(t.secret)?.role == "viewer")
        // An actor without a user row may hold any role the bootstrap token gives.
        let free = try await store.createToken(CreateTokenRequest(actor: "ci-bot", name: "ci", role: "admin", expires: nil), createdBy: "root")
        #expect(try await store.verifyToken(free.secret)?.role == "admin")
    }

    @Test func aPasswordChangeRecordsAnEventWithoutTheHash() async throws {
        let store = try Store.inMemory()
        _ = try await store.createUser(name: "alice", role: nil, displayName: nil, passwordHash: "$argon2id$old", by: "root")
        let a = try await store.updateUser(name: "alice", UpdateUserRequest(password: "ignored"), passwordHash: "$argon2id$new", by: "root")
        #expect(a.changed)
        #expect(try await store.userRecord(name: "alice")?.passwordHash == "$argon2id$new")
        let payloads = try await store.writer.read { db in try String.fetchAll(db, sql: "SELECT payload FROM events") }
        #expect(!payloads.contains { $0.contains("$argon2id$") }, "no hash in any event")
        let missing = try? await store.updateUser(name: "nobody", UpdateUserRequest(role: "user"), passwordHash: nil, by: "root")
        #expect(missing == nil)
    }
}

@Suite("Roles on the HTTP API")
struct RoleEnforcementTests {
    /// A daemon with a bootstrap token, one project with one issue, and a token per role.
    struct Setup {
        let h: AuthHarness
        var tokens: [Role: String] = [:]

        init() async throws {
            h = try AuthHarness(AuthPolicy(token: "boot", readOnly: false, identityMode: false))
            for role in [Role.viewer, .user, .operator, .admin] {
                _ = try await h.store.createUser(name: "\(role.rawValue)-1", role: role.rawValue, displayName: nil, passwordHash: nil, by: "root")
                tokens[role] = try await h.store.createToken(
                    CreateTokenRequest(actor: "\(role.rawValue)-1", name: "t", role: role.rawValue, expires: nil), createdBy: "root"
                ).secret
            }
        }
    }

    @Test func eachRoleGetsWhatTheSpecTableSaysAndA403NamingTheRoleNeeded() async throws {
        let s = try await Setup()
        let tokens = s.tokens
        try await s.h.run { client in
            // Project init needs operator.
            let refused = try await client.send(
                .post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///a"}"#, headers: headers(tokens[.user]))
            try expectEnvelope(refused, status: 403, code: "forbidden")
            #expect(errorMessage(refused).contains("operator"), "\(refused.text)")
            let p = try await client.send(
                .post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///a"}"#, headers: headers(tokens[.operator]))
            #expect(p.status == .created, "\(p.text)")
            let pid = try #require((try p.object["project"] as? [String: Any])?["id"] as? Int)
            // Binding another workspace to the existing project is a user write.
            let bind = try await client.send(
                .post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///b"}"#, headers: headers(tokens[.user]))
            #expect(bind.status == .ok, "\(bind.text)")
            #expect(try bind.object["created"] as? Bool == false, "\(bind.text)")
            let viewerBind = try await client.send(
                .post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///c"}"#, headers: headers(tokens[.viewer]))
            try expectEnvelope(viewerBind, status: 403, code: "forbidden")

            // A viewer reads but cannot write.
            #expect(try await client.send(.get, "/api/v1/projects/\(pid)/issues", headers: headers(tokens[.viewer])).status == .ok)
            let write = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"One"}"#, headers: headers(tokens[.viewer]))
            try expectEnvelope(write, status: 403, code: "forbidden")
            #expect(errorMessage(write).contains("user"), "\(write.text)")

            // A user creates and closes, but cannot delete or purge.
            for title in ["One", "Two"] {
                let c = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"\#(title)"}"#, headers: headers(tokens[.user]))
                #expect(c.status == .created, "\(c.text)")
            }
            let close = try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/close", json: "{}", headers: headers(tokens[.user]))
            #expect(close.status == .ok, "\(close.text)")
            for action in ["delete", "purge"] {
                let r = try await client.send(
                    .post, "/api/v1/projects/\(pid)/issues/2/actions/\(action)", json: "{}",
                    headers: headers(tokens[.user], confirm: "\(action.uppercased()) #2"))
                try expectEnvelope(r, status: 403, code: "forbidden")
                #expect(errorMessage(r).contains("operator"), "\(r.text)")
            }
            // An operator may purge.
            let purge = try await client.send(
                .post, "/api/v1/projects/\(pid)/issues/2/actions/purge", json: "{}", headers: headers(tokens[.operator], confirm: "PURGE #2"))
            #expect(purge.status == .ok, "\(purge.text)")

            // Users and tokens of others are the admin's.
            for role in [Role.viewer, .user, .operator] {
                let r = try await client.send(.get, "/api/v1/users", headers: headers(tokens[role]))
                try expectEnvelope(r, status: 403, code: "forbidden")
                #expect(errorMessage(r).contains("admin"))
            }
            let minted = try await client.send(
                .post, "/api/v1/tokens", json: #"{"actor":"user-1","name":"laptop","role":"user"}"#, headers: headers(tokens[.admin]))
            #expect(minted.status == .created, "\(minted.text)")
            let users = try await client.send(.get, "/api/v1/users", headers: headers(tokens[.admin]))
            #expect(users.status == .ok)
            #expect(!users.text.contains("password_hash") && users.text.contains("\"has_password\""), "\(users.text)")
        }
    }
}

@Suite("Login sessions")
struct LoginTests {
    static func harness() async throws -> AuthHarness {
        let h = try AuthHarness(AuthPolicy(token: "boot", readOnly: false, identityMode: true))
        let hash = try await PasswordHasher().hash("s3cret pass")
        _ = try await h.store.createUser(name: "alice", role: "user", displayName: nil, passwordHash: hash, by: "root")
        _ = try await h.store.createUser(name: "nopass", role: "user", displayName: nil, passwordHash: nil, by: "root")
        return h
    }

    @Test func aGoodPasswordGivesASessionTokenThatWritesAsTheUser() async throws {
        let h = try await Self.harness()
        try await h.run { client in
            let r = try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"alice","password":"s3cret pass"}"#)
            #expect(r.status == .ok, "\(r.text)")
            let o = try r.object
            let token = try #require(o["token"] as? String)
            #expect(token.hasPrefix("kata_") && o["kind"] as? String == "session" && o["actor"] as? String == "alice")
            #expect(o["expires_at"] is String)
            let who = try await client.send(.get, "/api/v1/whoami", headers: headers(token))
            #expect(who.text.contains(#""principal":"session""#) && who.text.contains(#""role":"user""#), "\(who.text)")
            let out = try await client.send(.post, "/api/v1/auth/logout", headers: headers(token))
            #expect(try out.object["revoked"] as? Bool == true, "\(out.text)")
            try expectEnvelope(try await client.send(.get, "/api/v1/whoami", headers: headers(token)), status: 403, code: "token_invalid")
        }
    }

    @Test func everyFailureAnswersTheSame401() async throws {
        let h = try await Self.harness()
        try await h.run { client in
            var bodies: [String] = []
            for body in [
                #"{"username":"alice","password":"wrong password"}"#, #"{"username":"mallory","password":"s3cret pass"}"#,
                #"{"username":"nopass","password":"anything"}"#,
            ] {
                let r = try await client.send(.post, "/api/v1/auth/login", json: body)
                try expectEnvelope(r, status: 401, code: "invalid_credentials")
                bodies.append(r.text)
            }
            #expect(Set(bodies).count == 1, "wrong user and wrong password are indistinguishable: \(bodies)")
            try expectEnvelope(try await client.send(.post, "/api/v1/auth/login", json: #"{"username":" ","password":"x"}"#), status: 400, code: "validation")
            try expectEnvelope(try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"alice"}"#), status: 400, code: "validation")
        }
    }

    @Test func repeatedFailuresForOneUsernameAreThrottled() async throws {
        let h = try await Self.harness()
        try await h.run { client in
            var last: TestResponse?
            for _ in 0..<12 {
                last = try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"alice","password":"guess guess"}"#)
                if last?.status == .tooManyRequests { break }
            }
            let r = try #require(last)
            try expectEnvelope(r, status: 429, code: "too_many_attempts")
            #expect(r.headers[.retryAfter] != nil)
            // The right password is refused too while throttled.
            let good = try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"alice","password":"s3cret pass"}"#)
            #expect(good.status == .tooManyRequests)
        }
    }

    @Test func aReadOnlyDaemonStartsNoSessions() async throws {
        let h = try AuthHarness(AuthPolicy(token: nil, readOnly: true, identityMode: false))
        let hash = try await PasswordHasher().hash("s3cret pass")
        _ = try await h.store.createUser(name: "alice", role: "user", displayName: nil, passwordHash: hash, by: "root")
        try await h.run { client in
            let r = try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"alice","password":"s3cret pass"}"#)
            try expectEnvelope(r, status: 403, code: "forbidden")
        }
        let sessions = try await h.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_tokens") ?? -1 }
        #expect(sessions == 0)
    }

    @Test func aUserWhoCanLogInCountsForStartupRuleSix() async throws {
        let store = try Store.inMemory()
        #expect(try await store.identityRecordsExist() == false)
        _ = try await store.createUser(name: "nopass", role: "admin", displayName: nil, passwordHash: nil, by: "root")
        #expect(try await store.identityRecordsExist() == false, "a user without a password cannot log in")
        _ = try await store.createUser(name: "alice", role: "admin", displayName: nil, passwordHash: "$argon2id$x", by: "root")
        #expect(try await store.identityRecordsExist() == true)
        _ = try await store.updateUser(name: "alice", UpdateUserRequest(disabled: true), passwordHash: nil, by: "root")
        #expect(try await store.identityRecordsExist() == false, "a disabled user does not count")
    }

    @Test func aDisabledUserCannotLogIn() async throws {
        let h = try await Self.harness()
        _ = try await h.store.updateUser(name: "alice", UpdateUserRequest(disabled: true), passwordHash: nil, by: "root")
        try await h.run { client in
            let r = try await client.send(.post, "/api/v1/auth/login", json: #"{"username":"alice","password":"s3cret pass"}"#)
            try expectEnvelope(r, status: 401, code: "invalid_credentials")
        }
    }
}
