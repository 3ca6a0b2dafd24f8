import Foundation
import GRDB
import Shared
import Testing

@testable import katad

/// Export, import and backup at the store (spec: operations.md, "Export, import, backup, restore").
@Suite("Export, import and backup")
struct PortabilityTests {
    /// A store with a bit of everything: issues, comments, labels, a link, a purge, a user, a token.
    static func populated() async throws -> Fixture {
        let f = try await Fixture.make()
        try await f.create("Login page crashes", body: "on empty password", labels: ["bug"])
        try await f.create("Rate-limit login", labels: ["feature", "p1"], blocks: ["1"])
        try await f.create("Doomed")
        _ = try await f.store.comment(projectId: f.pid, ref: "1", body: "seen on Safari too", actor: "bob")
        _ = try await f.store.purge(projectId: f.pid, ref: "3", confirm: "PURGE #3", reason: "spam", actor: "admin")
        _ = try await f.store.createUser(name: "alice", role: "operator", displayName: "Alice", passwordHash: "$argon2id$fake", by: "root")
        _ = try await f.store.createToken(CreateTokenRequest(actor: "alice", name: "laptop", role: "user", expires: nil), createdBy: "root")
        return f
    }

    static func exportText(_ store: Store, auth: Bool = true) async throws -> String {
        var text = ""
        try await store.export(includeAuth: auth) { text += $0 }
        return text
    }

