import Foundation
import GRDB
import Shared
import Testing

@testable import katad

@Suite("Store: links and ready")
struct StoreLinkTests {
    @Test func selfLinksAre400() async throws {
        let f = try await Fixture.make()
        let issue = try await f.create("Alpha")
        let before = try await f.snapshot()
        await expectKataError(status: 400, code: "validation", field: "blocks") { try await f.edit("1") { $0.blocks = ["1"] } }
        await expectKataError(status: 400, code: "validation", field: "blocked_by") { try await f.edit("1") { $0.blockedBy = ["#1"] } }
        await expectKataError(status: 400, code: "validation", field: "parent") { try await f.edit("1") { $0.parent = issue.shortId } }
        await expectKataError(status: 400, code: "validation", field: "related") { try await f.edit("1") { $0.related = [issue.uid] } }
        #expect(try await f.snapshot() == before)
    }

    @Test func blocksCyclesAre409() async throws {
        let f = try await Fixture.make()
        for t in ["One", "Two", "Three"] { try await f.create(t) }
        _ = try await f.edit("1") { $0.blocks = ["2"] }
        _ = try await f.edit("2") { $0.blocks = ["3"] }
        let before = try await f.snapshot()
        await expectKataError(status: 409, code: "link_cycle") { try await f.edit("2") { $0.blocks = ["1"] } }
        await expectKataError(status: 409, code: "link_cycle") { try await f.edit("3") { $0.blocks = ["1"] } }
        await expectKataError(status: 409, code: "link_cycle") { try await f.edit("1") { $0.blockedBy = ["3"] } }
        await expectKataError(status: 409, code: "link_cycle") { try await f.edit("1") { $0.blockedBy = ["2"] } }
        // A create that would close a cycle rolls back entirely.
        await expectKataError(status: 409, code: "link_cycle") { try await f.create("Four", blocks: ["1"], blockedBy: ["3"]) }
        #expect(try await f.snapshot() == before)
        // Not a cycle: a diamond.
        _ = try await f.edit("1") { $0.blocks = ["3"] }
        #expect(try await f.detail("3").links.blockedBy.map(\.number) == [1, 2])
    }

