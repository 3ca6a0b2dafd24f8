import Foundation
import GRDB
import Shared
import Synchronization
import Testing

@testable import katad

/// Everything `onCommit` was called with, in order.
final class CommitLog: Sendable {
    private let calls = Mutex<[([Shared.Event], PurgeNotice?)]>([])

    func record(_ events: [Shared.Event], _ purge: PurgeNotice?) {
        calls.withLock { $0.append((events, purge)) }
    }

    var count: Int { calls.withLock { $0.count } }
    var events: [Shared.Event] { calls.withLock { $0.flatMap(\.0) } }
    var purges: [PurgeNotice] { calls.withLock { $0.compactMap(\.1) } }
    var batches: [[Shared.Event]] { calls.withLock { $0.map(\.0) } }
}

/// A migrated in-memory store with one project, recording every commit.
struct Fixture {
    let store: Store
    let log: CommitLog
    let project: Project

    static func make(projectName: String = "alpha") async throws -> Fixture {
        let log = CommitLog()
        let store = try Store.inMemory(onCommit: { events, purge in log.record(events, purge) })
        let project = try await store.addProject(projectName)
        return Fixture(store: store, log: log, project: project)
    }

    var pid: Int64 { project.id }

    /// Creates an issue (look-alike check off unless asked), as `alice`.
    @discardableResult
    func create(
        _ title: String, body: String? = nil, labels: [String]? = nil, owner: String? = nil, forceNew: Bool = true,
        key: String? = nil, parent: String? = nil, blocks: [String]? = nil, blockedBy: [String]? = nil,
        related: [String]? = nil, project: Int64? = nil
    ) async throws -> Shared.Issue {
        try await store.createIssue(
            projectId: project ?? pid,
            CreateIssueRequest(
                title: title, body: body, labels: labels, owner: owner, parent: parent, blocks: blocks, blockedBy: blockedBy,
                related: related, forceNew: forceNew, idempotencyKey: key),
            actor: "alice"
        ).issue
    }

    /// Creating `title` (and `body`) with the look-alike check on is refused with 409 `duplicate_candidates`
    /// naming `original`; `why` says why it is a look-alike.
    func expectRefusedAsLookalike(
        _ title: String, body: String? = nil, as original: Shared.Issue, _ why: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await create(title, body: body, forceNew: false)
            Issue.record("the look-alike \"\(title)\" (\(why)) was created", sourceLocation: sourceLocation)
        } catch let e as KataError {
            #expect(e.envelope.error.code == "duplicate_candidates", sourceLocation: sourceLocation)
            #expect(e.envelope.error.message.contains("#\(original.number)"), "\(e.envelope.error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    func detail(_ ref: String, comments: Bool = false, events: Bool = false) async throws -> IssueDetailAnswer {
        try await store.issueDetail(projectId: pid, ref: ref, comments: comments, events: events)
    }

    func edit(_ ref: String, _ change: (inout EditIssueRequest) -> Void) async throws -> MutationAnswer {
        var req = EditIssueRequest()
        change(&req)
        return try await store.editIssue(projectId: pid, ref: ref, req, actor: "bob")
    }

    /// A snapshot of what a failed write must leave untouched.
    struct Snapshot: Equatable {
        var events: Int
        var issues: Int
        var comments: Int
        var labels: Int
        var links: Int
        var nextNumbers: [Int64]
        var issueRows: [String]
    }

    func snapshot() async throws -> Snapshot {
        try await store.writer.read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
            return Snapshot(
                events: try count("events"), issues: try count("issues"), comments: try count("comments"),
                labels: try count("issue_labels"), links: try count("links"),
                nextNumbers: try Int64.fetchAll(db, sql: "SELECT next_issue_number FROM projects ORDER BY id"),
                issueRows: try String.fetchAll(
                    db,
                    sql: """
                        SELECT number || '|' || title || '|' || body || '|' || status || '|' || COALESCE(owner, '-') || '|' || updated_at
                        FROM issues ORDER BY id
                        """))
        }
    }

    func eventCount() async throws -> Int {
        try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    func allEvents() async throws -> [Shared.Event] {
        try await store.pollEvents(projectId: nil, afterId: 0, limit: 10_000).events
    }
}

extension Store {
    func addProject(_ name: String) async throws -> Project {
        try await initProject(
            InitProjectRequest(
                name: name, aliasIdentity: "local:///work/\(name)-\(ULID().string)", aliasKind: "local", lastSeenPath: nil,
                replace: nil, reassign: nil, actor: nil)
        ).project
    }
}

/// Runs `body` and checks that it fails with a `KataError` of `status` and `code` (and names `field`, when given).
@discardableResult
func expectKataError<T>(
    status: Int, code: String, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> KataError? {
    do {
        let value = try await body()
        Testing.Issue.record("expected \(status) \(code), got success: \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as KataError {
        #expect(error.envelope.status == status, "status; message: \(error.envelope.error.message)", sourceLocation: sourceLocation)
        #expect(error.envelope.error.code == code, "code; message: \(error.envelope.error.message)", sourceLocation: sourceLocation)
        #expect(!error.envelope.error.message.isEmpty, sourceLocation: sourceLocation)
        if let field {
            #expect(
                error.envelope.error.message.contains(field), "message should name \(field): \(error.envelope.error.message)",
                sourceLocation: sourceLocation)
            #expect(error.envelope.error.data?["field"] == .string(field), "data.field", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Testing.Issue.record("expected KataError \(status) \(code), got \(String(reflecting: error))", sourceLocation: sourceLocation)
        return nil
    }
}

/// Waits (up to about two seconds) for `condition`.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<200 {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
