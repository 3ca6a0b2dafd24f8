import Foundation
import Shared
import Testing

/// tracker.md, "Exit codes".
@Suite("Exit codes")
struct ExitCodeTests {
    @Test func numbersMatchTheTable() {
        #expect(KataExitCode.success.rawValue == 0)
        #expect(KataExitCode.internalError.rawValue == 1)
        #expect(KataExitCode.usage.rawValue == 2)
        #expect(KataExitCode.validation.rawValue == 3)
        #expect(KataExitCode.notFound.rawValue == 4)
        #expect(KataExitCode.conflict.rawValue == 5)
        #expect(KataExitCode.confirm.rawValue == 6)
        #expect(KataExitCode.unavailable.rawValue == 7)
        #expect(KataExitCode.auth.rawValue == 8)
    }

    @Test(arguments: [
        (500, "internal", Int32(1)),
        (400, "usage", Int32(2)),
        (400, "validation", Int32(3)),
        (400, "cursor_conflict", Int32(3)),  // "other 400s"
        (404, "not_found", Int32(4)),
        (404, "issue_not_found", Int32(4)),
        (404, "project_not_found", Int32(4)),
        (409, "conflict", Int32(5)),
        (409, "idempotency_mismatch", Int32(5)),
        (409, "duplicate_candidates", Int32(5)),
        (409, "link_cycle", Int32(5)),
        (412, "confirm_required", Int32(6)),
        (412, "confirm_mismatch", Int32(6)),
        (401, "auth_required", Int32(8)),
        (401, "token_invalid", Int32(8)),
        (403, "forbidden", Int32(8)),
        (403, "origin_forbidden", Int32(8)),
    ])
    func httpAnswersMapToExitCodes(status: Int, code: String, exit: Int32) {
        #expect(KataExitCode.forHTTP(status: status, code: code).rawValue == exit, "\(status) \(code)")
        let envelope = ErrorEnvelope(status: status, code: code, message: "m")
        #expect(envelope.exitCode.rawValue == exit, "envelope \(status) \(code)")
    }

    @Test func forHTTPWithoutACode() {
        #expect(KataExitCode.forHTTP(status: 400, code: nil) == .validation)
        #expect(KataExitCode.forHTTP(status: 404, code: nil) == .notFound)
        #expect(KataExitCode.forHTTP(status: 409, code: nil) == .conflict)
        #expect(KataExitCode.forHTTP(status: 412, code: nil) == .confirm)
        #expect(KataExitCode.forHTTP(status: 401, code: nil) == .auth)
        #expect(KataExitCode.forHTTP(status: 403, code: nil) == .auth)
        #expect(KataExitCode.forHTTP(status: 500, code: nil) == .internalError)
    }

    @Test func clientSideErrors() {
        // connection refused, timeout, no socket
        #expect(ErrorEnvelope(status: 0, code: .daemonUnavailable, message: "no socket").exitCode == .unavailable)
        // the client's own transport guardrail
        #expect(ErrorEnvelope(status: 0, code: .insecureTransport, message: "refusing http").exitCode == .auth)
        // bad flags
        #expect(ErrorEnvelope(status: 0, code: .usage, message: "bad flag").exitCode == .usage)
        // confirmation missing without a TTY is 6 whatever status it carries
        #expect(ErrorEnvelope(status: 0, code: .confirmRequired, message: "no tty").exitCode == .confirm)
    }
}

@Suite("Wire format")
struct WireTests {
    static let issue = Issue(
        id: 7, uid: "01ARZ3NDEKTSV4RRFFQ69G5FAV", projectId: 1, projectName: "product", number: 3, shortId: "5fav",
        title: "Fix it", body: "", status: "open", closedReason: nil, owner: nil, author: "alice", labels: ["bug"],
        createdAt: "2024-01-01T00:00:00.000Z", updatedAt: "2024-01-01T00:00:00.000Z", closedAt: nil, deletedAt: nil)