    @Test func parentCyclesAre409AndAnIssueHasOneParent() async throws {
        let f = try await Fixture.make()
        for t in ["Epic", "Story", "Task", "Other epic"] { try await f.create(t) }
        _ = try await f.edit("2") { $0.parent = "1" }
        _ = try await f.edit("3") { $0.parent = "2" }
        let before = try await f.snapshot()
        await expectKataError(status: 409, code: "link_cycle") { try await f.edit("1") { $0.parent = "2" } }
        await expectKataError(status: 409, code: "link_cycle") { try await f.edit("1") { $0.parent = "3" } }
        #expect(try await f.snapshot() == before)

        #expect(try await f.detail("1").links.children.map(\.number) == [2])
        #expect(try await f.detail("3").links.parent?.number == 2)
        // Setting another parent replaces the first.
        let moved = try await f.edit("3") { $0.parent = "4" }
        #expect(moved.event?.type == "issue.links_changed")
        #expect(try await f.detail("3").links.parent?.number == 4)
        #expect(try await f.detail("2").links.children.isEmpty)
        #expect(try await f.detail("4").links.children.map(\.number) == [3])
        let count = try await f.store.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM links l JOIN issues i ON i.id = l.from_issue_id WHERE l.kind = 'parent' AND i.number = 3")
        }
        #expect(count == 1)
    }

    /// Every list of links is in issue-number order, whatever order the links were made in, outgoing and
    /// incoming links of one kind mixed.
    @Test func linkListsAreInNumberOrder() async throws {
        let f = try await Fixture.make()
        for t in ["Epic", "Two", "Three", "Four", "Five"] { try await f.create(t) }
        for child in ["4", "2", "3"] { _ = try await f.edit(child) { $0.parent = "1" } }
        _ = try await f.edit("1") { $0.blocks = ["5", "3"] }
        _ = try await f.edit("4") { $0.related = ["1"] }
        _ = try await f.edit("1") { $0.related = ["2"] }
        let links = try await f.detail("1").links
        #expect(links.children.map(\.number) == [2, 3, 4])
        #expect(links.blocks.map(\.number) == [3, 5])
        #expect(links.related.map(\.number) == [2, 4])
        #expect(try await f.detail("5").links.blockedBy.map(\.number) == [1])
    }

    @Test func relatedIsSymmetricAndStoredOnce() async throws {
        let f = try await Fixture.make()
        try await f.create("One")
        try await f.create("Two")
        let added = try await f.edit("2") { $0.related = ["1"] }
        #expect(added.changed)
        #expect(try await f.detail("1").links.related.map(\.number) == [2])
        #expect(try await f.detail("2").links.related.map(\.number) == [1])
        let again = try await f.edit("1") { $0.related = ["2"] }
        #expect(again.changed == false && again.event == nil)
        let links = try await f.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM links") }
        #expect(links == 1)
        // Either side can remove it.
        _ = try await f.edit("1") { $0.removeRelated = ["2"] }
        #expect(try await f.detail("2").links.related.isEmpty)
    }

    @Test func linksStayInOneProjectAndAvoidDeletedIssues() async throws {
        let f = try await Fixture.make()
        let other = try await f.store.addProject("beta")
        let foreign = try await f.create("Foreign", project: other.id)
        try await f.create("One")
        try await f.create("Two")
        _ = try await f.store.softDelete(projectId: f.pid, ref: "2", confirm: "DELETE #2", actor: "a")
        let before = try await f.snapshot()
        await expectKataError(status: 404, code: "issue_not_found") { try await f.edit("1") { $0.blocks = [foreign.uid] } }
        await expectKataError(status: 409, code: "conflict") { try await f.edit("1") { $0.related = ["2"] } }
        #expect(try await f.snapshot() == before)
    }

    @Test func createCanLinkAtOnce() async throws {
        let f = try await Fixture.make()
        try await f.create("Epic")
        try await f.create("Blocker")
        try await f.create("Downstream")
        let issue = try await f.create("Child", parent: "1", blocks: ["3"], blockedBy: ["2"], related: ["#3"])
        let links = try await f.detail("\(issue.number)").links
        #expect(links.parent?.number == 1)
        #expect(links.blocks.map(\.number) == [3])
        #expect(links.blockedBy.map(\.number) == [2])
        #expect(links.related.map(\.number) == [3])
        // One event: the create itself.
        #expect(try await f.detail("4", events: true).events?.map(\.type) == ["issue.created"])
    }

    @Test func readyExcludesIssuesWithAnOpenBlocker() async throws {
        let f = try await Fixture.make()
        for t in ["One", "Two", "Three", "Four", "Five"] { try await f.create(t) }
        _ = try await f.edit("1") { $0.blocks = ["2"] }
        _ = try await f.edit("2") { $0.blocks = ["3"] }
        _ = try await f.store.close(projectId: f.pid, ref: "5", reason: nil, message: nil, actor: "a")
        func ready() async throws -> [Int64] { try await f.store.ready(projectIds: [f.pid], limit: 50).map(\.number) }
        #expect(try await ready() == [1, 4])  // oldest first, closed #5 excluded
        _ = try await f.store.close(projectId: f.pid, ref: "1", reason: nil, message: nil, actor: "a")
        #expect(try await ready() == [2, 4])
        _ = try await f.store.reopen(projectId: f.pid, ref: "1", actor: "a")
        #expect(try await ready() == [1, 4])
        // A closed blocker no longer blocks; a parent/related link never does.
        _ = try await f.edit("4") { $0.parent = "1"; $0.related = ["2"] }
        #expect(try await ready() == [1, 4])
        #expect(try await f.store.ready(projectIds: [f.pid], limit: 1).map(\.number) == [1])
    }
}

@Suite("Store: search")
struct StoreSearchTests {
    static func seeded() async throws -> Fixture {
        let f = try await Fixture.make()
        try await f.create("Database migration fails on startup", body: "The stack trace is attached.")
        try await f.create("Update the documentation", body: "Mention the new guide for upgrades and the migration step.")
        try await f.create("Unrelated cleanup", body: "Nothing about that here.")
        _ = try await f.store.comment(projectId: f.pid, ref: "3", body: "Oddly, the migration broke this too.", actor: "bob")
        try await f.create("Colour of the button", body: "Make it blue.")
        return f
    }

