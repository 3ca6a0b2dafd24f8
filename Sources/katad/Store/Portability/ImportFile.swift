import Foundation
import Shared

/// Reads a JSONL file line by line in large chunks, without loading it whole.
struct JSONLReader: ~Copyable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    private(set) var lineNumber = 0
    /// The longest line read (an issue's body is at most 1 MiB; a line has a few of those at worst).
    static let maxLine = 16 << 20

    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KataError.validation("file", "cannot open the import file: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// The next line (without its newline), or nil at the end of the file.
    mutating func next() throws -> [UInt8]? {
        var scanned = start  // bytes before this hold no newline of the current line
        while true {
            if let nl = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                lineNumber += 1
                return line
            }
            scanned = buffer.count
            if eof {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                lineNumber += 1
                return line
            }
            if start > 0 {
                buffer.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
            if buffer.count > Self.maxLine {
                throw ImportProblem.at(lineNumber + 1, nil, "the line is over \(Self.maxLine >> 20) MiB: not a line of a kata export")
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw KataError.validation("file", "cannot read the import file: \(String(cString: strerror(errno)))") }
            if n == 0 { eof = true } else { buffer += chunk[0..<n] }
        }
    }
}

/// One decoded line of an export.
struct ImportLine {
    let number: Int
    let kind: String
    let fields: [String: JSONValue]
}

/// What is wrong with an import file, by line and field; nothing is imported when one is found.
enum ImportProblem {
    static func at(_ line: Int, _ field: String?, _ message: String) -> KataError {
        var data: [String: JSONValue] = ["line": .int(Int64(line))]
        if let field { data["field"] = .string(field) }
        return KataError(
            400, .validation, "line \(line): \(message)",
            hint: "fix the file (the header is line 1) and import it again; nothing was imported", data: .object(data))
    }
}

/// Decodes and checks lines of one file: the header, the order of kinds, every field's presence and
/// type, unique values, references to earlier rows, and the end line.
struct ImportValidator {
    let decoder = JSONDecoder()
    var version = ExportFormat.version
    var headerInstance = ""
    var lastRank = -1
    var seenEnd = false
    var ids: [String: Set<Int64>] = [:]
    var uniques: [String: [String: Int]] = [:]
    var counts: [String: Int] = [:]
    var needsAdmin = false
    var hiddenProjects: Set<Int64> = []
    var meta: [String: String] = [:]

