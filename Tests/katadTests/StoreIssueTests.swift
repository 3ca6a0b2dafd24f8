import Foundation
import GRDB
import Shared
import Testing

@testable import katad

/// Gives each issue a uid ending in `tail` and the short id `shortId`, and keeps
/// the derived `uid_rev` true (uids never change in the product).
private func setTails(_ f: Fixture, _ changes: [(issue: Shared.Issue, tail: String, shortId: String)]) async throws {
    try await f.store.writer.write { db in
        for c in changes {
            try db.execute(
                sql: "UPDATE issues SET uid = ?, short_id = ? WHERE id = ?",
                arguments: [String(c.issue.uid.prefix(26 - c.tail.count)) + c.tail, c.shortId, c.issue.id])
        }
        try db.execute(sql: "UPDATE issues SET uid_rev = kata_reverse(uid)")
    }
}

@Suite("Store: numbers, short ids, references")
struct StoreNumberingTests {
    @Test func numbersAreDensePerProjectFromOne() async throws {
        let f = try await Fixture.make()
        let other = try await f.store.addProject("beta")
        let a = try await f.create("First thing")
        let b = try await f.create("Second thing")
        let x = try await f.create("Other project thing", project: other.id)
        let c = try await f.create("Third thing")
        #expect([a.number, b.number, c.number] == [1, 2, 3])
        #expect(x.number == 1)
        #expect(a.projectId == f.pid && x.projectId == other.id)
        #expect(a.projectName == "alpha" && x.projectName == "beta")
    }

    @Test func numbersAreNeverReusedAfterPurge() async throws {
        let f = try await Fixture.make()
        try await f.create("One")
        try await f.create("Two")
        try await f.create("Three")
        _ = try await f.store.purge(projectId: f.pid, ref: "3", confirm: "PURGE #3", reason: "test", actor: "admin")
        _ = try await f.store.purge(projectId: f.pid, ref: "2", confirm: "PURGE #2", reason: nil, actor: "admin")
        let next = try await f.create("Four")
        #expect(next.number == 4)
    }

    @Test func aFailedCreateDoesNotConsumeANumber() async throws {
        let f = try await Fixture.make()
        try await f.create("One")
        let before = try await f.snapshot()
        // The link target is resolved after the number is taken, inside the transaction: it must roll back.
        await expectKataError(status: 404, code: "issue_not_found") { try await f.create("Two", blocks: ["99"]) }
        #expect(try await f.snapshot() == before)
        #expect(f.log.count == 1)  // only the first create was broadcast
        #expect(try await f.create("Two").number == 2)
    }

    @Test func shortIdIsTheLowercasedTailOfTheULID() async throws {
        let f = try await Fixture.make()
        for i in 0..<20 {
            let issue = try await f.create("Issue number \(i) of many")
            #expect(ULID.isValid(issue.uid))
            #expect(issue.uid == issue.uid.uppercased())
            let tail4 = String(issue.uid.suffix(4)).lowercased()
            if tail4.allSatisfy(\.isNumber) {
                #expect(issue.shortId.count > 4 && issue.uid.lowercased().hasSuffix(issue.shortId), "\(issue.uid) -> \(issue.shortId)")
            } else {
                #expect(issue.shortId == tail4, "\(issue.uid) -> \(issue.shortId)")
            }
        }
    }

    /// A short id of digits only would read as an issue number (`kata show 8002`): the tail grows until
    /// it has a letter. (Found when a test's random ULID ended in 8002.)
    @Test func aShortIdIsNeverAllDigits() async throws {
        let f = try await Fixture.make()
        let uid = "01M8V6959C4K5YCBTMJFNA8002"
        let short = try await f.store.writer.read { db in try Store.shortId(db, projectId: f.pid, uid: uid) }
        #expect(short == "a8002")
        let digits = "01M8V6959C4K5YCBTMJF123456"
        #expect(try await f.store.writer.read { db in try Store.shortId(db, projectId: f.pid, uid: digits) } == "f123456")
    }