    @Test func ranksATitleMatchFirstAndSearchesBodiesAndComments() async throws {
        let f = try await Self.seeded()
        let hits = try await f.store.search(projectIds: [f.pid], query: "migration", limit: 20)
        #expect(hits.first?.issue.number == 1)
        #expect(Set(hits.map(\.issue.number)) == [1, 2, 3])
        #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >), "best first, higher score is better")
        #expect(hits[0].score > hits[1].score)
        #expect(try await f.store.search(projectIds: [f.pid], query: "blue", limit: 20).map(\.issue.number) == [4])
        #expect(try await f.store.search(projectIds: [f.pid], query: "migration", limit: 1).count == 1)
    }

    @Test func excludesSoftDeletedAndOtherProjects() async throws {
        let f = try await Self.seeded()
        let other = try await f.store.addProject("beta")
        try await f.create("Migration of the other project", project: other.id)
        _ = try await f.store.softDelete(projectId: f.pid, ref: "1", confirm: "DELETE #1", actor: "a")
        let hits = try await f.store.search(projectIds: [f.pid], query: "migration", limit: 20)
        #expect(Set(hits.map(\.issue.number)) == [2, 3])
        let everywhere = try await f.store.search(projectIds: [], query: "migration", limit: 20)
        #expect(Set(everywhere.map(\.issue.projectName)) == ["alpha", "beta"])
        #expect(!everywhere.contains { $0.issue.number == 1 && $0.issue.projectName == "alpha" })
        _ = try await f.store.restore(projectId: f.pid, ref: "1", actor: "a")
        #expect(try await f.store.search(projectIds: [f.pid], query: "migration", limit: 20).first?.issue.number == 1)
    }

    @Test func editsAreReindexed() async throws {
        let f = try await Self.seeded()
        _ = try await f.edit("4") { $0.title = "Colour of the zeppelin" }
        #expect(try await f.store.search(projectIds: [f.pid], query: "zeppelin", limit: 5).map(\.issue.number) == [4])
        #expect(try await f.store.search(projectIds: [f.pid], query: "button", limit: 5).isEmpty)
    }

    @Test(arguments: ["\"unterminated", "(open", "AND", "migration OR", "nosuchcolumn:word", "NEAR(", "\"a\" + ", "*"])
    func badSyntaxIs400NotADatabaseError(query: String) async throws {
        let f = try await Self.seeded()
        await expectKataError(status: 400, code: "validation", field: "q") {
            try await f.store.search(projectIds: [f.pid], query: query, limit: 20)
        }
    }

    @Test func blankQueryIs400() async throws {
        let f = try await Self.seeded()
        await expectKataError(status: 400, code: "validation", field: "q") { try await f.store.search(projectIds: [], query: "  ", limit: 5) }
    }
}

