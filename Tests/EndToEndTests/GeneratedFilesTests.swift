// The committed completion scripts (completions/) and generated man pages (man/kata.1, katad.8,
// kata-admin.8) must match what the built binaries produce; `scripts/generate-docs` regenerates them.
//
// Binaries: `$KATA_BIN_DIR`, else the folder holding this test bundle (`.build/debug`), else
// `<repo>/.build/debug`. Man pages are compared byte for byte when swift-argument-parser's
// generate-manual tool is at hand (`$GENERATE_MANUAL`, or built by the GenerateManual plugin under
// `.build/`); otherwise every command, option and help text of `--experimental-dump-help` must
// appear in the committed page. `GENERATE_MANUAL=none` forces that second check.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Generated files: completions and man pages")
struct GeneratedFilesTests {
    struct Completion: Sendable, CustomTestStringConvertible {
        var program: String
        var shell: String
        var file: String
        var testDescription: String { "completions/\(file)" }
    }

    static let completions: [Completion] = ["kata", "kata-admin"].flatMap { p in
        [
            Completion(program: p, shell: "bash", file: "\(p).bash"),
            Completion(program: p, shell: "zsh", file: "_\(p)"),
            Completion(program: p, shell: "fish", file: "\(p).fish"),
        ]
    }

    static let manPages: [(program: String, file: String)] = [
        ("kata", "kata.1"), ("katad", "katad.8"), ("kata-admin", "kata-admin.8"),
    ]

    @Test("completion script is current", arguments: completions)
    func completionScript(_ c: Completion) throws {
        let program = try GeneratedFiles.binary(c.program)
        let run = try GeneratedFiles.run(program, ["--generate-completion-script", c.shell])
        try #require(run.status == 0, "\(c.program) --generate-completion-script \(c.shell) exited \(run.status): \(run.stderr)")
        let committed = try GeneratedFiles.committed("completions/\(c.file)")
        GeneratedFiles.expectSame(run.stdout, committed, file: "completions/\(c.file)")
    }

    @Test(
        "man pages are current (byte for byte, with the generate-manual tool)",
        .enabled(if: GeneratedFiles.manualTool() != nil, "swift-argument-parser's generate-manual tool is not built"))
    func manPagesExact() throws {
        let tool = try #require(GeneratedFiles.manualTool())
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kata-docs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: out) }
        let script = GeneratedFiles.repoRoot + "/scripts/generate-docs"
        let run = try GeneratedFiles.run(
            "/bin/bash", [script, "--out", out.path, GeneratedFiles.binDir], environment: ["GENERATE_MANUAL": tool])
        try #require(run.status == 0, "scripts/generate-docs failed (\(run.status)): \(run.stderr)")
        for page in Self.manPages {
            let fresh = try String(contentsOfFile: out.path + "/man/" + page.file, encoding: .utf8)
            GeneratedFiles.expectSame(fresh, try GeneratedFiles.committed("man/" + page.file), file: "man/" + page.file)
        }
    }

    /// operations.md via issue 8: every command's help says what it does, with an example.
    @Test("every command and group has an abstract and an example")
    func everyCommandHasAnExample() throws {
        for page in Self.manPages {
            let program = try GeneratedFiles.binary(page.program)
            let run = try GeneratedFiles.run(program, ["--experimental-dump-help"])
            try #require(run.status == 0)
            let dump = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            let root = try #require(dump?["command"] as? [String: Any])
            var lacking: [String] = []
            GeneratedFiles.walk(root, path: page.program) { path, command, _ in
                guard (command["shouldDisplay"] as? Bool ?? true), (command["commandName"] as? String) != "help" else { return }
                let abstract = command["abstract"] as? String ?? ""
                let discussion = command["discussion"] as? String ?? ""
                if abstract.isEmpty || !(discussion + abstract).contains("Example") { lacking.append(path) }
            }
            #expect(lacking.isEmpty, "commands without an abstract and an example in their help: \(lacking)")
        }
    }

    @Test("man pages cover every command, option and help text")
    func manPagesCoverHelp() throws {
        for page in Self.manPages {
            let program = try GeneratedFiles.binary(page.program)
            let run = try GeneratedFiles.run(program, ["--experimental-dump-help"])
            try #require(run.status == 0, "\(page.program) --experimental-dump-help exited \(run.status)")
            let dump = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            let root = try #require(dump?["command"] as? [String: Any], "no command in \(page.program)'s help dump")
            let man = try GeneratedFiles.committed("man/" + page.file)
            let text = GeneratedFiles.plainText(ofMdoc: man)
            var missing: [String] = []
            GeneratedFiles.walk(root, path: page.program) { path, command, isRoot in
                if !isRoot, let name = command["commandName"] as? String,
                    !man.contains(".It Em \(name)\n"), !man.contains(".It Em \"\(name),")  // `"rm, remove"`: a command with aliases
                {
                    missing.append("command \(path)")
                }
                for key in ["abstract", "discussion"] {
                    if let s = command[key] as? String, !s.isEmpty, !text.contains(GeneratedFiles.collapse(s)) {
                        missing.append("\(key) of \(path): \(s.prefix(60))")
                    }
                }
                for arg in command["arguments"] as? [[String: Any]] ?? [] where arg["shouldDisplay"] as? Bool ?? true {
                    for n in arg["names"] as? [[String: Any]] ?? [] {
                        guard let name = n["name"] as? String else { continue }
                        let flag = (n["kind"] as? String) == "long" ? "Fl -\(name)" : "Fl \(name)"
                        if !man.contains(flag) { missing.append("option --\(name) of \(path)") }
                    }
                    if let s = arg["abstract"] as? String, !s.isEmpty, !text.contains(GeneratedFiles.collapse(s)) {
                        missing.append("help of an option of \(path): \(s.prefix(60))")
                    }
                }
            }
            #expect(missing.isEmpty, "man/\(page.file) is stale (run scripts/generate-docs); missing: \(missing.joined(separator: "; "))")
        }
    }
}