    /// Decodes line `number` and checks it against what came before.
    mutating func check(_ bytes: [UInt8], number: Int) throws -> ImportLine {
        if seenEnd { throw ImportProblem.at(number, nil, "nothing may follow the end line") }
        if bytes.isEmpty { throw ImportProblem.at(number, nil, "the line is empty; every line is one JSON object") }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ImportProblem.at(number, nil, "the line is not valid UTF-8")
        }
        let value: JSONValue
        do {
            value = try decoder.decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw ImportProblem.at(number, nil, "not JSON: \(Self.reason(error))")
        }
        guard case .object(var fields) = value else { throw ImportProblem.at(number, nil, "not a JSON object") }
        guard case .string(let kind)? = fields.removeValue(forKey: "kind") else {
            throw ImportProblem.at(number, "kind", "every line needs a string `kind`")
        }
        if number == 1 {
            guard kind == "header" else { throw ImportProblem.at(1, "kind", "the first line must be the header, not `\(kind)`: is this a kata export?") }
            try header(fields)
            return ImportLine(number: number, kind: kind, fields: fields)
        }
        switch kind {
        case "header": throw ImportProblem.at(number, "kind", "a second header")
        case "end":
            guard case .int(let n)? = fields["lines"] else { throw ImportProblem.at(number, "lines", "the end line needs an integer `lines`") }
            guard n == Int64(number) else {
                throw ImportProblem.at(number, "lines", "the end line counts \(n) lines but this is line \(number): the file was cut or edited")
            }
            seenEnd = true
        case "meta":
            if lastRank >= 0 { throw ImportProblem.at(number, "kind", "`meta` lines come right after the header") }
            guard case .string(let key)? = fields["key"], case .string(let value)? = fields["value"], fields.count == 2 else {
                throw ImportProblem.at(number, nil, "a meta line has exactly a string `key` and a string `value`")
            }
            if key == ExportFormat.eventSequenceKey, Int64(value) == nil {
                throw ImportProblem.at(number, "value", "\(key) must be an integer")
            }
            meta[key] = value
        default:
            guard let table = ExportFormat.tableByKind[kind] else {
                throw ImportProblem.at(
                    number, "kind", "unknown kind `\(kind)`; expected one of meta, \(ExportFormat.tables.map(\.kind).joined(separator: ", ")), end")
            }
            fields = try row(table, fields, number: number)
        }
        counts[kind, default: 0] += 1
        return ImportLine(number: number, kind: kind, fields: fields)
    }

    /// Checks the whole file was read: it ended with its end line.
    func finish(lines: Int) throws {
        if lines == 0 { throw ImportProblem.at(1, nil, "the file is empty: not a kata export") }
        if !seenEnd && version >= 1 {
            throw ImportProblem.at(lines, nil, "the file ends at line \(lines) without its end line: it is truncated")
        }
    }

    mutating func header(_ fields: [String: JSONValue]) throws {
        guard case .int(let v)? = fields["export_version"] else {
            throw ImportProblem.at(1, "export_version", "the header needs an integer `export_version`")
        }
        guard v <= ExportFormat.version else {
            throw ImportProblem.at(
                1, "export_version",
                "export_version \(v) is newer than this katad reads (up to \(ExportFormat.version)): upgrade katad to import this file")
        }
        guard v >= 0, v == ExportFormat.version || ExportFormat.fillRules[Int(v)] != nil else {
            throw ImportProblem.at(1, "export_version", "export_version \(v) is not one this katad knows")
        }
        version = Int(v)
        if case .string(let s)? = fields["instance_uid"] { headerInstance = s }
    }

    mutating func row(_ table: ExportFormat.Table, _ given: [String: JSONValue], number: Int) throws -> [String: JSONValue] {
        guard let rank = ExportFormat.rank[table.kind], rank >= lastRank else {
            throw ImportProblem.at(number, "kind", "`\(table.kind)` lines must come before the lines of kinds after it (export order)")
        }
        lastRank = rank
        var fields = given
        if version < ExportFormat.version {
            for (key, value) in ExportFormat.fillRules[version]?[table.kind] ?? [:] where fields[key] == nil { fields[key] = value }
        }
        for key in fields.keys where !table.columns.contains(where: { $0.key == key }) {
            throw ImportProblem.at(number, key, "\(table.kind) has no field `\(key)`")
        }
        for c in table.columns {
            switch fields[c.key] {
            case nil: throw ImportProblem.at(number, c.key, "\(table.kind) lacks the field `\(c.key)`")
            case .null?: if !c.nullable { throw ImportProblem.at(number, c.key, "\(table.kind).\(c.key) must not be null") }
            case .int?: if c.type != .int { throw ImportProblem.at(number, c.key, "\(table.kind).\(c.key) must be a string") }
            case .string?: if c.type != .text { throw ImportProblem.at(number, c.key, "\(table.kind).\(c.key) must be an integer") }
            default:
                throw ImportProblem.at(number, c.key, "\(table.kind).\(c.key) must be \(c.type == .int ? "an integer" : "a string")\(c.nullable ? " or null" : "")")
            }
        }
        if table.hasID, case .int(let id)? = fields["id"] {
            if ids[table.kind, default: []].contains(id) { throw ImportProblem.at(number, "id", "duplicate \(table.kind) id \(id)") }
            ids[table.kind, default: []].insert(id)
        }
        for r in table.references {
            guard case .int(let target)? = fields[r.key] else { continue }
            if !(ids[r.kind]?.contains(target) ?? false) {
                throw ImportProblem.at(number, r.key, "\(table.kind).\(r.key) \(target) refers to no \(r.kind) earlier in the file")
            }
        }
        for group in table.unique {
            let value = group.map { Self.text(fields[$0]) }.joined(separator: "\u{1F}")
            let key = table.kind + ":" + group.joined(separator: ",")
            if let first = uniques[key]?[value] {
                throw ImportProblem.at(
                    number, group.last, "duplicate \(table.kind) \(group.joined(separator: "+")) \(group.map { Self.text(fields[$0]) }.joined(separator: "/")) (also on line \(first))")
            }
            uniques[key, default: [:]][value] = number
        }
        if table.kind == "issue", case .string(let uid)? = fields["uid"], case .string(let shortId)? = fields["short_id"] {
            try Self.checkShortId(shortId, uid: uid, line: number)
        }
        if table.authOnly { needsAdmin = true }
        if table.kind == "project", case .int(1)? = fields["hidden"], case .int(let id)? = fields["id"] {
            hiddenProjects.insert(id)
            needsAdmin = true
        }
        return fields
    }

    /// A short id is the lowercased tail of its issue's uid, 4 characters or more: lookups by short id
    /// search the uids' tails (`issues_uid_rev`), so any other short id could never be found.
    static func checkShortId(_ shortId: String, uid: String, line: Int) throws {
        let tail = uid.lowercased()
        guard shortId.utf8.count >= 4, shortId.utf8.count <= tail.utf8.count, shortId == shortId.lowercased(), tail.hasSuffix(shortId) else {
            throw ImportProblem.at(
                line, "short_id", "issue.short_id \(shortId) is not the end of the issue's uid \(uid) in lower case: a short id is the last 4 or more characters of the uid")
        }
    }

    static func text(_ v: JSONValue?) -> String {
        switch v {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        default: return "null"
        }
    }

    static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let c) = error {
            return (c.underlyingError.map { "\($0)" } ?? c.debugDescription).prefix(200).description
        }
        return "\(error)".prefix(200).description
    }
}