@Suite("Store: purge and cursors")
struct StorePurgeTests {
    @Test func purgeRemovesEverythingAndWritesThePurgeLog() async throws {
        let f = try await Fixture.make()
        let other = try await f.store.addProject("beta")
        let target = try await f.create("Alpha")
        try await f.create("Beta")
        try await f.create("Foreign", project: other.id)
        _ = try await f.store.addLabels(projectId: f.pid, ref: "1", labels: ["bug"], actor: "a")
        _ = try await f.store.comment(projectId: f.pid, ref: "1", body: "a unique zebra comment", actor: "a")
        _ = try await f.edit("1") { $0.blocks = ["2"] }
        _ = try await f.edit("2") { $0.related = ["1"] }  // an event on #2 about #1 stays; it belongs to #2
        let newestBefore = try await f.allEvents().map(\.id).max() ?? 0
        let commitsBefore = f.log.count

        let answer = try await f.store.purge(projectId: f.pid, ref: "1", confirm: "PURGE #1", reason: "spam", actor: "admin")
        let reserved = answer.purge.resetCursor
        #expect(reserved > newestBefore)
        #expect(answer.issue.uid == target.uid)
        #expect(answer.purge.number == 1 && answer.purge.title == "Alpha" && answer.purge.author == "alice")
        #expect(answer.purge.commentCount == 1)
        #expect(answer.purge.eventCount == 4)  // created, labeled, commented, links_changed
        #expect(answer.purge.actor == "admin" && answer.purge.reason == "spam")

        let counts = try f.store.writer.read { db in
            (
                issues: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issues WHERE uid = ?", arguments: [target.uid]),
                comments: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM comments"),
                labels: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issue_labels"),
                links: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM links"),
                events: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE issue_uid = ?", arguments: [target.uid]),
                log: try Row.fetchAll(db, sql: "SELECT * FROM purge_log")
            )
        }
        #expect(counts.issues == 0 && counts.comments == 0 && counts.labels == 0 && counts.links == 0 && counts.events == 0)
        #expect(counts.log.count == 1)
        if let row = counts.log.first {
            #expect(row["issue_uid"] as String? == target.uid)
            #expect(row["number"] as Int64? == 1)
            #expect(row["title"] as String? == "Alpha")
            #expect(row["comment_count"] as Int? == 1)
            #expect(row["label_count"] as Int? == 1)
            #expect(row["link_count"] as Int? == 2)
            #expect(row["event_count"] as Int? == 4)
            #expect(row["actor"] as String? == "admin")
            #expect(row["reason"] as String? == "spam")
            #expect(row["reset_cursor"] as Int64? == reserved)
            #expect(Timestamp.parse(row["purged_at"] as String? ?? "") != nil)
        }
        await expectKataError(status: 404, code: "issue_not_found") { try await f.detail("1") }
        await expectKataError(status: 404, code: "issue_not_found") { try await f.detail(target.uid) }
        let survivor = try await f.detail("2")
        #expect(survivor.links.blockedBy.isEmpty && survivor.links.related.isEmpty)
        #expect(try await f.store.search(projectIds: [], query: "zebra", limit: 5).isEmpty)
        #expect(try await f.store.listIssues(IssueFilter(status: .all)).issues.map(\.title).sorted() == ["Beta", "Foreign"])

        // Broadcast: one commit with the purge notice.
        #expect(f.log.count == commitsBefore + 1)
        #expect(f.log.purges == [PurgeNotice(projectId: f.pid, resetCursor: reserved)])
    }

    @Test func pollsBelowTheReservedCursorMustReset() async throws {
        let f = try await Fixture.make()
        let other = try await f.store.addProject("beta")
        try await f.create("Alpha")
        try await f.create("Beta")
        try await f.create("Foreign", project: other.id)
        let answer = try await f.store.purge(projectId: f.pid, ref: "1", confirm: "PURGE #1", reason: nil, actor: "admin")
        let reserved = answer.purge.resetCursor

        for cursor in [Int64(0), 1, reserved - 1] {
            let poll = try await f.store.pollEvents(projectId: f.pid, afterId: cursor, limit: 100)
            #expect(poll.resetRequired == true, "cursor \(cursor)")
            #expect(poll.nextAfterId == reserved)
            #expect(poll.events.isEmpty)
            let global = try await f.store.pollEvents(projectId: nil, afterId: cursor, limit: 100)
            #expect(global.resetRequired == true && global.nextAfterId == reserved)
        }
        let atCursor = try await f.store.pollEvents(projectId: f.pid, afterId: reserved, limit: 100)
        #expect(atCursor.resetRequired == false)
        #expect(atCursor.events.isEmpty)
        #expect(atCursor.nextAfterId == reserved)

        // Another project's readers are not reset by this purge.
        let beta = try await f.store.pollEvents(projectId: other.id, afterId: 0, limit: 100)
        #expect(beta.resetRequired == false)
        #expect(beta.events.map(\.type) == ["issue.created"])

        // New events come after the reserved cursor.
        let next = try await f.store.createIssue(projectId: f.pid, CreateIssueRequest(title: "Gamma", forceNew: true), actor: "a")
        let nextId = try #require(next.event?.id)
        #expect(nextId > reserved)
        let after = try await f.store.pollEvents(projectId: f.pid, afterId: reserved, limit: 100)
        #expect(after.resetRequired == false)
        #expect(after.events.map(\.id) == [nextId])
        #expect(after.nextAfterId == nextId)
    }

    @Test func pollPagesThroughEventsInOrder() async throws {
        let f = try await Fixture.make()
        for i in 1...5 { try await f.create("Issue \(i) of five") }
        var cursor: Int64 = 0
        var seen: [Int64] = []
        while true {
            let page = try await f.store.pollEvents(projectId: f.pid, afterId: cursor, limit: 2)
            #expect(page.events.count <= 2)
            if page.events.isEmpty {
                #expect(page.nextAfterId == cursor)
                break
            }
            seen += page.events.map(\.id)
            cursor = page.nextAfterId
            #expect(cursor == page.events.last?.id)
        }
        #expect(seen.count == 5)
        #expect(seen == seen.sorted() && Set(seen).count == 5)
        await expectKataError(status: 404, code: "project_not_found") { try await f.store.pollEvents(projectId: 999, afterId: 0, limit: 5) }
    }
}