/// Start-up cost: a command without `commandName` makes swift-argument-parser derive it with
/// `String(describing:)` of its type, which asks the runtime for protocol conformances and, the first
/// time for each type, scans every conformance record of the binary: over half of `kata list`'s CPU in a
/// statically linked build (bench/README.md, "kata end to end").
@Suite("Command configurations")
struct CommandNameTests {
    @Test("every command names itself", arguments: ["Sources/kata", "Sources/kata-admin", "Sources/katad"])
    func everyCommandNamesItself(_ folder: String) throws {
        let root = GeneratedFiles.repoRoot + "/" + folder
        let files = try #require(FileManager.default.enumerator(atPath: root)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        var seen = 0
        for file in files {
            let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
            var rest = Substring(text)
            while let r = rest.range(of: "CommandConfiguration(") {
                seen += 1
                let call = rest[r.upperBound...].prefix(200)
                #expect(call.drop(while: \.isWhitespace).hasPrefix("commandName:"), "\(folder)/\(file): a CommandConfiguration without commandName")
                rest = rest[r.upperBound...]
            }
        }
        #expect(seen > 0, "no CommandConfiguration found under \(folder)")
    }
}

/// Helpers of these tests (self-contained: Foundation only).
private enum GeneratedFiles {
    /// The repository root: the nearest folder above this file holding Package.swift.
    static let repoRoot: String = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
            dir = dir.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// The folder holding the built programs.
    static let binDir: String = {
        let env = ProcessInfo.processInfo.environment
        if let d = env["KATA_BIN_DIR"], !d.isEmpty { return URL(fileURLWithPath: d).standardizedFileURL.path }
        var candidates: [String] = []
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: me).deletingLastPathComponent().path)
        }
        if let exe = Bundle.main.executablePath {
            candidates.append(URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent().path)
        }
        candidates.append(repoRoot + "/.build/debug")
        for c in candidates where access(c + "/kata", X_OK) == 0 && access(c + "/kata-admin", X_OK) == 0 {
            return c
        }
        return candidates.last!
    }()

    static func binary(_ name: String) throws -> String {
        let path = binDir + "/" + name
        try #require(access(path, X_OK) == 0, "program \(path) not found; build with `swift build` or set KATA_BIN_DIR")
        return path
    }

    /// swift-argument-parser's generate-manual tool, or nil (`GENERATE_MANUAL=none` forces nil).
    static func manualTool() -> String? {
        if let t = ProcessInfo.processInfo.environment["GENERATE_MANUAL"], !t.isEmpty {
            return access(t, X_OK) == 0 ? t : nil
        }
        let build = repoRoot + "/.build"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: build)) ?? []
        for entry in entries.sorted() {
            for config in ["debug", "release"] {
                let t = "\(build)/\(entry)/\(config)/generate-manual-tool"
                if access(t, X_OK) == 0 { return t }
            }
        }
        return nil
    }

    static func committed(_ relative: String) throws -> String {
        let path = repoRoot + "/" + relative
        try #require(FileManager.default.fileExists(atPath: path), "\(relative) is missing; run scripts/generate-docs")
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion (no standard input), collecting both outputs.
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        p.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Standard error read on another thread; the DispatchGroup orders the write before the read.
    final class DataBox: @unchecked Sendable {
        var data = Data()
    }

    /// Expects two texts to be equal, naming the first differing line when they are not.
    static func expectSame(_ fresh: String, _ committed: String, file: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard fresh != committed else { return }
        let a = fresh.components(separatedBy: "\n")
        let b = committed.components(separatedBy: "\n")
        var line = 0
        while line < min(a.count, b.count) && a[line] == b[line] { line += 1 }
        let generated = line < a.count ? a[line] : "<end of file>"
        let inRepo = line < b.count ? b[line] : "<end of file>"
        Issue.record(
            "\(file) is stale; run scripts/generate-docs. First difference at line \(line + 1):\n  generated: \(generated)\n  committed: \(inRepo)",
            sourceLocation: sourceLocation)
    }

    /// Visits a command of the help dump and its subcommands.
    static func walk(_ command: [String: Any], path: String, isRoot: Bool = true, _ visit: (String, [String: Any], Bool) -> Void) {
        visit(path, command, isRoot)
        for sub in command["subcommands"] as? [[String: Any]] ?? [] {
            walk(sub, path: path + " " + (sub["commandName"] as? String ?? "?"), isRoot: false, visit)
        }
    }

    /// The words of an mdoc page: macro names and layout macros dropped, escapes undone, blanks collapsed.
    static func plainText(ofMdoc page: String) -> String {
        let layout: Set<String> = [".Bd", ".Ed", ".Pp", ".Bl", ".El", ".Sh", ".Ss", ".Dd", ".Dt", ".Os", ".\\\""]
        var words: [String] = []
        for line in page.components(separatedBy: "\n") {
            var l = line
            if l.hasPrefix(".") {
                let macro = String(l.prefix(while: { $0 != " " }))
                if layout.contains(macro) { continue }
                l = String(l.dropFirst(macro.count))
            }
            l = l.replacingOccurrences(of: "\\&", with: "").replacingOccurrences(of: "\\(dq", with: "\"")
                .replacingOccurrences(of: "\\e", with: "\\")
            words.append(l)
        }
        return collapse(words.joined(separator: " "))
    }

    /// Text with every run of blanks and newlines made one space, and no quotes (mdoc puts
    /// macro arguments in quotes).
    static func collapse(_ s: String) -> String {
        s.replacingOccurrences(of: "\"", with: "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    }
}