    @Test func shortIdGrowsOnlyOnAClashWithinTheProject() async throws {
        let f = try await Fixture.make()
        let other = try await f.store.addProject("beta")
        // A tail of four digits would grow anyway (see aShortIdIsNeverAllDigits): about 1 ULID in 100.
        var existing = try await f.create("Existing")
        while existing.uid.suffix(4).allSatisfy(\.isNumber) { existing = try await f.create("Existing \(existing.number + 1)") }
        let tail4 = String(existing.uid.suffix(4))
        // A ULID sharing the last four characters but not the fifth-from-last.
        let fifth: Character = existing.uid.suffix(5).first == "0" ? "1" : "0"
        let clashing = "01HZZZZZZZZZZZZZZZZZZZZZ".prefix(21) + String(fifth) + tail4
        #expect(clashing.count == 26)
        #expect(ULID.isValid(String(clashing)))
        let pid = f.pid
        let inSame = try await f.store.writer.read { db in try Store.shortId(db, projectId: pid, uid: String(clashing)) }
        #expect(inSame == String(clashing.suffix(5)).lowercased())
        let inOther = try await f.store.writer.read { db in try Store.shortId(db, projectId: other.id, uid: String(clashing)) }
        #expect(inOther == tail4.lowercased())
        // No clash at all: four characters (unless the tail is four digits, about 1 ULID in 100).
        var candidate = ULID().string
        while candidate.suffix(4).allSatisfy(\.isNumber) { candidate = ULID().string }
        let fresh = candidate
        let plain = try await f.store.writer.read { db in try Store.shortId(db, projectId: other.id, uid: fresh) }
        #expect(plain == String(fresh.suffix(4)).lowercased())
    }

    @Test func everyReferenceFormResolves() async throws {
        let f = try await Fixture.make()
        try await f.create("Decoy one")
        let issue = try await f.create("The target")
        try await f.create("Decoy two")
        for ref in ["2", "#2", " 2 ", issue.shortId, issue.shortId.uppercased(), issue.uid, issue.uid.lowercased()] {
            let found = try await f.detail(ref)
            #expect(found.issue.uid == issue.uid, "ref \(ref.debugDescription)")
        }
        // By ULID or short id across projects.
        #expect(try await f.store.issueDetailAnywhere(ref: issue.uid, comments: false, events: false).issue.uid == issue.uid)
        #expect(try await f.store.issueDetailAnywhere(ref: issue.shortId, comments: false, events: false).issue.uid == issue.uid)
    }

    @Test func unknownReferencesAre404AndGarbageIs400() async throws {
        let f = try await Fixture.make()
        try await f.create("Only one")
        await expectKataError(status: 404, code: "issue_not_found") { try await f.detail("99") }
        await expectKataError(status: 404, code: "issue_not_found") { try await f.detail("#42") }
        await expectKataError(status: 404, code: "issue_not_found") { try await f.detail("zzzz") }
        await expectKataError(status: 404, code: "issue_not_found") { try await f.detail(ULID().string) }
        await expectKataError(status: 404, code: "issue_not_found") {
            try await f.store.issueDetailAnywhere(ref: ULID().string, comments: false, events: false)
        }
        await expectKataError(status: 400, code: "validation") { try await f.detail("not a ref!") }
        await expectKataError(status: 400, code: "validation") { try await f.detail("") }
        await expectKataError(status: 404, code: "project_not_found") {
            try await f.store.issueDetail(projectId: 999, ref: "1", comments: false, events: false)
        }
    }

    @Test func anAmbiguousShortIdListsTheCandidates() async throws {
        let f = try await Fixture.make()
        let a = try await f.create("First")
        let b = try await f.create("Second")
        // Make both ULIDs end in the same four characters, with five-character short ids.
        try await setTails(f, [(a, "1WXYZ", "1wxyz"), (b, "2WXYZ", "2wxyz")])
        let error = await expectKataError(status: 409, code: "ambiguous_reference") { try await f.detail("wxyz") }
        guard case .array(let candidates)? = error?.envelope.error.data?["candidates"] else {
            Testing.Issue.record("no candidates listed")
            return
        }
        #expect(candidates.count == 2)
        #expect(error?.envelope.error.message.contains("#1") == true && error?.envelope.error.message.contains("#2") == true)
        // The longer forms are unambiguous.
        #expect(try await f.detail("1wxyz").issue.number == 1)
        #expect(try await f.detail("2WXYZ").issue.number == 2)
    }
}

