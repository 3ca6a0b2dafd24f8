import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Shared
import Testing

@testable import katad

/// A router with a given auth policy over an in-memory store.
struct AuthHarness {
    let store: Store
    let services: APIServices

    init(_ policy: AuthPolicy, throttle: AuthThrottle = AuthThrottle()) throws {
        let broadcaster = EventBroadcaster()
        store = try Store.inMemory(onCommit: { events, purge in broadcaster.publish(events, purge: purge) })
        var s = APIServices(store: store, broadcaster: broadcaster, startedAt: .now, listeners: [], authMode: "test")
        s.authPolicy = policy
        s.throttle = throttle
        services = s
    }

    func run(
        listener: ListenAddress = .unix(path: "/tmp/api.sock"), _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = Application(responder: DaemonServer.apiResponder(services, listener: ListenerInfo(address: listener, isAdmin: false)))
        try await app.test(.router) { client in try await test(client) }
    }
}

func bearer(_ token: String) -> HTTPFields {
    var h = HTTPFields()
    h[.authorization] = "Bearer \(token)"
    return h
}

private func code(_ r: TestResponse) -> String? {
    ((try? r.object)?["error"] as? [String: Any])?["code"] as? String
}

@Suite("Tokens and request authentication")
struct TokenAuthTests {
    @Test func secretsAreKataPrefixedURLSafeAndOnlyTheirHashIsStored() async throws {
        let store = try Store.inMemory()
        let a = try await store.createToken(CreateTokenRequest(actor: "alice", name: "laptop", role: nil, expires: nil), createdBy: "root")
        #expect(a.secret.hasPrefix("kata_"))
        #expect(a.secret.count >= 5 + 43, "32 random bytes in URL-safe base64 are 43 characters")
        #expect(a.secret.dropFirst(5).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(a.token.role == "user", "the role defaults to user")
        #expect(a.token.prefix == String(a.secret.prefix(9)))
        let cells = try await store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT hash FROM api_tokens UNION ALL SELECT payload FROM events")
        }
        #expect(!cells.contains { $0.contains(a.secret) }, "the secret is never stored")
        #expect(cells.contains(TokenSecret.hash(a.secret)))
        let identity = try await store.verifyToken(a.secret)
        #expect(identity?.actor == "alice")
        #expect(try await store.verifyToken(a.secret + "x") == nil)
    }

    @Test func badTokenRequestsAreNamed() async throws {
        let store = try Store.inMemory()
        func failure(_ req: CreateTokenRequest) async -> KataError? {
            do {
                _ = try await store.createToken(req, createdBy: "root")
                return nil
            } catch { return error as? KataError }
        }
        #expect(await failure(CreateTokenRequest(actor: " ", name: "n", role: nil, expires: nil))?.envelope.error.data?["field"] == "actor")
        #expect(await failure(CreateTokenRequest(actor: "a", name: "n", role: "root", expires: nil))?.envelope.error.data?["field"] == "role")
        #expect(await failure(CreateTokenRequest(actor: "a", name: "n", role: nil, expires: "0s"))?.envelope.error.data?["field"] == "expires")
        #expect(await failure(CreateTokenRequest(actor: "a", name: "n", role: nil, expires: "-5d"))?.envelope.error.data?["field"] == "expires")
        _ = try await store.createToken(CreateTokenRequest(actor: "a", name: "n", role: nil, expires: nil), createdBy: "root")
        #expect(await failure(CreateTokenRequest(actor: "a", name: "n", role: nil, expires: nil))?.envelope.error.code == "token_name_taken")
        // The same name for another actor is fine.
        #expect(await failure(CreateTokenRequest(actor: "b", name: "n", role: nil, expires: nil)) == nil)
    }

    @Test func revokedAndExpiredTokensNoLongerVerify() async throws {
        let store = try Store.inMemory()
        let a = try await store.createToken(CreateTokenRequest(actor: "a", name: "one", role: nil, expires: nil), createdBy: "root")
        let r = try await store.revokeToken(id: a.token.id, by: "root")
        #expect(r.changed && r.token.revokedAt != nil)
        #expect(try await store.revokeToken(id: a.token.id, by: "root").changed == false)
        #expect(try await store.verifyToken(a.secret) == nil)
        let b = try await store.createToken(CreateTokenRequest(actor: "a", name: "two", role: nil, expires: nil), createdBy: "root")
        try await store.writer.write { db in
            try db.execute(sql: "UPDATE api_tokens SET expires_at = ? WHERE id = ?", arguments: [Timestamp.format(millis: Timestamp.nowMillis() - 1000), b.token.id])
        }
        #expect(try await store.verifyToken(b.secret) == nil)
    }

    @Test func tokenEventsStayInTheHiddenSystemProject() async throws {
        let h = try HTTPHarness()
        try await h.run { client in
            _ = try await makeProject(client)
            let created = try await client.send(.post, "/api/v1/tokens", json: #"{"actor":"alice","name":"ci"}"#)
            #expect(created.status == .created, "\(created.text)")
            let projects = try await client.send(.get, "/api/v1/projects")
            #expect(!projects.text.contains("_system"))
            let events = try await client.send(.get, "/api/v1/events?after_id=0")
            #expect(!events.text.contains("token."), "token events never appear in /events")
        }
        let types = try await h.store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT e.type FROM events e JOIN projects p ON p.id = e.project_id WHERE p.hidden = 1")
        }
        #expect(types == ["token.created"])
    }

    @Test func staticModeRequiresTheBootstrapTokenOnEveryListener() async throws {
        let h = try AuthHarness(AuthPolicy(token: "boot", readOnly: false, identityMode: false))
        try await h.run { client in
            #expect(try await client.send(.get, "/api/v1/ping").status == .ok)
            #expect(try await client.send(.get, "/api/v1/health").status == .ok)
            let none = try await client.send(.get, "/api/v1/projects")
            try expectEnvelope(none, status: 401, code: "auth_required")
            let wrong = try await client.send(.get, "/api/v1/projects", headers: bearer("boot!"))
            try expectEnvelope(wrong, status: 403, code: "token_invalid")
            #expect(try await client.send(.get, "/api/v1/projects", headers: bearer("boot")).status == .ok)
        }
    }

    @Test func aDBTokenAttributesWritesEvenInStaticMode() async throws {
        let h = try AuthHarness(AuthPolicy(token: "boot", readOnly: false, identityMode: false))
        let minted = try await h.store.createToken(CreateTokenRequest(actor: "alice", name: "laptop", role: nil, expires: nil), createdBy: "root")
        try await h.run { client in
            var hb = bearer("boot")
            hb[.contentType] = "application/json"
            let p = try await client.send(.post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///a"}"#, headers: hb)
            let pid = try #require((try p.object["project"] as? [String: Any])?["id"] as? Int)
            let r = try await client.send(
                .post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Token write","actor":"mallory"}"#, headers: bearer(minted.secret))
            #expect(r.status == .created, "\(r.text)")
            #expect((try r.object["issue"] as? [String: Any])?["author"] as? String == "alice", "the token's actor, not the body's")
            let who = try await client.send(.get, "/api/v1/whoami?actor=mallory", headers: bearer(minted.secret))
            #expect(who.text.contains("\"actor\":\"alice\"") && who.text.contains("\"principal\":\"token\""), "\(who.text)")
            // A user-role token cannot administer tokens.
            try expectEnvelope(try await client.send(.get, "/api/v1/tokens", headers: bearer(minted.secret)), status: 403, code: "forbidden")
        }
    }

    @Test func identityModeForbidsBootstrapWritesButAllowsTokenAdministration() async throws {
        let h = try AuthHarness(AuthPolicy(token: "boot", readOnly: false, identityMode: true))
        try await h.run { client in
            var hb = bearer("boot")
            hb[.contentType] = "application/json"
            let w = try await client.send(.post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///a"}"#, headers: hb)
            try expectEnvelope(w, status: 403, code: "bootstrap_token_write_forbidden")
            #expect(try await client.send(.get, "/api/v1/projects", headers: hb).status == .ok, "reads are fine")
            let t = try await client.send(.post, "/api/v1/tokens", json: #"{"actor":"alice","name":"n","role":"operator"}"#, headers: hb)
            #expect(t.status == .created, "\(t.text)")
            let secret = try #require(try t.object["secret"] as? String)
            let p = try await client.send(.post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///a"}"#, headers: bearer(secret))
            #expect(p.status == .created, "a DB-backed token writes in identity mode: \(p.text)")
            try expectEnvelope(try await client.send(.get, "/api/v1/projects"), status: 401, code: "auth_required")
        }
    }

    @Test func readOnlyWithoutTokenServesOnlyReads() async throws {
        let h = try AuthHarness(AuthPolicy(token: nil, readOnly: true, identityMode: false))
        try await h.run { client in
            #expect(try await client.send(.get, "/api/v1/projects").status == .ok)
            try expectEnvelope(
                try await client.send(.post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///a"}"#), status: 401,
                code: "auth_required")
            var accept = HTTPFields()
            accept[.accept] = "text/event-stream"
            try expectEnvelope(try await client.send(.get, "/api/v1/events/stream", headers: accept), status: 401, code: "auth_required")
            try expectEnvelope(try await client.send(.get, "/api/v1/tokens"), status: 401, code: "auth_required")
        }
    }

    @Test func repeatedFailuresAreThrottledPerPeer() async throws {
        let throttle = AuthThrottle(maxFailures: 3, window: .seconds(60), penalty: .seconds(30))
        let h = try AuthHarness(AuthPolicy(token: "boot", readOnly: false, identityMode: false), throttle: throttle)
        try await h.run { client in
            for _ in 0..<3 {
                try expectEnvelope(try await client.send(.get, "/api/v1/projects", headers: bearer("nope")), status: 403, code: "token_invalid")
            }
            let r = try await client.send(.get, "/api/v1/projects", headers: bearer("boot"))
            try expectEnvelope(r, status: 429, code: "too_many_attempts")
            #expect(Int(r.headers[.retryAfter] ?? "") ?? 0 > 0, "Retry-After names the wait")
        }
        #expect(throttle.retryAfter(peer: "10.0.0.9") == nil, "another peer is not throttled")
    }

    @Test func throttleMemoryIsBounded() {
        let throttle = AuthThrottle(maxFailures: 5, maxPeers: 100)
        for i in 0..<1000 { throttle.recordFailure(peer: "peer-\(i)") }
        #expect(throttle.trackedPeers <= 101)
    }

    @Test func constantTimeComparison() {
        #expect(ConstantTime.equal("abc", "abc"))
        #expect(!ConstantTime.equal("abc", "abd"))
        #expect(!ConstantTime.equal("abc", "abcd"))
        #expect(!ConstantTime.equal("", "a"))
    }

    @Test func trustedProxyHeaderOnlyOnTrustedListeners() async throws {
        let proxy = ListenAddress.unix(path: "/tmp/proxy.sock")
        var policy = AuthPolicy.open
        policy.trustedActorHeader = "X-Kata-Actor"
        policy.trustedListeners = [proxy]
        let h = try AuthHarness(policy)
        let header = HTTPField.Name("X-Kata-Actor")!
        try await h.run(listener: proxy) { client in
            var hh = HTTPFields()
            hh[header] = "carol"
            hh[.contentType] = "application/json"
            let p = try await client.send(.post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///a"}"#, headers: hh)
            let pid = try #require((try p.object["project"] as? [String: Any])?["id"] as? Int)
            let r = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Via proxy","actor":"bob"}"#, headers: hh)
            #expect((try r.object["issue"] as? [String: Any])?["author"] as? String == "carol")
            let missing = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"No header","actor":"bob"}"#)
            try expectEnvelope(missing, status: 400, code: "actor_header_required")
            #expect(try await client.send(.get, "/api/v1/projects").status == .ok, "reads are never blocked")
        }
        try await h.run(listener: .unix(path: "/tmp/other.sock")) { client in
            var hh = HTTPFields()
            hh[header] = "carol"
            let list = try await client.send(.get, "/api/v1/projects")
            let pid = try #require(((try list.object["projects"] as? [[String: Any]])?.first)?["id"] as? Int)
            let r = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Direct write","actor":"bob"}"#, headers: hh)
            #expect((try r.object["issue"] as? [String: Any])?["author"] as? String == "bob", "other listeners ignore the header")
        }
    }
}