@Suite("Store: lists, projects and hidden projects")
struct StoreListTests {
    @Test func paginationGoesNewestActivityFirstWithoutRepeats() async throws {
        let f = try await Fixture.make()
        for i in 1...7 { try await f.create("Issue \(i) of seven") }
        // Timestamps count milliseconds: a bump in the same millisecond as #7's creation would tie with it.
        try await Task.sleep(for: .milliseconds(3))
        _ = try await f.store.comment(projectId: f.pid, ref: "3", body: "bump", actor: "a")
        var filter = IssueFilter(projectIds: [f.pid], limit: 3)
        var pages: [[Int64]] = []
        while true {
            let page = try await f.store.listIssues(filter)
            pages.append(page.issues.map(\.number))
            guard let next = page.nextCursor else { break }
            filter.cursor = try ListCursor(parsing: next)
            #expect(pages.count < 10)
        }
        #expect(pages == [[3, 7, 6], [5, 4, 2], [1]])
        // An exact multiple of the page size ends without an empty page.
        let six = try await f.store.listIssues(IssueFilter(projectIds: [f.pid], limit: 7))
        #expect(six.issues.count == 7 && six.nextCursor == nil)
    }

    @Test func listFilters() async throws {
        let f = try await Fixture.make()
        try await f.create("One", labels: ["bug", "ui"], owner: "carol")
        try await f.create("Two", labels: ["bug"])
        try await f.create("Three", labels: ["ui"], owner: "carol")
        _ = try await f.store.close(projectId: f.pid, ref: "2", reason: nil, message: nil, actor: "a")
        func numbers(_ change: (inout IssueFilter) -> Void) async throws -> [Int64] {
            var filter = IssueFilter(projectIds: [f.pid])
            change(&filter)
            return try await f.store.listIssues(filter).issues.map(\.number).sorted()
        }
        #expect(try await numbers { _ in } == [1, 3])
        #expect(try await numbers { $0.status = .closed } == [2])
        #expect(try await numbers { $0.status = .all } == [1, 2, 3])
        #expect(try await numbers { $0.status = .all; $0.labels = ["bug"] } == [1, 2])
        #expect(try await numbers { $0.labels = ["bug", "ui"] } == [1])
        #expect(try await numbers { $0.owner = "carol" } == [1, 3])
        #expect(try await numbers { $0.author = "alice"; $0.status = .all } == [1, 2, 3])
        #expect(try await numbers { $0.author = "nobody" } == [])
    }

    @Test func badCursorsAreValidationErrors() async throws {
        for text in ["abc", "1.2.3", "-1.5", "12", ".", "1.x"] {
            await expectKataError(status: 400, code: "validation", field: "cursor") { try ListCursor(parsing: text) }
        }
        let c = ListCursor(updatedAt: "2024-01-01T00:00:00.123Z", id: 42)
        #expect(try ListCursor(parsing: c.text) == c)
    }

