import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Shared
import Testing

@testable import katad

/// A router over an in-memory store, its commits published to a broadcaster, as the daemon wires it.
struct HTTPHarness: Sendable {
    let store: Store
    let broadcaster: EventBroadcaster
    let services: APIServices

    init() throws {
        let broadcaster = EventBroadcaster()
        let store = try Store.inMemory(onCommit: { events, purge in broadcaster.publish(events, purge: purge) })
        self.store = store
        self.broadcaster = broadcaster
        services = APIServices(
            store: store, broadcaster: broadcaster, startedAt: .now, listeners: ["unix:///tmp/x.sock"], authMode: "local")
    }

    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(
            responder: DaemonServer.apiResponder(services, listener: ListenerInfo(address: .unix(path: "/tmp/x.sock"), isAdmin: false)))
        try await app.test(.router) { client in try await test(client) }
    }
}

extension TestClientProtocol {
    /// Sends a request; a `json` body gets `Content-Type: application/json` unless `headers` says otherwise.
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var h = headers
        if json != nil, h[.contentType] == nil { h[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: h, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var object: [String: Any] {
        get throws {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
        }
    }
}

/// Checks the spec's error envelope: `{"status": N, "error": {"code", "message", "hint"?, "data"?}}` with N the HTTP status.
func expectEnvelope(
    _ response: TestResponse, status: Int, code: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(response.status.code == status, "HTTP status; body \(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    let o = try response.object
    #expect(Set(o.keys) == ["status", "error"], "top-level keys of \(response.text)", sourceLocation: sourceLocation)
    #expect(o["status"] as? Int == response.status.code, "envelope status equals HTTP status", sourceLocation: sourceLocation)
    let error = try #require(o["error"] as? [String: Any], sourceLocation: sourceLocation)
    #expect(error["code"] as? String == code, "code in \(response.text)", sourceLocation: sourceLocation)
    let message = error["message"] as? String
    #expect(message?.isEmpty == false, "message", sourceLocation: sourceLocation)
    #expect(Set(error.keys).isSubset(of: ["code", "message", "hint", "data"]), sourceLocation: sourceLocation)
    if let hint = error["hint"] { #expect(hint is String, sourceLocation: sourceLocation) }
}

let lastEventID = HTTPField.Name("Last-Event-ID")!
let confirmHeader = HTTPField.Name("X-Kata-Confirm")!

/// Creates project `alpha` through the API and returns its id.
@discardableResult
func makeProject(_ client: any TestClientProtocol) async throws -> Int {
    let r = try await client.send(.post, "/api/v1/projects", json: #"{"name":"alpha","alias_identity":"local:///w/alpha"}"#)
    #expect(r.status == .created, "\(r.text)")
    return try #require((try r.object["project"] as? [String: Any])?["id"] as? Int)
}

@Suite("HTTP API")
struct HTTPTests {
    @Test func pingAndHealth() async throws {
        try await HTTPHarness().run { client in
            let ping = try await client.send(.get, "/api/v1/ping")
            #expect(ping.status == .ok)
            #expect(try ping.object["ok"] as? Bool == true)
            let health = try await client.send(.get, "/api/v1/health")
            #expect(health.status == .ok)
            let o = try health.object
            #expect(o["database"] as? String == "ok")
            #expect((o["schema_version"] as? Int ?? 0) >= 1)
            #expect(o["auth_mode"] as? String == "local")
            #expect(o["listeners"] as? [String] == ["unix:///tmp/x.sock"])
        }
    }

    @Test func aNonEmptyOriginIsForbidden() async throws {
        try await HTTPHarness().run { client in
            let origin: HTTPFields = [.origin: "https://evil.example"]
            for (method, uri, json) in [
                (HTTPRequest.Method.get, "/api/v1/ping", nil as String?),
                (.get, "/api/v1/projects", nil),
                (.post, "/api/v1/projects", #"{"name":"x","alias_identity":"local:///x"}"#),
                (.options, "/api/v1/projects", nil),
                (.get, "/api/v1/no/such/route", nil),
            ] {
                let r = try await client.send(method, uri, json: json, headers: origin)
                try expectEnvelope(r, status: 403, code: "origin_forbidden")
                #expect(!r.headers.contains { $0.name.rawName.lowercased().hasPrefix("access-control-") }, "no CORS headers")
            }
            // The refused write wrote nothing.
            let list = try await client.send(.get, "/api/v1/projects")
            #expect(try (list.object["projects"] as? [Any])?.isEmpty == true)
            // An empty Origin is not a browser.
            let empty = try await client.send(.get, "/api/v1/ping", headers: [.origin: ""])
            #expect(empty.status == .ok)
        }
    }

    @Test func aBodyNeedsJSONContentType() async throws {
        try await HTTPHarness().run { client in
            let body = #"{"name":"alpha","alias_identity":"local:///w/alpha"}"#
            let none = try await client.execute(uri: "/api/v1/projects", method: .post, body: ByteBuffer(string: body))
            try expectEnvelope(none, status: 415, code: "unsupported_media_type")
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"] {
                let r = try await client.send(.post, "/api/v1/projects", json: body, headers: [.contentType: type])
                try expectEnvelope(r, status: 415, code: "unsupported_media_type")
            }
            let list = try await client.send(.get, "/api/v1/projects")
            #expect(try (list.object["projects"] as? [Any])?.isEmpty == true)
            let ok = try await client.send(.post, "/api/v1/projects", json: body, headers: [.contentType: "application/json; charset=utf-8"])
            #expect(ok.status == .created, "\(ok.text)")
            let pid = try #require((try ok.object["project"] as? [String: Any])?["id"] as? Int)
            // A PATCH with a body is a mutation too.
            let patch = try await client.send(.patch, "/api/v1/projects/\(pid)/issues/1", json: #"{"title":"x"}"#, headers: [.contentType: "text/plain"])
            try expectEnvelope(patch, status: 415, code: "unsupported_media_type")
        }
    }

    @Test func bodiesOverOneMebibyteAre413() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            let big = #"{"title":"big","body":""# + String(repeating: "x", count: 1 << 20) + #""}"#
            let r = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: big)
            try expectEnvelope(r, status: 413, code: "payload_too_large")
            // Exactly at the limit is not refused for its size.
            let pad = (1 << 20) - #"{"title":"fits","force_new":true,"body":""}"#.utf8.count
            let fits = #"{"title":"fits","force_new":true,"body":""# + String(repeating: "y", count: pad) + #""}"#
            #expect(fits.utf8.count == 1 << 20)
            let ok = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: fits)
            #expect(ok.status == .created, "\(ok.status)")
            let list = try await client.send(.get, "/api/v1/projects/\(pid)/issues")
            #expect(try (list.object["issues"] as? [[String: Any]])?.map { $0["title"] as? String } == ["fits"])
        }
    }

    @Test func malformedJSONAndWrongTypesAre400() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            for (body, field) in [
                (#"{"title": "#, "body"),
                ("not json", "body"),
                ("[1, 2]", "body"),
                ("null", "body"),
                (#"{"title": 5}"#, "title"),
                (#"{"title": "x", "labels": "bug"}"#, "labels"),
                (#"{"title": "x", "force_new": "yes"}"#, "force_new"),
            ] {
                let r = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: body)
                try expectEnvelope(r, status: 400, code: "validation")
                let message = try (r.object["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains(field), "\(body) -> \(message) should name \(field)")
            }
            for (body, field) in [(#"{"title": "  "}"#, "title"), (#"{"title": "x", "labels": ["Not Valid"]}"#, "labels")] {
                let r = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: body)
                try expectEnvelope(r, status: 400, code: "validation")
                let error = try r.object["error"] as? [String: Any]
                #expect((error?["message"] as? String)?.contains(field) == true)
                #expect((error?["data"] as? [String: Any])?["field"] as? String == field)
            }
            let close = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"ok"}"#)
            #expect(close.status == .created)
            let badReason = try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/close", json: #"{"reason":"fixed"}"#)
            try expectEnvelope(badReason, status: 400, code: "validation")
            let badStatus = try await client.send(.get, "/api/v1/projects/\(pid)/issues?status=pending")
            try expectEnvelope(badStatus, status: 400, code: "validation")
            let badLabel = try await client.send(.get, "/api/v1/projects/\(pid)/issues?label=Has%20Space")
            try expectEnvelope(badLabel, status: 400, code: "validation")
            let badCursor = try await client.send(.get, "/api/v1/projects/\(pid)/issues?cursor=garbage")
            try expectEnvelope(badCursor, status: 400, code: "validation")
            let badSearch = try await client.send(.get, "/api/v1/search?q=%22unterminated")
            try expectEnvelope(badSearch, status: 400, code: "validation")
            let noQuery = try await client.send(.get, "/api/v1/projects/\(pid)/search")
            try expectEnvelope(noQuery, status: 400, code: "validation")
        }
    }

    @Test func unknownRoutesAndResourcesAre404Envelopes() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            try expectEnvelope(try await client.send(.get, "/api/v1/nope"), status: 404, code: "not_found")
            try expectEnvelope(try await client.send(.get, "/nope"), status: 404, code: "not_found")
            try expectEnvelope(try await client.send(.get, "/api/v2/ping"), status: 404, code: "not_found")
            try expectEnvelope(try await client.send(.get, "/api/v1/projects/99"), status: 404, code: "project_not_found")
            try expectEnvelope(try await client.send(.get, "/api/v1/projects/abc"), status: 404, code: "project_not_found")
            try expectEnvelope(try await client.send(.get, "/api/v1/projects/99/issues"), status: 404, code: "project_not_found")
            try expectEnvelope(try await client.send(.get, "/api/v1/projects/\(pid)/issues/7"), status: 404, code: "issue_not_found")
            try expectEnvelope(try await client.send(.get, "/api/v1/projects/99/events"), status: 404, code: "project_not_found")
            try expectEnvelope(
                try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/explode", json: "{}"), status: 404, code: "not_found")
        }
    }

    @Test func cursorsAndLimitsMustBeNonNegativeIntegers() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            for uri in [
                "/api/v1/events?after_id=abc", "/api/v1/events?after_id=-1", "/api/v1/events?after_id=1.5",
                "/api/v1/events?limit=many", "/api/v1/events?limit=-3", "/api/v1/projects/\(pid)/events?after_id=abc",
                "/api/v1/projects/\(pid)/issues?limit=many", "/api/v1/projects/\(pid)/ready?limit=x",
            ] {
                try expectEnvelope(try await client.send(.get, uri), status: 400, code: "validation")
            }
            let ok = try await client.send(.get, "/api/v1/events?after_id=0&limit=10")
            #expect(ok.status == .ok)
            #expect(Set(try ok.object.keys) == ["events", "next_after_id", "reset_required"])
            #expect(try ok.object["reset_required"] as? Bool == false)
        }
    }

    @Test func theStreamNeedsAcceptAndOneCursor() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            try expectEnvelope(try await client.send(.get, "/api/v1/events/stream"), status: 406, code: "not_acceptable")
            try expectEnvelope(
                try await client.send(.get, "/api/v1/events/stream", headers: [.accept: "application/json"]), status: 406, code: "not_acceptable")
            var both = HTTPFields()
            both[.accept] = "text/event-stream"
            both[lastEventID] = "3"
            try expectEnvelope(try await client.send(.get, "/api/v1/events/stream?after_id=2", headers: both), status: 400, code: "cursor_conflict")
            var bad = HTTPFields()
            bad[.accept] = "text/event-stream"
            bad[lastEventID] = "abc"
            try expectEnvelope(try await client.send(.get, "/api/v1/events/stream", headers: bad), status: 400, code: "validation")
            try expectEnvelope(
                try await client.send(.get, "/api/v1/events/stream?after_id=abc", headers: [.accept: "text/event-stream"]),
                status: 400, code: "validation")
            try expectEnvelope(
                try await client.send(.get, "/api/v1/events/stream?project_id=99", headers: [.accept: "text/event-stream"]),
                status: 404, code: "project_not_found")
        }
    }

    @Test func theStreamReplaysFramesFromTheCursor() async throws {
        let h = try HTTPHarness()
        try await h.run { client in
            let pid = try await makeProject(client)
            for t in ["One", "Two", "Three"] {
                _ = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"\#(t)","force_new":true}"#)
            }
            // With the broadcaster closed the stream ends after its replay, so the test can read the whole body.
            h.broadcaster.close()
            let polled = try await client.send(.get, "/api/v1/projects/\(pid)/events")
            let eventIds = try #require((try polled.object["events"] as? [[String: Any]])?.compactMap { $0["id"] as? Int })
            #expect(eventIds.count == 3)
            let r = try await client.send(.get, "/api/v1/events/stream?after_id=\(eventIds[0])", headers: [.accept: "text/event-stream"])
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let frames = r.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("id:") }
            #expect(frames.count == 2, "\(r.text)")
            for (frame, id) in zip(frames, eventIds.dropFirst()) {
                let lines = frame.split(separator: "\n").map(String.init)
                #expect(lines.count == 3)
                #expect(lines.first == "id: \(id)")
                #expect(lines.dropFirst().first == "event: issue.created")
                let data = try #require(lines.last?.dropFirst("data: ".count))
                let event = try KataJSON.decoder().decode(Shared.Event.self, from: Data(data.utf8))
                #expect(event.id == Int64(id) && event.type == "issue.created")
            }
            // Last-Event-ID works the same way.
            var headers = HTTPFields()
            headers[.accept] = "text/event-stream"
            headers[lastEventID] = "\(eventIds[1])"
            let resumed = try await client.send(.get, "/api/v1/events/stream", headers: headers)
            #expect(resumed.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("id:") }.count == 1)

            // After a purge, a cursor below the reserved one gets one reset frame with the new cursor.
            var purge = HTTPFields()
            purge[confirmHeader] = "PURGE #3"
            let purged = try await client.send(.post, "/api/v1/projects/\(pid)/issues/3/actions/purge", json: "{}", headers: purge)
            #expect(purged.status == .ok, "\(purged.text)")
            let reserved = try #require((try purged.object["purge"] as? [String: Any])?["reset_cursor"] as? Int)
            let reset = try await client.send(.get, "/api/v1/events/stream?after_id=0", headers: [.accept: "text/event-stream"])
            #expect(reset.text.contains("id: \(reserved)\nevent: sync.reset_required\n"), "\(reset.text)")
            #expect(reset.text.components(separatedBy: "event: sync.reset_required").count == 2)
            let poll = try await client.send(.get, "/api/v1/events?after_id=0")
            #expect(try poll.object["reset_required"] as? Bool == true)
            #expect(try poll.object["next_after_id"] as? Int == reserved)
            let atCursor = try await client.send(.get, "/api/v1/events?after_id=\(reserved)")
            #expect(try atCursor.object["reset_required"] as? Bool == false)
        }
    }

    @Test func mutationAnswersHaveIssueEventChanged() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            let created = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Alpha","actor":"alice"}"#)
            #expect(created.status == .created)
            let c = try created.object
            #expect(Set(c.keys).isSuperset(of: ["issue", "event", "changed"]))
            #expect(c["changed"] as? Bool == true)
            #expect((c["event"] as? [String: Any])?["type"] as? String == "issue.created")
            let issue = try #require(c["issue"] as? [String: Any])
            #expect(issue["author"] as? String == "alice")
            // Every issue key is present, nulls explicit.
            for key in ["closed_reason", "owner", "closed_at", "deleted_at"] { #expect(issue[key] is NSNull, "\(key)") }

            let closed = try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/close", json: #"{"reason":"done"}"#)
            #expect(closed.status == .ok)
            let o = try closed.object
            #expect(Set(o.keys) == ["issue", "event", "changed"])
            #expect(o["changed"] as? Bool == true)
            #expect((o["event"] as? [String: Any])?["type"] as? String == "issue.closed")
            #expect((o["issue"] as? [String: Any])?["status"] as? String == "closed")

            let again = try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/close", json: #"{"reason":"done"}"#)
            #expect(again.status == .ok)
            let n = try again.object
            #expect(Set(n.keys) == ["issue", "event", "changed"])
            #expect(n["changed"] as? Bool == false)
            #expect(n["event"] is NSNull)
            #expect(again.text.contains(#""event":null"#))

            // An empty body is fine for actions that need nothing.
            let reopen = try await client.execute(uri: "/api/v1/projects/\(pid)/issues/%231/actions/reopen", method: .post)
            #expect(reopen.status == .ok, "\(reopen.text)")
            #expect(try reopen.object["changed"] as? Bool == true)
        }
    }

    @Test func idempotencyKeyHeaderAndDuplicates() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            let key = HTTPField.Name("Idempotency-Key")!
            let body = #"{"title":"Add retries to the uploader","body":"Three attempts."}"#
            let first = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: body, headers: [key: "k1", .contentType: "application/json"])
            #expect(first.status == .created)
            let second = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: body, headers: [key: "k1", .contentType: "application/json"])
            #expect(second.status == .ok)
            #expect(try second.object["reused"] as? Bool == true)
            #expect(try second.object["event"] is NSNull)
            let other = #"{"title":"Add retries to the downloader"}"#
            try expectEnvelope(
                try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: other, headers: [key: "k1", .contentType: "application/json"]),
                status: 409, code: "idempotency_mismatch")
            try expectEnvelope(try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: body), status: 409, code: "duplicate_candidates")
            let forced = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Add retries to the uploader","body":"Three attempts.","force_new":true}"#)
            #expect(forced.status == .created)
        }
    }

    @Test func destructiveActionsNeedTheConfirmHeader() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            _ = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Alpha"}"#)
            try expectEnvelope(
                try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/delete", json: "{}"), status: 412, code: "confirm_required")
            try expectEnvelope(
                try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/delete", json: "{}", headers: [confirmHeader: "DELETE #2", .contentType: "application/json"]),
                status: 412, code: "confirm_mismatch")
            try expectEnvelope(
                try await client.send(.post, "/api/v1/projects/\(pid)/issues/1/actions/purge", json: "{}"), status: 412, code: "confirm_required")
            let deleted = try await client.send(
                .post, "/api/v1/projects/\(pid)/issues/1/actions/delete", json: "{}", headers: [confirmHeader: "DELETE #1", .contentType: "application/json"])
            #expect(deleted.status == .ok)
            #expect(try deleted.object["changed"] as? Bool == true)
            let list = try await client.send(.get, "/api/v1/projects/\(pid)/issues?status=all")
            #expect(try (list.object["issues"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func oddInputsNeverProduceA500() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            _ = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Alpha"}"#)
            let requests: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/v1/projects/\(pid)/issues/99999999999999999999", nil),
                (.get, "/api/v1/projects/\(pid)/issues/0", nil),
                (.get, "/api/v1/projects/\(pid)/issues/%FF%FE", nil),
                (.get, "/api/v1/projects/\(pid)/issues/%23", nil),
                (.get, "/api/v1/projects/99999999999999999999/issues", nil),
                (.get, "/api/v1/projects/-1", nil),
                (.get, "/api/v1/projects/\(pid)/issues?cursor=9223372036854775807.1", nil),
                (.get, "/api/v1/projects/\(pid)/issues?cursor=99999999999999999999.1", nil),
                (.get, "/api/v1/projects/\(pid)/issues?limit=99999999999999999999", nil),
                (.get, "/api/v1/events?after_id=9223372036854775807", nil),
                (.get, "/api/v1/events?after_id=99999999999999999999", nil),
                (.get, "/api/v1/issues?project_id=abc", nil),
                (.get, "/api/v1/issues/1", nil),
                (.get, "/api/v1/search?q=", nil),
                (.get, "/api/v1/search?q=%00", nil),
                (.get, "/api/v1/search?q=NEAR(a%20b,%20-1)", nil),
                (.delete, "/api/v1/projects/\(pid)/issues/1/labels/NOT%20VALID", nil),
                (.post, "/api/v1/projects/\(pid)/issues", #"{"title":"\u0000"}"#),
                (.post, "/api/v1/projects/\(pid)/issues", #"{"title":"x","labels":[1,2]}"#),
                (.post, "/api/v1/projects/\(pid)/issues", ##"{"title":"x","parent":"#1","blocks":["#1"]}"##),
                (.post, "/api/v1/projects/\(pid)/issues", #"{"title":"x","idempotency_key":"\#(String(repeating: "k", count: 300))"}"#),
                (.post, "/api/v1/projects/\(pid)/issues", #"{"title":"x","actor":"\#(String(repeating: "a", count: 300))"}"#),
                (.patch, "/api/v1/projects/\(pid)/issues/1", #"{"owner":"x","clear_owner":true}"#),
                (.patch, "/api/v1/projects/\(pid)/issues/1", #"{"parent":"1"}"#),
                (.post, "/api/v1/projects/\(pid)/issues/1/labels", #"{"labels":[]}"#),
                (.post, "/api/v1/projects/\(pid)/issues/1/assign", "{}"),
                (.post, "/api/v1/projects", #"{"name":"x"}"#),
                (.post, "/api/v1/projects", #"{"name":"x","alias_identity":"a/b","alias_kind":"svn"}"#),
                (.post, "/api/v1/projects/resolve", "{}"),
            ]
            for (method, uri, json) in requests {
                let r = try await client.send(method, uri, json: json)
                #expect(r.status.code < 500, "\(method) \(uri) -> \(r.status.code) \(r.text)")
                if r.status.code >= 400 {
                    try expectEnvelope(r, status: r.status.code, code: (try? r.object["error"] as? [String: Any])?["code"] as? String ?? "?")
                }
            }
        }
    }

    @Test func readsAndListsOverHTTP() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            for t in ["Alpha", "Beta", "Gamma"] {
                _ = try await client.send(.post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"\#(t) task","force_new":true}"#)
            }
            _ = try await client.send(.patch, "/api/v1/projects/\(pid)/issues/1", json: #"{"blocks":["2"]}"#)
            let page = try await client.send(.get, "/api/v1/projects/\(pid)/issues?limit=2")
            let p = try page.object
            #expect((p["issues"] as? [[String: Any]])?.map { $0["number"] as? Int } == [1, 3])
            let cursor = try #require(p["next_cursor"] as? String)
            let rest = try await client.send(.get, "/api/v1/projects/\(pid)/issues?limit=2&cursor=\(cursor)")
            #expect(try (rest.object["issues"] as? [[String: Any]])?.map { $0["number"] as? Int } == [2])
            #expect(try rest.object["next_cursor"] is NSNull)

            let ready = try await client.send(.get, "/api/v1/projects/\(pid)/ready")
            #expect(try (ready.object["issues"] as? [[String: Any]])?.map { $0["number"] as? Int } == [1, 3])
            let show = try await client.send(.get, "/api/v1/projects/\(pid)/issues/2?comments=1&events=1")
            let links = try #require(try show.object["links"] as? [String: Any])
            #expect((links["blocked_by"] as? [[String: Any]])?.map { $0["number"] as? Int } == [1])
            let search = try await client.send(.get, "/api/v1/projects/\(pid)/search?q=gamma")
            let hits = try #require(try search.object["results"] as? [[String: Any]])
            #expect(hits.count == 1 && (hits.first?["score"] as? Double) != nil)
            let uid = try #require((hits.first?["issue"] as? [String: Any])?["uid"] as? String)
            let anywhere = try await client.send(.get, "/api/v1/issues/\(uid)")
            #expect(((try anywhere.object["issue"]) as? [String: Any])?["number"] as? Int == 3)
        }
    }
}
