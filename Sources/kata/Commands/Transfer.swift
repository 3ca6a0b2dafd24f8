import ArgumentParser
import Foundation
import Shared

/// `kata export`: the server's data as JSONL.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", 
        abstract: "Write all projects, issues, comments, labels, links, events and the purge log as JSONL.",
        discussion: """
            One JSON object per line, in a deterministic order: two exports of the same data are byte-identical. \
            An admin's export also carries users and tokens (hashes only) and the hidden system project's events. \
            The file ends with an end line; an export cut short is reported, and with --out the file is only \
            written (0600) once complete.

            Example:
              kata export --out kata-$(date +%F).jsonl
            """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("out"), help: "Write to this file (0600) instead of standard output.") var outFile: String?
    @Flag(help: "Replace --out when it exists.") var force = false

    struct Answer: Codable {
        var path: String?
        var lines: Int
        var bytes: Int64
    }

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let client = try session.client()
            var sink = try ExportSink(path: outFile, force: force)
            do throws(ErrorEnvelope) {
                try client.download("/api/v1/export") { piece throws(ErrorEnvelope) in try sink.write(piece) }
                try sink.finish()
            } catch {
                sink.abandon()
                throw error
            }
            guard let path = outFile else { return }
            let answer = Answer(path: Paths.absolute(path), lines: sink.lines, bytes: sink.bytes)
            if out.json { return out.value(answer) }
            out.line("exported \(sink.lines) lines (\(sink.bytes) bytes) to \(path)")
        }
    }
}

/// Where an export goes: standard output, or a temporary file renamed over `--out` once complete.
struct ExportSink {
    let path: String?
    let tmp: String?
    let fd: Int32
    var lines = 0
    var bytes: Int64 = 0
    /// The last line seen so far (to check the end line).
    var tail: [UInt8] = []

    init(path: String?, force: Bool) throws(ErrorEnvelope) {
        self.path = path
        guard let path else {
            tmp = nil
            fd = 1
            return
        }
        if !force, access(path, F_OK) == 0 { throw CLIError.usage("\(path) exists", hint: "choose another file, or pass --force") }
        let t = "\(path).tmp-\(getpid())"
        let f = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard f >= 0 else { throw CLIError.usage("cannot write \(t): \(String(cString: strerror(errno)))") }
        fchmod(f, 0o600)
        tmp = t
        fd = f
    }

    mutating func write(_ piece: [UInt8]) throws(ErrorEnvelope) {
        var offset = 0
        while offset < piece.count {
            let n = piece[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { throw CLIError.usage("cannot write the export: \(String(cString: strerror(errno)))") }
            offset += n
        }
        bytes += Int64(piece.count)
        for b in piece {
            if b == UInt8(ascii: "\n") {
                lines += 1
                lastLineWasEnd = tail.starts(with: Array(#"{"kind":"end","#.utf8))
                if !tail.isEmpty { tail.removeAll(keepingCapacity: true) }
            } else if tail.count < 256 {
                tail.append(b)
            }
        }
    }

    /// Checks the end line arrived, then puts the file in place.
    mutating func finish() throws(ErrorEnvelope) {
        if let tmp, let path {
            fsync(fd)
            close(fd)
            guard lastLineWasEnd else {
                unlink(tmp)
                throw Self.cutShort(lines)
            }
            guard rename(tmp, path) == 0 else {
                unlink(tmp)
                throw CLIError.usage("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } else if !lastLineWasEnd {
            throw Self.cutShort(lines)
        }
    }

    func abandon() {
        if let tmp {
            close(fd)
            unlink(tmp)
        }
    }

    var lastLineWasEnd = false

    static func cutShort(_ lines: Int) -> ErrorEnvelope {
        ErrorEnvelope(
            status: 0, code: .daemonUnavailable, message: "the export was cut short after \(lines) lines (no end line)",
            hint: "run it again; see the daemon's log if it keeps failing")
    }
}

/// `kata import FILE [--merge]`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", 
        abstract: "Load a JSONL export: every line is checked first, then all of it loads in one transaction.",
        discussion: """
            Into an empty database the export's ids, numbers, event ids and instance uid are kept, so \
            export, import, export again gives the same bytes. With --merge the data joins what is there (new ids; \
            the file's uids and project names must be new here). The first bad line is reported by number and \
            field and nothing is imported. Needs the role operator (admin when the file carries users or tokens).

            Example:
              KATA_HOME=/tmp/copy kata import kata-2026-12-01.jsonl
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The export file (JSONL).") var file: String
    @Flag(help: "Add to a database that already holds data.") var merge = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let client = try session.client()
            let answer = try client.upload("/api/v1/import" + (merge ? "?merge=true" : ""), file: file, contentType: "application/x-ndjson")
            if out.json { return out.raw(answer.body) }
            let a = try KataClient.decode(ImportAnswer.self, answer)
            let counts = a.imported.keys.sorted().map { "\(a.imported[$0]!) \($0)" }.joined(separator: ", ")
            out.line("imported \(a.lines) lines (\(a.mode)): \(counts.isEmpty ? "nothing" : counts)")
        }
    }
}