    @Test func hiddenProjectsNeverShow() async throws {
        let f = try await Fixture.make()
        let hidden = try await f.store.addProject("system")
        let secret = try await f.create("Secret token minted", project: hidden.id)
        try await f.create("Visible work")
        try await f.store.writer.write { db in try db.execute(sql: "UPDATE projects SET hidden = 1 WHERE id = ?", arguments: [hidden.id]) }

        #expect(try await f.store.listProjects().map(\.name) == ["alpha"])
        await expectKataError(status: 404, code: "project_not_found") { try await f.store.project(id: hidden.id) }
        await expectKataError(status: 404, code: "project_not_found") {
            try await f.store.resolveProject(ResolveProjectRequest(name: "system", aliasIdentity: nil))
        }
        #expect(try await f.store.listIssues(IssueFilter(status: .all)).issues.map(\.title) == ["Visible work"])
        #expect(try await f.store.ready(projectIds: [], limit: 50).map(\.title) == ["Visible work"])
        #expect(try await f.store.search(projectIds: [], query: "secret", limit: 5).isEmpty)
        let events = try await f.store.pollEvents(projectId: nil, afterId: 0, limit: 100).events
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0.projectId != hidden.id })
        await expectKataError(status: 404, code: "project_not_found") { try await f.store.pollEvents(projectId: hidden.id, afterId: 0, limit: 5) }
        await expectKataError(status: 404, code: "issue_not_found") {
            try await f.store.issueDetailAnywhere(ref: secret.uid, comments: false, events: false)
        }
        await expectKataError(status: 404, code: "issue_not_found") {
            try await f.store.issueDetailAnywhere(ref: secret.shortId, comments: false, events: false)
        }
        await expectKataError(status: 404, code: "project_not_found") { try await f.create("Sneaky", project: hidden.id) }
        await expectKataError(status: 404, code: "project_not_found") {
            try await f.store.issueDetail(projectId: hidden.id, ref: "\(secret.number)", comments: false, events: false)
        }
    }

    /// `#N` is read in one query; a missing number or project still gets its own error.
    @Test func anIssueByNumberAndItsErrors() async throws {
        let f = try await Fixture.make()
        let one = try await f.create("First", labels: ["b", "a"])
        #expect(try await f.detail("#\(one.number)").issue.labels == ["a", "b"])
        #expect(try await f.detail("\(one.number)").issue.uid == one.uid)
        await expectKataError(status: 404, code: "issue_not_found") { try await f.detail("99") }
        await expectKataError(status: 404, code: "project_not_found") {
            try await f.store.issueDetail(projectId: 999, ref: "1", comments: false, events: false)
        }
    }

    @Test func theSystemProjectIsHiddenAndItsNameCannotBeClaimed() async throws {
        let f = try await Fixture.make()
        let system = try f.store.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name FROM projects WHERE hidden = 1")
        }
        // The auth events' project exists from the first migration on.
        let systemId: Int64 = try #require(system?["id"])
        let systemName: String = try #require(system?["name"])
        #expect(try await f.store.listProjects().map(\.name) == ["alpha"])
        await expectKataError(status: 404, code: "project_not_found") { try await f.store.project(id: systemId) }
        await expectKataError(status: 404, code: "project_not_found") {
            try await f.store.resolveProject(ResolveProjectRequest(name: systemName, aliasIdentity: nil))
        }
        // Binding a workspace to the hidden project's name must be a clean 4xx, never a database error.
        do {
            _ = try await f.store.initProject(
                InitProjectRequest(
                    name: systemName, aliasIdentity: "local:///w/sneaky", aliasKind: nil, lastSeenPath: nil, replace: nil,
                    reassign: nil, actor: nil))
            Testing.Issue.record("a workspace was bound to the hidden project")
        } catch let e as KataError {
            #expect((400..<500).contains(e.envelope.status))
        }
    }

    @Test func initProjectIsIdempotentAndGuardsAliases() async throws {
        let store = try Store.inMemory()
        func req(_ name: String?, _ alias: String, reassign: Bool? = nil) -> InitProjectRequest {
            InitProjectRequest(name: name, aliasIdentity: alias, aliasKind: nil, lastSeenPath: "/w", replace: nil, reassign: reassign, actor: nil)
        }
        let first = try await store.initProject(req("product", "github.com/org/repo"))
        #expect(first.created == true)
        #expect(first.project.name == "product" && first.project.nextIssueNumber == 1)
        #expect(first.project.aliases?.map(\.aliasIdentity) == ["github.com/org/repo"])
        #expect(first.project.aliases?.first?.aliasKind == "git")
        let again = try await store.initProject(req("product", "github.com/org/repo"))
        #expect(again.created == false && again.project.id == first.project.id)
        let byAlias = try await store.initProject(req(nil, "github.com/org/repo"))
        #expect(byAlias.project.id == first.project.id)
        await expectKataError(status: 409, code: "alias_conflict") { try await store.initProject(req("other", "github.com/org/repo")) }
        let moved = try await store.initProject(req("other", "github.com/org/repo", reassign: true))
        #expect(moved.project.name == "other")
        #expect(try await store.resolveProject(ResolveProjectRequest(name: nil, aliasIdentity: "github.com/org/repo")).name == "other")
        // A second workspace of the same project.
        let local = try await store.initProject(req("product", "local:///home/me/product"))
        #expect(local.project.id == first.project.id)
        #expect(local.project.aliases?.first { $0.aliasIdentity == "local:///home/me/product" }?.aliasKind == "local")

        await expectKataError(status: 404, code: "project_not_initialized") {
            try await store.resolveProject(ResolveProjectRequest(name: nil, aliasIdentity: "github.com/nobody/none"))
        }
        await expectKataError(status: 404, code: "project_not_found") {
            try await store.resolveProject(ResolveProjectRequest(name: "missing", aliasIdentity: nil))
        }
        await expectKataError(status: 400, code: "validation", field: "name") { try await store.initProject(req("bad name", "x/y/z")) }
        await expectKataError(status: 400, code: "validation", field: "name") { try await store.initProject(req("  ", "x/y/z")) }
        await expectKataError(status: 400, code: "validation", field: "alias_identity") { try await store.initProject(req("ok", " ")) }
        await expectKataError(status: 400, code: "validation", field: "name") { try await store.initProject(req(nil, "x/y/unbound")) }
    }

    @Test func projectCountsSkipDeletedIssues() async throws {
        let f = try await Fixture.make()
        for t in ["One", "Two", "Three", "Four"] { try await f.create(t) }
        _ = try await f.store.close(projectId: f.pid, ref: "1", reason: nil, message: nil, actor: "a")
        _ = try await f.store.softDelete(projectId: f.pid, ref: "2", confirm: "DELETE #2", actor: "a")
        let p = try await f.store.project(id: f.pid)
        #expect(p.counts == IssueCounts(open: 2, closed: 1))
        #expect(p.nextIssueNumber == 5)
        // Resolving (what every kata command does first) skips the count: it reads every issue.
        let resolved = try await f.store.resolveProject(ResolveProjectRequest(name: p.name, aliasIdentity: nil))
        #expect(resolved.id == f.pid && resolved.counts == nil)
    }
}

