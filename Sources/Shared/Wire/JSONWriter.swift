import Foundation

/// Writes the answers of the hot paths (an issue, a page of issues, a mutation, an event) straight into
/// bytes, with the output `KataJSON.encoder()` gives for the same value: snake_case keys in sorted order,
/// `null` where the `Encodable` conformance writes one, the same string escaping, no escaped slashes.
/// `JSONEncoder` builds a tree of boxed values and converts every key on every call, which was the
/// largest single cost of serving a read (bench/README.md, "Profile"). Tests compare both outputs.
public struct JSONWriter: ~Copyable {
    /// The bytes written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Calls `body` with the bytes written so far, in place.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    // A growable buffer written through a pointer: `Array`'s checks at every `append` of a byte or two
    // were a third of the writing. Noncopyable, so the buffer has one owner, which frees it.
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Room for `n` more bytes.
    @inline(__always) private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var next = capacity * 2
        while next < needed { next *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: next)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = next
    }

    @inline(__always) private mutating func append(_ c: UInt8) {
        reserve(1)
        base[count] = c
        count += 1
    }

    @inline(__always) private mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        guard let start = p.baseAddress, !p.isEmpty else { return }
        reserve(p.count)
        (base + count).update(from: start, count: p.count)
        count += p.count
    }

    @inline(__always) private mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { append($0) }
    }

    /// One structural character: `{ } [ ] , :`.
    package mutating func byte(_ c: UInt8) { append(c) }

    /// `"key":`, preceded by a comma unless it is the object's first member. Keys are ASCII snake_case and
    /// every caller passes them in sorted order.
    package mutating func key(_ k: StaticString, first: inout Bool) {
        // One capacity check, then the bytes written in place: this runs for every member of every answer.
        k.withUTF8Buffer { name in
            reserve(name.count + 4)
            var at = base + count
            if !first {
                at.pointee = UInt8(ascii: ",")
                at += 1
            }
            at.pointee = UInt8(ascii: "\"")
            if let start = name.baseAddress { (at + 1).update(from: start, count: name.count) }
            at += 1 + name.count
            at[0] = UInt8(ascii: "\"")
            at[1] = UInt8(ascii: ":")
            count = at + 2 - base
        }
        first = false
    }

    package mutating func null() { append("null") }

    mutating func bool(_ b: Bool) { append(b ? "true" : "false") }

    package mutating func int(_ v: Int64) {
        if v == 0 {
            append(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 {
                buf[count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            }
        }
        reserve(count + 1)
        if v < 0 { append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { buf in
            for i in stride(from: count - 1, through: 0, by: -1) { append(buf[i]) }
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`, everything
    /// else (`/` and non-ASCII included) as its UTF-8 bytes.
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string(utf8: $0) }
    }

    /// A JSON string from UTF-8 bytes (a text column read in place, say), escaped as `string(_:)` does.
    package mutating func string(utf8: UnsafeBufferPointer<UInt8>) {
        reserve(utf8.count + 2)
        append(UInt8(ascii: "\""))
        guard let p = utf8.baseAddress else {
            append(UInt8(ascii: "\""))
            return
        }
        let n = utf8.count
        var start = 0
        var i = 0
        while i < n {
            // Eight bytes at a time while none needs escaping (most text), then byte by byte to the end of
            // the word that has one.
            while i + 8 <= n, !Self.hasByteToEscape(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) { i += 8 }
            let end = min(i + 8, n)
            while i < end {
                let c = p[i]
                if c >= 0x20 && c != 0x22 && c != 0x5C {
                    i += 1
                    continue
                }
                if start < i { append(UnsafeBufferPointer(start: p + start, count: i - start)) }
                start = i + 1
                i += 1
                escape(c)
            }
        }
        if start < n { append(UnsafeBufferPointer(start: p + start, count: n - start)) }
        append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes of `w` is a control character, `"` or `\` (exact: a false positive of
    /// the subtraction only comes above a byte that truly matches; bytes over 0x7F never match).
    @inline(__always) package static func hasByteToEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let backslash = w ^ (ones &* 0x5C)
        let below20 = (w &- ones &* 0x20) & ~w
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        return (below20 | zeroQuote | zeroBackslash) & highs != 0
    }

    private mutating func escape(_ c: UInt8) {
        switch c {
        case 0x22: append(#"\""#)
        case 0x5C: append(#"\\"#)
        case 0x08: append(#"\b"#)
        case 0x0C: append(#"\f"#)
        case 0x0A: append(#"\n"#)
        case 0x0D: append(#"\r"#)
        case 0x09: append(#"\t"#)
        default:
            let hex: StaticString = "0123456789abcdef"
            append(#"\u00"#)
            hex.withUTF8Buffer { h in
                append(h[Int(c >> 4)])
                append(h[Int(c & 0xF)])
            }
        }
    }

    mutating func string(_ s: String?) {
        if let s { string(s) } else { null() }
    }

    mutating func int(_ v: Int64?) {
        if let v { int(v) } else { null() }
    }

    mutating func array<T>(_ items: [T], _ each: (inout JSONWriter, T) -> Void) {
        append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { append(UInt8(ascii: ",")) }
            each(&self, item)
        }
        append(UInt8(ascii: "]"))
    }

    /// Anything else, through `JSONEncoder` (the same output, the slow way).
    mutating func encoded(_ value: some Encodable) {
        let data = (try? KataJSON.encoder().encode(value)) ?? Data("null".utf8)
        data.withUnsafeBytes { append($0.bindMemory(to: UInt8.self)) }
    }

    package mutating func value(_ v: some JSONWritable) { v.write(to: &self) }
}

/// A wire type that writes itself with `JSONWriter`.
public protocol JSONWritable {
    func write(to w: inout JSONWriter)
}

extension Issue: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("author", first: &f); w.string(author)
        w.key("body", first: &f); w.string(body)
        w.key("closed_at", first: &f); w.string(closedAt)
        w.key("closed_reason", first: &f); w.string(closedReason)
        w.key("created_at", first: &f); w.string(createdAt)
        w.key("deleted_at", first: &f); w.string(deletedAt)
        w.key("id", first: &f); w.int(id)
        w.key("labels", first: &f); w.array(labels) { $0.string($1) }
        w.key("number", first: &f); w.int(number)
        w.key("owner", first: &f); w.string(owner)
        w.key("project_id", first: &f); w.int(projectId)
        w.key("project_name", first: &f); w.string(projectName)
        w.key("short_id", first: &f); w.string(shortId)
        w.key("status", first: &f); w.string(status)
        w.key("title", first: &f); w.string(title)
        w.key("uid", first: &f); w.string(uid)
        w.key("updated_at", first: &f); w.string(updatedAt)
        w.byte(UInt8(ascii: "}"))
    }
}

extension IssueRef: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("number", first: &f); w.int(number)
        w.key("short_id", first: &f); w.string(shortId)
        w.key("status", first: &f); w.string(status)
        w.key("title", first: &f); w.string(title)
        w.key("uid", first: &f); w.string(uid)
        w.byte(UInt8(ascii: "}"))
    }
}

extension IssueLinks: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("blocked_by", first: &f); w.array(blockedBy) { $0.value($1) }
        w.key("blocks", first: &f); w.array(blocks) { $0.value($1) }
        w.key("children", first: &f); w.array(children) { $0.value($1) }
        w.key("parent", first: &f)
        if let parent { w.value(parent) } else { w.null() }
        w.key("related", first: &f); w.array(related) { $0.value($1) }
        w.byte(UInt8(ascii: "}"))
    }
}

extension Comment: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("author", first: &f); w.string(author)
        w.key("body", first: &f); w.string(body)
        w.key("created_at", first: &f); w.string(createdAt)
        w.key("id", first: &f); w.int(id)
        w.key("issue_uid", first: &f); w.string(issueUid)
        w.byte(UInt8(ascii: "}"))
    }
}

extension Event: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("actor", first: &f); w.string(actor)
        w.key("created_at", first: &f); w.string(createdAt)
        w.key("id", first: &f); w.int(id)
        w.key("issue_number", first: &f); w.int(issueNumber)
        w.key("issue_uid", first: &f); w.string(issueUid)
        w.key("payload", first: &f); w.value(payload)
        w.key("project_id", first: &f); w.int(projectId)
        w.key("project_name", first: &f); w.string(projectName)
        w.key("type", first: &f); w.string(type)
        w.key("uid", first: &f); w.string(uid)
        w.byte(UInt8(ascii: "}"))
    }
}

