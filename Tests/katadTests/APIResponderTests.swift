import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Shared
import Testing

@testable import katad

@Suite("Pre-routed issue reads")
struct APIResponderTests {
    @Test func onlyAPathWithDigitsForBothParametersIsPreRouted() {
        let match = APIResponder.issueReadParameters("/api/v1/projects/12/issues/345")
        #expect(match?.id == "12" && match?.ref == "345")
        for path in [
            "/api/v1/projects/12/issues", "/api/v1/projects/12/issues/", "/api/v1/projects/12/issues/345/",
            "/api/v1/projects/12/issues/345/comments", "/api/v1/projects/12/issues/%31", "/api/v1/projects/12/issues/abcd",
            "/api/v1/projects/12/issues/-1", "/api/v1/projects//issues/1", "/api/v1/projects/x/issues/1", "/api/v1/projects/12/issuesx/1",
            "/api/v1/projects/12", "/api/v1/issues/12", "/API/v1/projects/12/issues/1", "//api/v1/projects/12/issues/1",
        ] {
            #expect(APIResponder.issueReadParameters(path) == nil, "\(path)")
        }
    }

    /// The same answers as through the router: `%31` is "1" percent-encoded, which only the router's route
    /// matches, and the handler decodes.
    @Test func thePreRoutedReadAnswersWhatTheRouterAnswers() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            let created = try await client.send(
                .post, "/api/v1/projects/\(pid)/issues", json: #"{"title":"Read me","body":"a \"quoted\" body","labels":["b","a"]}"#)
            #expect(created.status == .created, "\(created.text)")
            for query in ["", "?comments=true", "?events=true&comments=true", "?comments=0&other=1"] {
                let fast = try await client.send(.get, "/api/v1/projects/\(pid)/issues/1\(query)")
                let routed = try await client.send(.get, "/api/v1/projects/\(pid)/issues/%31\(query)")
                #expect(fast.status == .ok && routed.status == .ok, "\(fast.text) \(routed.text)")
                #expect(fast.text == routed.text)
                #expect(fast.headers[.contentType] == routed.headers[.contentType])
            }
            let missing = try await client.send(.get, "/api/v1/projects/\(pid)/issues/99")
            try expectEnvelope(missing, status: 404, code: "issue_not_found")
            #expect(missing.text == (try await client.send(.get, "/api/v1/projects/\(pid)/issues/%399")).text)
            let noProject = try await client.send(.get, "/api/v1/projects/999/issues/1")
            try expectEnvelope(noProject, status: 404, code: "project_not_found")
            // Ids that are digits but no project id (zero, past Int64) get the router's refusal.
            for id in ["0", "99999999999999999999"] {
                let refused = try await client.send(.get, "/api/v1/projects/\(id)/issues/1")
                try expectEnvelope(refused, status: 404, code: "project_not_found")
                #expect(refused.text.contains("no project with id \(id)"), "\(refused.text)")
            }
            // Methods other than GET still go to the router.
            let delete = try await client.send(.delete, "/api/v1/projects/\(pid)/issues/1")
            #expect(delete.status != .ok, "\(delete.text)")
        }
    }

    /// The pre-routed read sits behind the router's middlewares: authentication and browser defence apply.
    @Test func thePreRoutedReadIsAuthenticatedLikeEveryRoute() async throws {
        let h = try AuthHarness(AuthPolicy(token: "boot", readOnly: false, identityMode: false))
        let p = try await h.store.addProject("alpha")
        _ = try await h.store.createIssue(projectId: p.id, CreateIssueRequest(title: "Secret", forceNew: true), actor: "alice")
        try await h.run { client in
            let path = "/api/v1/projects/\(p.id)/issues/1"
            try expectEnvelope(try await client.send(.get, path), status: 401, code: "auth_required")
            try expectEnvelope(try await client.send(.get, path, headers: bearer("wrong")), status: 403, code: "token_invalid")
            var origin = bearer("boot")
            origin[.origin] = "https://evil.example"
            try expectEnvelope(try await client.send(.get, path, headers: origin), status: 403, code: "origin_forbidden")
            let ok = try await client.send(.get, path, headers: bearer("boot"))
            #expect(ok.status == .ok, "\(ok.text)")
            #expect(ok.text.contains(#""title":"Secret""#))
        }
    }
}