    func object(_ value: some Encodable) throws -> [String: Any] {
        let data = try KataJSON.encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func issueEncodesEveryKeyInSnakeCaseWithExplicitNulls() throws {
        let o = try object(Self.issue)
        let expected: Set<String> = [
            "id", "uid", "project_id", "project_name", "number", "short_id", "title", "body", "status", "closed_reason",
            "owner", "author", "labels", "created_at", "updated_at", "closed_at", "deleted_at",
        ]
        #expect(Set(o.keys) == expected)
        for key in ["closed_reason", "owner", "closed_at", "deleted_at"] {
            #expect(o[key] is NSNull, "\(key) must be an explicit null")
        }
        #expect(o["short_id"] as? String == "5fav")
        #expect(o["project_id"] as? Int == 1)
    }

    @Test func issueRoundTrips() throws {
        let data = try KataJSON.encode(Self.issue)
        #expect(try KataJSON.decoder().decode(Issue.self, from: data) == Self.issue)
    }

    @Test func noOpMutationAnswerHasAnExplicitNullEvent() throws {
        let o = try object(MutationAnswer(issue: Self.issue, event: nil, changed: false))
        #expect(Set(o.keys) == ["issue", "event", "changed"])
        #expect(o["event"] is NSNull)
        #expect(o["changed"] as? Bool == false)
        let text = String(decoding: try KataJSON.encode(MutationAnswer(issue: Self.issue, event: nil, changed: false)), as: UTF8.self)
        #expect(text.contains(#""event":null"#))
    }

    @Test func errorEnvelopeShape() throws {
        let env = ErrorEnvelope(status: 409, code: .linkCycle, message: "cycle", hint: "kata show 2", data: ["number": 2])
        let o = try object(env)
        #expect(o["status"] as? Int == 409)
        let error = try #require(o["error"] as? [String: Any])
        #expect(error["code"] as? String == "link_cycle")
        #expect(error["message"] as? String == "cycle")
        #expect(error["hint"] as? String == "kata show 2")
        let back = try KataJSON.decoder().decode(ErrorEnvelope.self, from: try KataJSON.encode(env))
        #expect(back.status == 409 && back.error.code == "link_cycle" && back.error.data?["number"] == .int(2))
    }

    @Test func eventPollAnswerUsesSnakeCase() throws {
        let o = try object(EventPollAnswer(events: [], nextAfterId: 12, resetRequired: true))
        #expect(Set(o.keys) == ["events", "next_after_id", "reset_required"])
        #expect(o["next_after_id"] as? Int == 12)
        #expect(o["reset_required"] as? Bool == true)
    }

    @Test func jsonValueRoundTrips() throws {
        let v: JSONValue = ["a": 1, "b": [true, "x", .null], "c": .double(1.5)]
        let back = try KataJSON.decoder().decode(JSONValue.self, from: try KataJSON.encode(v))
        #expect(back == v)
    }

    @Test func urlEncodingKeepsOnlyUnreserved() {
        #expect(URLEncoding.component("abc-._~XYZ09") == "abc-._~XYZ09")
        #expect(URLEncoding.component("#12") == "%2312")
        #expect(URLEncoding.component("a b/c?d&e=f") == "a%20b%2Fc%3Fd%26e%3Df")
        #expect(URLEncoding.component("é") == "%C3%A9")
        #expect(URLEncoding.query([]) == "")
        #expect(URLEncoding.query([("q", "fix login"), ("limit", "5")]) == "?q=fix%20login&limit=5")
    }

    @Test func errorCodesAreStable() {
        // The codes the spec names literally.
        let named = [
            "validation", "usage", "not_found", "project_not_initialized", "idempotency_mismatch", "idempotency_deleted",
            "duplicate_candidates", "link_cycle", "confirm_required", "confirm_mismatch", "cursor_conflict", "origin_forbidden",
            "payload_too_large",
        ]
        let all = Set(ErrorCode.allCases.map(\.rawValue))
        for code in named { #expect(all.contains(code), "\(code)") }
    }
}
