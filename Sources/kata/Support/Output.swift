import Foundation
import Shared

/// Printing answers and errors, in JSON (`--json`) or for people.
struct Output {
    let json: Bool
    let quiet: Bool

    init(_ options: GlobalOptions) {
        json = options.json
        quiet = options.quiet
    }

    /// Prints raw JSON bytes (the server's answer) on one line.
    func raw(_ bytes: [UInt8]) {
        var b = bytes
        if b.last != 10 { b.append(10) }
        FileHandle.standardOutput.write(Data(b))
    }

    /// Prints an encodable value as JSON.
    func value(_ v: some Encodable) {
        raw(Array((try? KataJSON.encode(v)) ?? Data("{}".utf8)))
    }

    /// Prints a line for people (unless --quiet).
    func line(_ text: String) {
        guard !quiet else { return }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Prints an error envelope: JSON on stdout with --json, else `kata: message` and the hint on stderr.
    func error(_ e: ErrorEnvelope) {
        if json {
            value(e)
        } else {
            var text = "kata: \(e.error.message) [\(e.error.code)]"
            if let hint = e.error.hint { text += "\n  hint: \(hint)" }
            printError(text)
        }
    }
}

/// Runs a command body, turning an `ErrorEnvelope` into printed output and the spec's exit code.
func runCommand(_ options: GlobalOptions, _ body: (Session, Output) throws(ErrorEnvelope) -> Void) throws {
    let out = Output(options)
    let session = Session(options)
    do {
        try body(session, out)
    } catch {
        out.error(error)
        throw KataExit(code: error.exitCode.rawValue)
    }
}

/// An exit with a given code after the error was already printed.
struct KataExit: Error {
    let code: Int32
}

/// Human formatting of issues.
enum Format {
    static func issueLine(_ i: Issue) -> String {
        let labels = i.labels.isEmpty ? "" : "  [" + i.labels.joined(separator: ", ") + "]"
        let owner = i.owner.map { "  @\($0)" } ?? ""
        let status = i.status == "open" ? "open  " : "closed"
        return "#\(i.number)\t\(status)  \(i.title)\(labels)\(owner)"
    }

    static func issueDetail(_ d: IssueDetailAnswer) -> String {
        let i = d.issue
        var lines = ["#\(i.number) \(i.title)"]
        var state = i.status
        if let r = i.closedReason { state += " (\(r))" }
        if i.deletedAt != nil { state += ", deleted" }
        lines.append("status: \(state)   project: \(i.projectName)   id: \(i.shortId) (\(i.uid))")
        lines.append("author: \(i.author)   owner: \(i.owner ?? "-")   labels: \(i.labels.isEmpty ? "-" : i.labels.joined(separator: ", "))")
        lines.append("created: \(i.createdAt)   updated: \(i.updatedAt)")
        let l = d.links
        func refs(_ r: [IssueRef]) -> String { r.map { "#\($0.number)" }.joined(separator: ", ") }
        if let p = l.parent { lines.append("parent: #\(p.number) \(p.title)") }
        if !l.children.isEmpty { lines.append("children: \(refs(l.children))") }
        if !l.blocks.isEmpty { lines.append("blocks: \(refs(l.blocks))") }
        if !l.blockedBy.isEmpty { lines.append("blocked by: \(refs(l.blockedBy))") }
        if !l.related.isEmpty { lines.append("related: \(refs(l.related))") }
        if !i.body.isEmpty { lines.append("\n" + i.body) }
        if let comments = d.comments, !comments.isEmpty {
            lines.append("\ncomments:")
            for c in comments { lines.append("- \(c.author) at \(c.createdAt):\n  \(c.body.replacingOccurrences(of: "\n", with: "\n  "))") }
        }
        if let events = d.events, !events.isEmpty {
            lines.append("\nevents:")
            for e in events { lines.append("- \(e.id) \(e.type) by \(e.actor) at \(e.createdAt)") }
        }
        return lines.joined(separator: "\n")
    }

    static func eventLine(_ e: Event) -> String {
        let issue = e.issueNumber.map { "\(e.projectName)#\($0)" } ?? e.projectName
        return "\(e.id)\t\(e.createdAt)  \(e.type)  \(issue)  by \(e.actor)"
    }
}
