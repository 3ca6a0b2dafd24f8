import Foundation
import Shared
import Testing

/// `JSONWriter` must give byte for byte what `KataJSON.encoder()` gives: the expected side of every check
/// here is Foundation's `JSONEncoder`, never a literal copied from the writer.
@Suite("JSONWriter")
struct JSONWriterTests {
    /// Strings that exercise the escaping rules: quotes, backslashes, every control character, DEL,
    /// slashes, non-ASCII (accents, CJK, emoji, U+2028), and the empty string.
    static let awkward: [String] = {
        var s = ["", "plain", "say \"hi\"", "back\\slash", "a/b/c", "tab\there", "line\nbreak", "cr\rlf\n", "\u{7F}del",
                 "café ünïcödé", "日本語のタイトル", "emoji 🎉👩‍💻", "sep\u{2028}para\u{2029}", "nul\u{0}byte", "</script>"]
        s.append(String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }))
        return s
    }()

    static func issue(_ i: Int, text: String, optionals: Bool) -> Shared.Issue {
        Shared.Issue(
            id: Int64(i), uid: ULID().string, projectId: 3, projectName: "p-\(text)", number: Int64(i) * 1_000_003,
            shortId: "ab1\(i)", title: text, body: text + text, status: optionals ? "closed" : "open",
            closedReason: optionals ? "done" : nil, owner: optionals ? text : nil, author: "a\(text)",
            labels: optionals ? ["bug", "area:ui", text] : [], createdAt: Timestamp.now(), updatedAt: Timestamp.now(),
            closedAt: optionals ? Timestamp.now() : nil, deletedAt: optionals ? Timestamp.now() : nil)
    }

    static func ref(_ n: Int64, _ text: String) -> IssueRef {
        IssueRef(number: n, uid: ULID().string, shortId: "zz\(n)", title: text, status: "open")
    }

    static func event(_ id: Int64, payload: JSONValue, issue: Bool) -> Event {
        Event(
            id: id, uid: ULID().string, type: "issue.created", actor: "me", projectId: 7, projectName: "p",
            issueUid: issue ? ULID().string : nil, issueNumber: issue ? id : nil, payload: payload, createdAt: Timestamp.now())
    }

    func expectSame<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try KataJSON.encoder().encode(value)
        let fast = try #require(KataJSON.fastBytes(value), "no fast writer for \(T.self)", sourceLocation: sourceLocation)
        #expect(
            String(decoding: fast, as: UTF8.self) == String(decoding: expected, as: UTF8.self), sourceLocation: sourceLocation)
        #expect(Data(fast) == expected, sourceLocation: sourceLocation)
        // KataJSON.encode takes the fast path and gives the same bytes.
        #expect(try KataJSON.encode(value) == expected, sourceLocation: sourceLocation)
    }

    /// The writer grows its buffer as it goes: a writer that starts with room for one byte writes a
    /// 40 KB issue exactly as the encoder does.
    @Test func aWriterGrowsPastItsFirstCapacity() throws {
        let issue = Self.issue(7, text: String(repeating: "long \"text\"\n", count: 3_000), optionals: true)
        var w = JSONWriter(capacity: 1)
        issue.write(to: &w)
        #expect(w.bytes == Array(try KataJSON.encoder().encode(issue)))
        #expect(w.bytes.count > 40_000)
    }

    /// Strings are scanned eight bytes at a time: a byte to escape at any offset of a word, next to
    /// non-ASCII bytes and at the ends of strings of every length around a word, is escaped as the encoder does.
    @Test func everyByteToEscapeAtEveryOffsetMatches() throws {
        let special: [Character] = ["\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}"]
        for length in 1...19 {
            for offset in 0..<length {
                for c in special {
                    var chars = Array(repeating: Character("a"), count: length)
                    chars[offset] = c
                    if offset + 1 < length { chars[offset + 1] = "é" }
                    try expectSame(Self.issue(length, text: String(chars), optionals: false))
                }
            }
        }
    }

    /// The word test against the byte-by-byte rule, on words with each byte value at each position.
    @Test func theWordTestAgreesWithTheByteRule() {
        for value in 0...255 {
            for position in 0..<8 {
                for filler: UInt8 in [0x41, 0x20, 0x7E, 0x80, 0xFF, 0x23, 0x5D] {
                    var bytes = Array(repeating: filler, count: 8)
                    bytes[position] = UInt8(value)
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let expected = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
                    #expect(JSONWriter.hasByteToEscape(word) == expected, "\(bytes)")
                }
            }
        }
    }

    @Test func issuesWithAndWithoutOptionalsMatchJSONEncoder() throws {
        for (i, text) in Self.awkward.enumerated() {
            try expectSame(Self.issue(i, text: text, optionals: true))
            try expectSame(Self.issue(i, text: text, optionals: false))
        }
    }

    @Test func integersAtTheEdgesMatch() throws {
        for n: Int64 in [0, 1, -1, 9, 10, 99, 100, 123_456_789, Int64.max, Int64.min, Int64.min + 1] {
            var issue = Self.issue(1, text: "n", optionals: false)
            issue.id = n
            issue.number = n
            try expectSame(issue)
            try expectSame(Self.event(n, payload: .int(n), issue: true))
        }
    }

    @Test func answersOfTheHotRoutesMatch() throws {
        let links = IssueLinks(
            parent: Self.ref(1, "parent \"p\""), children: [Self.ref(2, "c"), Self.ref(3, "ç")], blocks: [Self.ref(4, "b\n")],
            blockedBy: [Self.ref(5, "x")], related: [Self.ref(6, "r/6")])
        let noLinks = IssueLinks(parent: nil, children: [], blocks: [], blockedBy: [], related: [])
        let issue = Self.issue(5, text: "five \u{1}", optionals: true)
        let comment = Comment(id: 9, issueUid: issue.uid, author: "me", body: "said \"so\"\n", createdAt: Timestamp.now())
        let payload: JSONValue = ["title": "t\"", "labels": ["a", "b"], "owner": .null, "n": 3, "ok": true, "nested": ["from": 1, "to": 2]]
        let ev = Self.event(11, payload: payload, issue: true)
        try expectSame(IssueDetailAnswer(issue: issue, links: links, comments: nil, events: nil))
        try expectSame(IssueDetailAnswer(issue: issue, links: noLinks, comments: [comment], events: [ev]))
        try expectSame(IssueDetailAnswer(issue: issue, links: noLinks, comments: [], events: []))
        try expectSame(MutationAnswer(issue: issue, event: ev, changed: true, reused: nil))
        try expectSame(MutationAnswer(issue: issue, event: nil, changed: false, reused: true))
        try expectSame(MutationAnswer(issue: issue, event: nil, changed: false, reused: false))
        try expectSame(IssueListAnswer(issues: [issue, Self.issue(6, text: "six", optionals: false)], nextCursor: "123.4"))
        try expectSame(IssueListAnswer(issues: [], nextCursor: nil))
        try expectSame(ReadyAnswer(issues: [issue]))
        try expectSame(SearchAnswer(results: [SearchHit(issue: issue, score: 1.5), SearchHit(issue: issue, score: -0.000123)]))
        try expectSame(ev)
        try expectSame(Self.event(12, payload: [:], issue: false))
    }

    @Test func payloadsFallBackToJSONEncoderWhereKeyOrderOrNumbersDiffer() throws {
        // Keys JSONEncoder would convert or order differently, and doubles, take the encoder's own path.
        let odd: [JSONValue] = [
            ["Zeta": 1, "alpha": 2, "_x": 3], ["item10": 1, "item2": 2], ["camelCase": "x"], .double(0.1), ["d": .double(1e300)],
            ["a b": 1, "a": 2], [.string("x"), .double(2.5), .null],
        ]
        for (i, p) in odd.enumerated() { try expectSame(Self.event(Int64(i), payload: p, issue: true)) }
    }

    @Test func typesWithoutAWriterAreNotClaimed() {
        #expect(KataJSON.fastBytes(ProjectListAnswer(projects: [])) == nil)
    }
}
