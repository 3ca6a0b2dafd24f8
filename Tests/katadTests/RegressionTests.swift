import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Shared
import Testing

@testable import katad

/// Findings of the hostile-input runs, each kept as a test (docs/reliability.md lists them).
@Suite("Regressions from hostile inputs")
struct RegressionTests {
    /// Thousands of `label=` parameters built a query deeper than SQLite allows: a 500. Now at most
    /// `IssueFilter.maxLabels` distinct labels, else 400 naming `label`.
    @Test func aListFilterWithThousandsOfLabelsIsA400() async throws {
        try await HTTPHarness().run { client in
            let pid = try await makeProject(client)
            let many = (0..<2000).map { "label=l\($0)" }.joined(separator: "&")
            let r = try await client.send(.get, "/api/v1/projects/\(pid)/issues?\(many)")
            try expectEnvelope(r, status: 400, code: "validation")
            #expect(r.text.contains(#""field":"label""#), "\(r.text)")
            let repeated = (0..<2000).map { _ in "label=bug" }.joined(separator: "&")
            #expect(try await client.send(.get, "/api/v1/projects/\(pid)/issues?\(repeated)").status == .ok, "duplicates count once")
            let cross = try await client.send(.get, "/api/v1/issues?\(many)")
            try expectEnvelope(cross, status: 400, code: "validation")
        }
    }
}