@Suite("Store: short ids found by their uid's tail")
struct ShortIdLookupTests {
    /// An issue whose short id is exactly the reference wins over one whose longer short id merely ends
    /// with it; the longer one is still found by its own.
    @Test func anExactShortIdWinsOverALongerOneEndingWithIt() async throws {
        let f = try await Fixture.make()
        let a = try await f.create("Short")
        let b = try await f.create("Longer")
        try await setTails(f, [(a, "3WXYZ", "wxyz"), (b, "4WXYZ", "4wxyz")])
        #expect(try await f.detail("wxyz").issue.number == 1)
        #expect(try await f.detail("4wxyz").issue.number == 2)
        #expect(try await f.store.issueDetailAnywhere(ref: "wxyz", comments: false, events: false).issue.number == 1)
        #expect(try await f.store.issueDetailAnywhere(ref: "4WXYZ", comments: false, events: false).issue.number == 2)
    }

    /// Short ids have no index of their own: a lookup searches `issues_uid_rev`, in a project and across them.
    @Test func aShortIdLookupSearchesTheReversedUids() async throws {
        let f = try await Fixture.make()
        try await f.create("Anything")
        let (indexes, plans) = try await f.store.writer.read { db in
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('issues')")
            let (lo, hi) = Migrations.suffixRange("wxyz")
            let plans = try [
                ("\(IssueRow.select) WHERE i.uid_rev >= ? AND i.uid_rev < ? AND +i.project_id = ? ORDER BY i.number", [lo, hi, "1"]),
                ("\(IssueRow.select) WHERE i.uid_rev >= ? AND i.uid_rev < ? AND p.hidden = 0 ORDER BY i.project_id, i.number", [lo, hi]),
                ("SELECT EXISTS (SELECT 1 FROM issues WHERE uid_rev >= ? AND uid_rev < ? AND +project_id = ?)", [lo, hi, "1"]),
            ].map { sql, args in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(sql)", arguments: StatementArguments(args)).map { $0["detail"] as String }.joined(separator: "; ")
            }
            return (indexes, plans)
        }
        #expect(!indexes.contains("issues_project_short"), "\(indexes)")
        for plan in plans { #expect(plan.contains("issues_uid_rev") && !plan.contains("SCAN i ") && !plan.contains("SCAN issues"), "\(plan)") }
    }

    /// Migration v8 drops the `(project_id, short_id)` index, and turns a short id that is not its uid's
    /// tail (only an edited import could have made one) into the tail of the same length.
    @Test func migrationEightDropsTheIndexAndMakesEveryShortIdATail() throws {
        let queue = try DatabaseQueue()
        queue.inDatabase { db in db.add(function: Migrations.reverseFunction) }
        try Migrations.migrator.migrate(queue, upTo: "v7-links-from")
        let uids = ["01HZZZZZZZZZZZZZZZZZZZABCD", "01HZZZZZZZZZZZZZZZZZZZEFGH", "01HZZZZZZZZZZZZZZZZZZZ1JKM"]
        try queue.write { db in
            try db.execute(sql: "INSERT INTO projects(uid, name, created_at) VALUES ('01HZZZZZZZZZZZZZZZZZZZZZZZ', 'p', 't')")
            for (n, (uid, short)) in zip(uids, ["abcd", "qqqq", "XX"]).enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO issues(uid, project_id, number, short_id, title, status, author, created_at, updated_at, uid_rev)
                        VALUES (?, 1, ?, ?, 't', 'open', 'a', 't', 't', kata_reverse(?))
                        """, arguments: [uid, n + 1, short, uid])
            }
        }
        func indexes() throws -> [String] { try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('issues')") } }
        #expect(try indexes().contains("issues_project_short"))
        try Migrations.migrator.migrate(queue)
        let shortIds = try queue.read { db in try String.fetchAll(db, sql: "SELECT short_id FROM issues ORDER BY number") }
        #expect(shortIds == ["abcd", "efgh", "1jkm"])
        #expect(try !indexes().contains("issues_project_short"))
    }
}

@Suite("Store: idempotency and look-alikes")
struct StoreCreateRulesTests {
    @Test func sameKeySameContentReusesTheIssue() async throws {
        let f = try await Fixture.make()
        let req = CreateIssueRequest(title: "Add retries", body: "to the uploader", labels: ["p1"], idempotencyKey: "k-1")
        let first = try await f.store.createIssue(projectId: f.pid, req, actor: "alice")
        #expect(first.changed == true)
        #expect(first.reused == false)
        #expect(first.event?.type == "issue.created")
        let eventsAfterFirst = try await f.eventCount()
        let second = try await f.store.createIssue(projectId: f.pid, req, actor: "alice")
        #expect(second.reused == true)
        #expect(second.changed == false)
        #expect(second.event == nil)
        #expect(second.issue.uid == first.issue.uid)
        #expect(second.issue.number == first.issue.number)
        #expect(try await f.eventCount() == eventsAfterFirst)
        #expect(try await f.create("Next one").number == 2)
    }

    @Test func sameKeyDifferentContentIsAMismatch() async throws {
        let f = try await Fixture.make()
        _ = try await f.store.createIssue(projectId: f.pid, CreateIssueRequest(title: "Add retries", body: "a", idempotencyKey: "k-1"), actor: "alice")
        let before = try await f.snapshot()
        for req in [
            CreateIssueRequest(title: "Add retries", body: "b", idempotencyKey: "k-1"),
            CreateIssueRequest(title: "Add more retries", body: "a", idempotencyKey: "k-1"),
            CreateIssueRequest(title: "Add retries", body: "a", labels: ["bug"], idempotencyKey: "k-1"),
        ] {
            await expectKataError(status: 409, code: "idempotency_mismatch") {
                try await f.store.createIssue(projectId: f.pid, req, actor: "alice")
            }
        }
        #expect(try await f.snapshot() == before)
    }

    @Test func keyOfADeletedIssueIsRefused() async throws {
        let f = try await Fixture.make()
        let req = CreateIssueRequest(title: "Add retries", idempotencyKey: "k-1")
        _ = try await f.store.createIssue(projectId: f.pid, req, actor: "alice")
        _ = try await f.store.softDelete(projectId: f.pid, ref: "1", confirm: "DELETE #1", actor: "alice")
        let before = try await f.snapshot()
        await expectKataError(status: 409, code: "idempotency_deleted") {
            try await f.store.createIssue(projectId: f.pid, req, actor: "alice")
        }
        #expect(try await f.snapshot() == before)
    }

    @Test func keysArePerProject() async throws {
        let f = try await Fixture.make()
        let other = try await f.store.addProject("beta")
        let req = CreateIssueRequest(title: "Add retries", idempotencyKey: "k-1")
        let a = try await f.store.createIssue(projectId: f.pid, req, actor: "alice")
        let b = try await f.store.createIssue(projectId: other.id, req, actor: "alice")
        #expect(a.issue.uid != b.issue.uid)
        #expect(b.reused == false)
    }

    @Test func aLookAlikeOfAnOpenIssueIsRefusedUnlessForced() async throws {
        let f = try await Fixture.make()
        let original = try await f.create(
            "Login page crashes on submit", body: "Open the login page and press submit with an empty form.", forceNew: false)
        let before = try await f.snapshot()
        let error = await expectKataError(status: 409, code: "duplicate_candidates") {
            try await f.create(
                "Login page crashes on submit", body: "Open the login page and press submit with an empty form.", forceNew: false)
        }
        guard case .array(let candidates)? = error?.envelope.error.data?["candidates"] else {
            Testing.Issue.record("no candidates")
            return
        }
        #expect(candidates.first?["number"] == .int(original.number))
        #expect(candidates.first?["uid"] == .string(original.uid))
        #expect(try await f.snapshot() == before)
        #expect(error?.envelope.error.hint?.contains("delete") == false)
        #expect(error?.envelope.error.hint?.contains("purge") == false)

        // Case and punctuation do not hide a look-alike.
        await expectKataError(status: 409, code: "duplicate_candidates") {
            try await f.create(
                "login page crashes on submit!", body: "Open the login page, and press submit with an empty form", forceNew: false)
        }

        let forced = try await f.create(
            "Login page crashes on submit", body: "Open the login page and press submit with an empty form.", forceNew: true)
        #expect(forced.number == 2)
    }

    @Test func differentIssuesAndClosedOnesAreNotLookAlikes() async throws {
        let f = try await Fixture.make()
        try await f.create("Login page crashes on submit", body: "Empty form.", forceNew: false)
        // Shares a couple of words only.
        let other = try await f.create("Login page needs dark mode", body: "Colours.", forceNew: false)
        #expect(other.number == 2)
        _ = try await f.store.close(projectId: f.pid, ref: "1", reason: "done", message: nil, actor: "alice")
        let again = try await f.create("Login page crashes on submit", body: "Empty form.", forceNew: false)
        #expect(again.number == 3)
    }
}

@Suite("Store: validation writes nothing")
struct StoreValidationTests {
    @Test(arguments: ["", "   ", "\n\t "])
    func blankTitleIsRefused(title: String) async throws {
        let f = try await Fixture.make()
        try await f.create("Existing")
        let before = try await f.snapshot()
        await expectKataError(status: 400, code: "validation", field: "title") { try await f.create(title) }
        await expectKataError(status: 400, code: "validation", field: "title") {
            try await f.store.createIssue(projectId: f.pid, CreateIssueRequest(title: nil), actor: "alice")
        }
        await expectKataError(status: 400, code: "validation", field: "title") { try await f.edit("1") { $0.title = title } }
        #expect(try await f.snapshot() == before)
        #expect(f.log.count == 1)
        #expect(try await f.create("Next").number == 2)
    }

    @Test(arguments: ["Bug", "has space", String(repeating: "x", count: 65), "", "bug!"])
    func badLabelIsRefused(label: String) async throws {
        let f = try await Fixture.make()
        try await f.create("Existing")
        let before = try await f.snapshot()
        await expectKataError(status: 400, code: "validation", field: "labels") { try await f.create("New", labels: ["ok", label]) }
        await expectKataError(status: 400, code: "validation", field: "labels") {
            try await f.store.addLabels(projectId: f.pid, ref: "1", labels: ["fine", label], actor: "alice")
        }
        #expect(try await f.snapshot() == before)
    }

    @Test func labelOf64CharactersIsAccepted() async throws {
        let f = try await Fixture.make()
        let label = String(repeating: "a", count: 64)
        let issue = try await f.create("Long label", labels: [label, "bug", "bug"])
        #expect(issue.labels == ["bug", label].sorted())
    }

    @Test func otherInvalidInputIs400() async throws {
        let f = try await Fixture.make()
        try await f.create("Existing")
        let before = try await f.snapshot()
        await expectKataError(status: 400, code: "validation", field: "reason") {
            try await f.store.close(projectId: f.pid, ref: "1", reason: "fixed", message: nil, actor: "a")
        }
        await expectKataError(status: 400, code: "validation", field: "body") {
            try await f.store.comment(projectId: f.pid, ref: "1", body: "  ", actor: "a")
        }
        await expectKataError(status: 400, code: "validation", field: "owner") {
            try await f.store.assign(projectId: f.pid, ref: "1", owner: " ", actor: "a")
        }
        await expectKataError(status: 400, code: "validation", field: "title") { try await f.create(String(repeating: "t", count: 501)) }
        #expect(try await f.snapshot() == before)
    }

    @Test func aFailedEditIsAtomic() async throws {
        let f = try await Fixture.make()
        try await f.create("Alpha")
        try await f.create("Beta")
        _ = try await f.edit("1") { $0.blocks = ["2"] }
        let before = try await f.snapshot()
        let commits = f.log.count
        // Title change would succeed, but the link closes a cycle: nothing of it may stay.
        await expectKataError(status: 409, code: "link_cycle") {
            try await f.edit("2") {
                $0.title = "Beta renamed"
                $0.owner = "carol"
                $0.blocks = ["1"]
            }
        }
        #expect(try await f.snapshot() == before)
        #expect(f.log.count == commits, "a rolled-back write must not be broadcast")
        #expect(try await f.detail("2").issue.title == "Beta")
    }

    @Test func eventsAreBroadcastOnlyAfterCommit() async throws {
        let f = try await Fixture.make()
        let issue = try await f.create("Alpha")
        #expect(f.log.batches.count == 1)
        #expect(f.log.events.map(\.id) == (try await f.allEvents()).map(\.id))
        struct Boom: Error {}
        let pid = f.pid
        do {
            let _: Int = try await f.store.writeWithEvents { db, sink in
                let project = try ProjectRow.require(db, id: pid)
                let row = try Store.resolveIssue(db, project: project, ref: "1")
                try EventRow.append(db, &sink, type: "issue.updated", actor: "x", issue: row, payload: [:], at: Timestamp.now())
                try db.execute(sql: "UPDATE issues SET title = 'changed' WHERE id = ?", arguments: [row.id])
                throw Boom()
            }
            Testing.Issue.record("the write should have failed")
        } catch is Boom {}
        #expect(f.log.batches.count == 1, "an event of a rolled-back transaction was broadcast")
        #expect(try await f.eventCount() == 1)
        #expect(try await f.detail(issue.uid).issue.title == "Alpha")
    }
}

@Suite("Store: changes, no-ops and events")
struct StoreMutationTests {
    @Test func noOpsWriteNoEventAndKeepUpdatedAt() async throws {
        let f = try await Fixture.make()
        try await f.create("Alpha", labels: ["bug"], owner: "carol")
        let before = try await f.snapshot()
        let commits = f.log.count
        var answers: [MutationAnswer] = []
        answers.append(try await f.store.reopen(projectId: f.pid, ref: "1", actor: "a"))
        answers.append(try await f.store.addLabels(projectId: f.pid, ref: "1", labels: ["bug"], actor: "a"))
        answers.append(try await f.store.removeLabel(projectId: f.pid, ref: "1", label: "absent", actor: "a"))
        answers.append(try await f.store.assign(projectId: f.pid, ref: "1", owner: "carol", actor: "a"))
        answers.append(try await f.store.restore(projectId: f.pid, ref: "1", actor: "a"))
        answers.append(try await f.edit("1") { $0.title = "Alpha" })
        answers.append(try await f.edit("1") { $0.removeParent = true })
        for a in answers {
            #expect(a.changed == false)
            #expect(a.event == nil)
        }
        #expect(try await f.snapshot() == before)
        #expect(f.log.count == commits)

        // Now from the other state.
        _ = try await f.store.close(projectId: f.pid, ref: "1", reason: "wontfix", message: nil, actor: "a")
        _ = try await f.store.unassign(projectId: f.pid, ref: "1", actor: "a")
        let closed = try await f.snapshot()
        let again = try await f.store.close(projectId: f.pid, ref: "1", reason: "done", message: "closing again", actor: "a")
        #expect(again.changed == false && again.event == nil)
        #expect(again.issue.closedReason == "wontfix")
        let unassigned = try await f.store.unassign(projectId: f.pid, ref: "1", actor: "a")
        #expect(unassigned.changed == false && unassigned.event == nil)
        #expect(try await f.snapshot() == closed)
    }

    @Test func changesBumpUpdatedAt() async throws {
        let f = try await Fixture.make()
        var last = try await f.create("Alpha")
        let steps: [() async throws -> MutationAnswer] = [
            { try await f.store.addLabels(projectId: f.pid, ref: "1", labels: ["bug"], actor: "a") },
            { try await f.store.assign(projectId: f.pid, ref: "1", owner: "carol", actor: "a") },
            { try await f.store.comment(projectId: f.pid, ref: "1", body: "hello", actor: "a") },
            { try await f.store.close(projectId: f.pid, ref: "1", reason: nil, message: nil, actor: "a") },
            { try await f.store.reopen(projectId: f.pid, ref: "1", actor: "a") },
            { try await f.store.removeLabel(projectId: f.pid, ref: "1", label: "bug", actor: "a") },
            { try await f.store.unassign(projectId: f.pid, ref: "1", actor: "a") },
        ]
        for step in steps {
            let answer = try await step()
            #expect(answer.changed)
            #expect(answer.event != nil)
            #expect(answer.issue.updatedAt > last.updatedAt, "\(answer.event?.type ?? "?") did not bump updated_at")
            last = answer.issue
        }
    }

    @Test func stateChangesHaveTheirEventTypes() async throws {
        let f = try await Fixture.make()
        let created = try await f.store.createIssue(projectId: f.pid, CreateIssueRequest(title: "Alpha", labels: ["x"]), actor: "alice")
        #expect(created.event?.type == "issue.created")
        #expect(created.event?.actor == "alice")
        #expect(created.issue.author == "alice")
        #expect(created.issue.status == "open")
        var types: [String?] = []
        types.append(try await f.store.comment(projectId: f.pid, ref: "1", body: "c", actor: "a").event?.type)
        let closed = try await f.store.close(projectId: f.pid, ref: "1", reason: "duplicate", message: nil, actor: "a")
        #expect(closed.issue.status == "closed" && closed.issue.closedReason == "duplicate" && closed.issue.closedAt != nil)
        types.append(closed.event?.type)
        let reopened = try await f.store.reopen(projectId: f.pid, ref: "1", actor: "a")
        #expect(reopened.issue.status == "open" && reopened.issue.closedReason == nil && reopened.issue.closedAt == nil)
        types.append(reopened.event?.type)
        types.append(try await f.store.addLabels(projectId: f.pid, ref: "1", labels: ["y"], actor: "a").event?.type)
        types.append(try await f.store.removeLabel(projectId: f.pid, ref: "1", label: "x", actor: "a").event?.type)
        types.append(try await f.store.assign(projectId: f.pid, ref: "1", owner: "o", actor: "a").event?.type)
        types.append(try await f.store.unassign(projectId: f.pid, ref: "1", actor: "a").event?.type)
        let deleted = try await f.store.softDelete(projectId: f.pid, ref: "1", confirm: "DELETE #1", actor: "a")
        #expect(deleted.issue.deletedAt != nil)
        types.append(deleted.event?.type)
        types.append(try await f.store.restore(projectId: f.pid, ref: "1", actor: "a").event?.type)
        #expect(types == [
            "issue.commented", "issue.closed", "issue.reopened", "issue.labeled", "issue.unlabeled", "issue.assigned",
            "issue.unassigned", "issue.soft_deleted", "issue.restored",
        ])
        let events = try await f.allEvents()
        #expect(events.count == 10)
        for e in events {
            guard case .object = e.payload else {
                Testing.Issue.record("\(e.type) payload is not an object")
                continue
            }
            #expect(e.projectId == f.pid && e.projectName == "alpha" && e.issueNumber == 1 && e.issueUid == created.issue.uid)
            #expect(ULID.isValid(e.uid))
            #expect(Timestamp.parse(e.createdAt) != nil)
        }
        #expect(events.map(\.id) == events.map(\.id).sorted())
        #expect(f.log.events.map(\.id) == events.map(\.id))
    }

    @Test func closeWithMessageWritesCommentedThenClosedConsecutively() async throws {
        let f = try await Fixture.make()
        try await f.create("Alpha")
        try await f.create("Beta")
        let commitsBefore = f.log.count
        let answer = try await f.store.close(projectId: f.pid, ref: "1", reason: "done", message: "Fixed in abc123", actor: "bob")
        #expect(answer.event?.type == "issue.closed")
        let events = try await f.store.pollEvents(projectId: f.pid, afterId: 2, limit: 100).events
        #expect(events.map(\.type) == ["issue.commented", "issue.closed"])
        #expect(events.count == 2 && events[1].id == events[0].id + 1)
        #expect(events.allSatisfy { $0.actor == "bob" })
        // One commit, broadcast together, in order.
        #expect(f.log.count == commitsBefore + 1)
        #expect(f.log.batches.last?.map(\.type) == ["issue.commented", "issue.closed"])
        let detail = try await f.detail("1", comments: true)
        #expect(detail.comments?.map(\.body) == ["Fixed in abc123"])
        #expect(detail.comments?.first?.author == "bob")
    }

    @Test func editWritesOneEventPerChangedAspect() async throws {
        let f = try await Fixture.make()
        try await f.create("Alpha")
        try await f.create("Beta")
        try await f.create("Gamma")
        let start = try await f.eventCount()
        let answer = try await f.edit("1") {
            $0.title = "Alpha renamed"
            $0.body = "new body"
            $0.owner = "carol"
            $0.blocks = ["2"]
            $0.related = ["3"]
        }
        #expect(answer.changed)
        #expect(answer.issue.title == "Alpha renamed" && answer.issue.body == "new body" && answer.issue.owner == "carol")
        let events = try await f.store.pollEvents(projectId: f.pid, afterId: Int64(start), limit: 100).events
        #expect(events.map(\.type) == ["issue.updated", "issue.assigned", "issue.links_changed"])
        #expect(zip(events, events.dropFirst()).allSatisfy { $1.id == $0.id + 1 })
        #expect(events[0].payload["title"]?["to"] == .string("Alpha renamed"))
        #expect(events[1].payload["owner"] == .string("carol"))
        guard case .array(let added)? = events[2].payload["added"] else {
            Testing.Issue.record("links_changed payload has no added list")
            return
        }
        #expect(added.count == 2)

        // Owner only: one issue.assigned; clearing: issue.unassigned; title only: issue.updated.
        let start2 = try await f.eventCount()
        _ = try await f.edit("1") { $0.owner = "dave" }
        _ = try await f.edit("1") { $0.clearOwner = true }
        _ = try await f.edit("1") { $0.body = "newer body" }
        _ = try await f.edit("1") {
            $0.removeBlocks = ["2"]
            $0.removeRelated = ["3"]
            $0.parent = "3"
        }
        let more = try await f.store.pollEvents(projectId: f.pid, afterId: Int64(start2), limit: 100).events
        #expect(more.map(\.type) == ["issue.assigned", "issue.unassigned", "issue.updated", "issue.links_changed"])
        let detail = try await f.detail("1")
        #expect(detail.issue.owner == nil)
        #expect(detail.links.parent?.number == 3)
        #expect(detail.links.blocks.isEmpty && detail.links.related.isEmpty)
    }

    @Test func deletedIssuesCannotBeChangedButCanBeRestored() async throws {
        let f = try await Fixture.make()
        try await f.create("Alpha")
        _ = try await f.store.softDelete(projectId: f.pid, ref: "1", confirm: "DELETE #1", actor: "a")
        let before = try await f.snapshot()
        await expectKataError(status: 409, code: "conflict") { try await f.store.comment(projectId: f.pid, ref: "1", body: "x", actor: "a") }
        await expectKataError(status: 409, code: "conflict") { try await f.edit("1") { $0.title = "New" } }
        #expect(try await f.snapshot() == before)
        // Hidden from lists, still shown by reference.
        #expect(try await f.store.listIssues(IssueFilter(projectIds: [f.pid], status: .all)).issues.isEmpty)
        #expect(try await f.detail("1").issue.deletedAt != nil)
        _ = try await f.store.restore(projectId: f.pid, ref: "1", actor: "a")
        #expect(try await f.store.listIssues(IssueFilter(projectIds: [f.pid])).issues.map(\.number) == [1])
    }

    @Test func deleteAndPurgeNeedTheExactConfirmation() async throws {
        let f = try await Fixture.make()
        try await f.create("Alpha")
        try await f.create("Beta")
        let before = try await f.snapshot()
        let required = await expectKataError(status: 412, code: "confirm_required") {
            try await f.store.softDelete(projectId: f.pid, ref: "2", confirm: nil, actor: "a")
        }
        #expect(required?.envelope.error.data?["expected"] == .string("DELETE #2"))
        await expectKataError(status: 412, code: "confirm_mismatch") {
            try await f.store.softDelete(projectId: f.pid, ref: "2", confirm: "DELETE #1", actor: "a")
        }
        await expectKataError(status: 412, code: "confirm_required") {
            try await f.store.purge(projectId: f.pid, ref: "2", confirm: "", reason: nil, actor: "a")
        }
        await expectKataError(status: 412, code: "confirm_mismatch") {
            try await f.store.purge(projectId: f.pid, ref: "2", confirm: "DELETE #2", reason: nil, actor: "a")
        }
        await expectKataError(status: 412, code: "confirm_mismatch") {
            try await f.store.purge(projectId: f.pid, ref: "2", confirm: "purge #2", reason: nil, actor: "a")
        }
        #expect(try await f.snapshot() == before)
    }
}