extension JSONValue: JSONWritable {
    public func write(to w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let i): w.int(i)
        case .double: w.encoded(self)
        case .string(let s): w.string(s)
        case .array(let a): w.array(a) { $0.value($1) }
        case .object(let o):
            // Keys of lowercase ASCII letters, digits and `_` (all of kata's own payloads) sort by their
            // bytes, as JSONEncoder sorts them; anything else goes through JSONEncoder itself.
            guard o.keys.allSatisfy(JSONWriter.isPlainKey) else { return w.encoded(self) }
            w.byte(UInt8(ascii: "{"))
            for (i, key) in o.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(key)
                w.byte(UInt8(ascii: ":"))
                w.value(o[key]!)
            }
            w.byte(UInt8(ascii: "}"))
        }
    }
}

extension JSONWriter {
    /// A key that JSONEncoder's snake_case conversion leaves alone and its key sort orders by bytes.
    static func isPlainKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, first >= 0x61 && first <= 0x7A else { return false }
        return key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }
}

extension IssueDetailAnswer: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        if let comments { w.key("comments", first: &f); w.array(comments) { $0.value($1) } }
        if let events { w.key("events", first: &f); w.array(events) { $0.value($1) } }
        w.key("issue", first: &f); w.value(issue)
        w.key("links", first: &f); w.value(links)
        w.byte(UInt8(ascii: "}"))
    }
}

extension MutationAnswer: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("changed", first: &f); w.bool(changed)
        w.key("event", first: &f)
        if let event { w.value(event) } else { w.null() }
        w.key("issue", first: &f); w.value(issue)
        if let reused { w.key("reused", first: &f); w.bool(reused) }
        w.byte(UInt8(ascii: "}"))
    }
}

extension IssueListAnswer: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("issues", first: &f); w.array(issues) { $0.value($1) }
        w.key("next_cursor", first: &f); w.string(nextCursor)
        w.byte(UInt8(ascii: "}"))
    }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func write(to w: inout JSONWriter) {
        w.array(self) { $0.value($1) }
    }
}

extension ReadyAnswer: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("issues", first: &f); w.array(issues) { $0.value($1) }
        w.byte(UInt8(ascii: "}"))
    }
}

extension SearchAnswer: JSONWritable {
    public func write(to w: inout JSONWriter) {
        var f = true
        w.byte(UInt8(ascii: "{"))
        w.key("results", first: &f)
        w.array(results) { w, hit in
            var f = true
            w.byte(UInt8(ascii: "{"))
            w.key("issue", first: &f); w.value(hit.issue)
            w.key("score", first: &f); w.encoded(hit.score)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "}"))
    }
}