@Suite("Schema: activity indexes")
struct ActivityIndexTests {
    /// The descending flag of each key column of `index` (`PRAGMA index_xinfo`).
    static func descending(_ db: Database, _ index: String) throws -> [Bool] {
        try Row.fetchAll(db, sql: "PRAGMA index_xinfo(\(index))").filter { ($0["key"] as Int) == 1 && ($0["cid"] as Int) >= 0 }.map { $0["desc"] as Int == 1 }
    }

    @Test func migrationSixMakesBothActivityIndexesAscending() throws {
        let queue = try DatabaseQueue()
        queue.inDatabase { db in db.add(function: Migrations.reverseFunction) }
        func flags() throws -> [[Bool]] {
            try queue.read { db in try [Self.descending(db, "issues_project_activity"), Self.descending(db, "issues_activity")] }
        }
        try Migrations.migrator.migrate(queue, upTo: "v5-fts-usermerge")
        #expect(try flags() == [[false, true, true], [true, true]])
        try Migrations.migrator.migrate(queue)
        #expect(try flags() == [[false, false, false], [false, false]])
    }

    /// Newest activity first is the ascending index read backwards: no sort of the project's issues.
    @Test func theNewestFirstListsReadTheIndexWithoutSorting() async throws {
        let f = try await Fixture.make()
        for t in ["One", "Two", "Three"] { try await f.create(t) }
        let plans = try await f.store.writer.read { db in
            try [
                "\(IssueRow.select) WHERE i.deleted_at IS NULL AND p.hidden = 0 AND i.project_id IN (?) AND i.status = ? ORDER BY i.updated_at DESC, i.id DESC LIMIT ?",
                "\(IssueRow.select) WHERE i.deleted_at IS NULL AND p.hidden = 0 AND i.status = ? ORDER BY i.updated_at DESC, i.id DESC LIMIT ?",
            ].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(sql)", arguments: sql.contains("IN (?)") ? [1, "open", 51] : ["open", 51])
                    .map { $0["detail"] as String }.joined(separator: "; ")
            }
        }
        #expect(plans[0].contains("issues_project_activity") && !plans[0].contains("TEMP B-TREE"), "\(plans[0])")
        #expect(plans[1].contains("issues_activity") && !plans[1].contains("TEMP B-TREE"), "\(plans[1])")
    }
}