    static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "kata-import-\(ULID().string).jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func importing(_ text: String, into store: Store, merge: Bool = false, role: Role = .admin) async throws -> ImportAnswer {
        let path = try file(text)
        defer { unlink(path) }
        return try await store.importFile(path: path, merge: merge, callerRole: role)
    }

    /// The line numbers, fields and messages of a refused import.
    static func refusal(_ text: String, into store: Store, merge: Bool = false) async -> (line: Int64?, field: String?, message: String, status: Int)? {
        do {
            _ = try await importing(text, into: store, merge: merge)
            return nil
        } catch let e as KataError {
            let data = e.envelope.error.data
            var line: Int64?
            if case .int(let n)? = data?["line"] { line = n }
            return (line, data?["field"]?.stringValue, e.envelope.error.message, e.envelope.status)
        } catch {
            return (nil, nil, "\(error)", 0)
        }
    }

    @Test func exportImportExportIsByteIdentical() async throws {
        let f = try await Self.populated()
        let first = try await Self.exportText(f.store)
        let lines = first.split(separator: "\n")
        #expect(lines.first?.hasPrefix(#"{"auth":true,"export_version":1,"#) == true, "\(lines.first ?? "")")
        #expect(lines.last == #"{"kind":"end","lines":\#(lines.count)}"#)
        for kind in ["project", "alias", "issue", "comment", "label", "link", "event", "purge_log", "user", "token"] {
            #expect(first.contains(#""kind":"\#(kind)""#), "the export has \(kind) lines")
        }
        let target = try Store.inMemory()
        let answer = try await Self.importing(first, into: target)
        #expect(answer.mode == "exact" && answer.imported["issue"] == 2 && answer.imported["purge_log"] == 1, "\(answer)")
        let second = try await Self.exportText(target)
        #expect(second == first, "export → import → export is byte-identical")
        // The imported data works: search, numbering, and the token.
        let hits = try await target.search(projectIds: [f.pid], query: "Safari", limit: 10)
        #expect(hits.map(\.issue.number) == [1], "comments are searchable after an import")
        let next = try await target.createIssue(
            projectId: f.pid, CreateIssueRequest(title: "After import", forceNew: true), actor: "carol")
        #expect(next.issue.number == 4, "numbers continue after the purged #3")
    }

    @Test func aNonAdminExportCarriesNoCredentials() async throws {
        let f = try await Self.populated()
        let text = try await Self.exportText(f.store, auth: false)
        for secretKind in [#""kind":"user""#, #""kind":"token""#, "$argon2id$", "_system", "token.created", "user.created"] {
            #expect(!text.contains(secretKind), "a non-admin export has no \(secretKind)")
        }
        #expect(text.contains(#""auth":false"#))
        let target = try Store.inMemory()
        _ = try await Self.importing(text, into: target, role: .operator)
        #expect(try await Self.exportText(target, auth: false) == text, "the non-admin round trip is byte-identical too")
    }

    @Test func badFilesAreRefusedByLineAndFieldAndChangeNothing() async throws {
        let f = try await Self.populated()
        let good = try await Self.exportText(f.store)
        var lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // the empty string after the last newline
        let issueLines = lines.indices.filter { lines[$0].contains(#""kind":"issue""#) }
        let commentLine = try #require(lines.indices.first { lines[$0].contains(#""kind":"comment""#) })
        func joined(_ ls: [String]) -> String { ls.joined(separator: "\n") + "\n" }

        var dangling = lines
        dangling.remove(at: issueLines[0])
        var duplicate = lines
        let uid0 = try #require(lines[issueLines[0]].firstMatch(of: /"uid":"([0-9A-Z]{26})"/)?.1)
        let uid1 = try #require(lines[issueLines[1]].firstMatch(of: /"uid":"([0-9A-Z]{26})"/)?.1)
        duplicate[issueLines[1]] = lines[issueLines[1]].replacingOccurrences(of: String(uid1), with: String(uid0))
        var notJSON = lines
        notJSON[commentLine] = #"{"kind":"comment","body": oops"#
        var wrongType = lines
        wrongType[issueLines[0]] = lines[issueLines[0]].replacingOccurrences(of: #""number":1,"#, with: #""number":"one","#)
        var unknownField = lines
        unknownField[issueLines[0]] = lines[issueLines[0]].replacingOccurrences(of: #""owner":null"#, with: #""owner":null,"priority":3"#)
        // Short ids are looked up by their uid's tail: one that is not the tail could never be found.
        let short0 = try #require(lines[issueLines[0]].firstMatch(of: /"short_id":"([0-9a-z]+)"/)?.1)
        let foreignShort = String(uid1.suffix(5)).lowercased() == String(short0) ? "zzzzz" : String(uid1.suffix(5)).lowercased()
        var shortNotTail = lines
        shortNotTail[issueLines[0]] = lines[issueLines[0]].replacingOccurrences(
            of: #""short_id":"\#(short0)""#, with: #""short_id":"\#(foreignShort)""#)
        var shortUpper = lines
        shortUpper[issueLines[0]] = lines[issueLines[0]].replacingOccurrences(
            of: #""short_id":"\#(short0)""#, with: #""short_id":"\#(short0.uppercased())""#)
        var future = lines
        future[0] = lines[0].replacingOccurrences(of: #""export_version":1"#, with: #""export_version":2"#)

        let cases: [(String, String, Int64, String?, String)] = [
            ("truncated", joined(Array(lines.prefix(lines.count - 3))), Int64(lines.count - 3), nil, "truncated"),
            ("dangling", joined(dangling), Int64(commentLine), "issue_id", "refers to no issue"),
            ("duplicate uid", joined(duplicate), Int64(issueLines[1] + 1), "uid", "duplicate issue uid"),
            ("not JSON", joined(notJSON), Int64(commentLine + 1), nil, "not JSON"),
            ("wrong type", joined(wrongType), Int64(issueLines[0] + 1), "number", "must be an integer"),
            ("unknown field", joined(unknownField), Int64(issueLines[0] + 1), "priority", "no field `priority`"),
            ("short id not the uid's tail", joined(shortNotTail), Int64(issueLines[0] + 1), "short_id", "is not the end of the issue's uid"),
            ("short id in upper case", joined(shortUpper), Int64(issueLines[0] + 1), "short_id", "in lower case"),
            ("future version", joined(future), 1, "export_version", "newer than this katad"),
            ("not an export", "hello\n", 1, nil, "not JSON"),
            ("empty", "", 1, nil, "empty"),
        ]
        let target = try await Fixture.make(projectName: "other")
        let before = try await target.snapshot()
        for (name, text, line, field, words) in cases {
            let r = await Self.refusal(text, into: target.store, merge: true)
            #expect(r != nil, "\(name) was accepted")
            #expect(r?.status == 400 && r?.line == line, "\(name): \(String(describing: r))")
            if let field { #expect(r?.field == field, "\(name): \(String(describing: r))") }
            #expect(r?.message.contains(words) == true && r?.message.hasPrefix("line \(line): ") == true, "\(name): \(String(describing: r))")
        }
        #expect(try await target.snapshot() == before, "no refused import changed the database")
    }

    @Test func anExactImportNeedsAnEmptyDatabaseAndMergeRefusesKnownUids() async throws {
        let f = try await Self.populated()
        let text = try await Self.exportText(f.store)
        let busy = try await Fixture.make(projectName: "other")
        try await busy.create("Already here")
        let before = try await busy.snapshot()
        let exact = await Self.refusal(text, into: busy.store)
        #expect(exact?.status == 409 && exact?.message.contains("empty") == true, "\(String(describing: exact))")
        // Merging the data of another instance: new ids, same uids, numbers per project kept.
        let merged = try await Self.importing(await Self.exportText(f.store, auth: false), into: busy.store, merge: true, role: .operator)
        #expect(merged.mode == "merge" && merged.imported["issue"] == 2, "\(merged)")
        let projects = try await busy.store.listProjects().map(\.name).sorted()
        #expect(projects == ["alpha", "other"], "\(projects)")
        // The same file again: its uids are known now; nothing changes.
        let afterMerge = try await busy.snapshot()
        let again = await Self.refusal(text, into: busy.store, merge: true)
        #expect(again?.status == 400 && again?.message.contains("already exists") == true, "\(String(describing: again))")
        #expect(try await busy.snapshot() == afterMerge)
        #expect(afterMerge != before)
    }

    @Test func credentialsNeedAnAdminToImport() async throws {
        let f = try await Self.populated()
        let text = try await Self.exportText(f.store)
        let target = try Store.inMemory()
        do {
            _ = try await Self.importing(text, into: target, role: .operator)
            Issue.record("an operator imported users and tokens")
        } catch let e as KataError {
            #expect(e.envelope.status == 403 && e.envelope.error.code == "forbidden")
        }
    }

    @Test func olderExportVersionsLoadThroughFillRules() async throws {
        let f = try await Self.populated()
        let text = try await Self.exportText(f.store, auth: false)
        // Version 0: no meta lines, no end line, projects without `hidden`, issues without idempotency columns.
        var v0: [String] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.contains(#""kind":"meta""#) || line.contains(#""kind":"end""#) { continue }
            var l = line.replacingOccurrences(of: #""export_version":1"#, with: #""export_version":0"#)
            l = l.replacingOccurrences(of: #""hidden":0,"#, with: "")
            l = l.replacingOccurrences(of: #""idempotency_fingerprint":null,"idempotency_key":null,"#, with: "")
            v0.append(l)
        }
        #expect(!v0.joined().contains("idempotency_key"), "the v0 file really lacks the columns")
        let target = try Store.inMemory()
        let answer = try await Self.importing(v0.joined(separator: "\n") + "\n", into: target, role: .operator)
        #expect(answer.exportVersion == 0 && answer.imported["issue"] == 2, "\(answer)")
        let issues = try await target.writer.read { db in try String.fetchAll(db, sql: "SELECT title FROM issues ORDER BY id") }
        #expect(issues == ["Login page crashes", "Rate-limit login"])
    }

    @Test func theSharedMigrationListMatchesTheDaemons() {
        #expect(Migrations.migrator.migrations == SchemaFacts.migrations, "update SchemaFacts.migrations with every new migration")
    }

    @Test func anOnlineBackupIsAConsistentPrivateCopy() async throws {
        let dir = NSTemporaryDirectory() + "kata-backup-\(ULID().string)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store.open(path: dir + "/kata.db", onCommit: { _, _ in })
        let p = try await store.addProject("alpha")
        for i in 1...20 {
            _ = try await store.createIssue(projectId: p.id, CreateIssueRequest(title: "Issue \(i)", forceNew: true), actor: "a")
        }
        let answer = try await store.backup(to: dir + "/copy.db", replace: false)
        #expect(answer.bytes > 0 && answer.schemaVersion == SchemaFacts.migrations.count)
        var st = stat()
        #expect(stat(dir + "/copy.db", &st) == 0 && st.st_mode & 0o777 == 0o600, "the backup is 0600")
        let copy = try DatabaseQueue(path: dir + "/copy.db")
        #expect(try await copy.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM issues") } == 20)
        #expect(try await copy.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
        try copy.close()
        await #expect(throws: KataError.self) { _ = try await store.backup(to: dir + "/copy.db", replace: false) }
        await #expect(throws: KataError.self) { _ = try await store.backup(to: "relative.db", replace: false) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }.isEmpty, "no leftovers")
    }
}
