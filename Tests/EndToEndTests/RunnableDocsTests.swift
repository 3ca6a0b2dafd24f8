// Runnable docs: every fenced code block marked runnable in README.md and docs/*.md is run, so the
// commands the docs show cannot rot.
//
// The marker is an HTML comment line `<!-- runnable -->` immediately before the opening fence (it
// renders as nothing). Two kinds of block may carry it:
//
// - ```sh (or ```bash): the block is a bash script, run as it is;
// - ```console: a recorded session; the lines starting with `$ ` are the commands (a command whose
//   line ends with `\` goes on over the next lines), every other line is output the docs show, which is
//   not compared (it holds ids, times and paths).
//
// Each document's runnable blocks run in order in ONE bash session (`set -euo pipefail`), so a later
// block sees the folder, the variables and the daemon an earlier one left: a document reads top to
// bottom as one session. The session runs in a fresh workspace folder with a fresh KATA_HOME, HOME
// inside the test's temporary folder, PATH with the built binaries first, and no KATA_* variable
// from the outer environment. A block fails the test when a command in it exits non-zero; the
// message names the file and the line of the block's opening fence and carries the session's
// output. At the end the session stops its daemon (`kata daemon stop`), and the harness's cleanup
// kills any katad left under its folder.
//
// Mark only blocks that are safe and self-contained on one machine: no remote host, TLS
// certificates, systemd or sudo; only Unix sockets and loopback. A block that shows a command failing
// on purpose stays unmarked (or the failure goes into its own unmarked block).

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One runnable block of a document.
struct RunnableBlock: Sendable, Equatable {
    enum Kind: String, Sendable { case sh, console }
    var file: String
    /// 1-based line of the opening fence.
    var line: Int
    var kind: Kind
    /// The block's lines between the fences.
    var text: [String]

    /// The bash source this block runs as.
    var script: String {
        switch kind {
        case .sh: return text.joined(separator: "\n")
        case .console: return RunnableDocs.commands(ofConsole: text).joined(separator: "\n")
        }
    }

    /// How many commands the block runs: `$ ` lines of a console block; lines of an sh block that are
    /// neither blank, comments nor the continuation of the previous line.
    var commandCount: Int {
        switch kind {
        case .console: return RunnableDocs.commands(ofConsole: text).count
        case .sh:
            var n = 0
            var continued = false
            for raw in text {
                let l = raw.trimmingCharacters(in: .whitespaces)
                if !continued && !l.isEmpty && !l.hasPrefix("#") { n += 1 }
                continued = l.hasSuffix("\\")
            }
            return n
        }
    }
}

enum RunnableDocs {
    static let marker = "<!-- runnable -->"

    /// The repository's root (this file is `Tests/EndToEndTests/RunnableDocsTests.swift`).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// README.md and docs/*.md, as paths relative to the repository root.
    static let documents: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: repoRoot + "/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// The runnable blocks of a Markdown text. A marker that is not immediately followed by a ```sh,
    /// ```bash or ```console fence, or a runnable block that is never closed, is an error.
    static func blocks(in markdown: String, file: String) throws -> [RunnableBlock] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [RunnableBlock] = []
        var i = 0
        var inFence = false
        while i < lines.count {
            let trimmed = lines[i].trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inFence.toggle()
                i += 1
                continue
            }
            guard !inFence, trimmed == marker else {
                i += 1
                continue
            }
            let fenceLine = i + 1
            let fence = fenceLine < lines.count ? lines[fenceLine].trimmingCharacters(in: .whitespaces) : ""
            let kind: RunnableBlock.Kind
            switch fence {
            case "```sh", "```bash": kind = .sh
            case "```console": kind = .console
            default:
                throw ParseError(
                    description: "\(file):\(i + 1): \(marker) must be followed on the next line by a ```sh, ```bash or ```console fence, not \(fence.isEmpty ? "nothing" : fence)")
            }
            var body: [String] = []
            var j = fenceLine + 1
            while j < lines.count, lines[j].trimmingCharacters(in: .whitespaces) != "```" {
                body.append(lines[j])
                j += 1
            }
            guard j < lines.count else {
                throw ParseError(description: "\(file):\(fenceLine + 1): the runnable block is never closed")
            }
            out.append(RunnableBlock(file: file, line: fenceLine + 1, kind: kind, text: body))
            i = j + 1
        }
        return out
    }

    /// The commands of a console transcript: each `$ ` line, joined with the lines that continue it.
    static func commands(ofConsole lines: [String]) -> [String] {
        var out: [String] = []
        var current: String?
        for line in lines {
            if let c = current {
                current = c + "\n" + line
            } else if line.hasPrefix("$ ") {
                current = String(line.dropFirst(2))
            } else {
                continue
            }
            if !line.hasSuffix("\\") {
                out.append(current!)
                current = nil
            }
        }
        if let c = current { out.append(c) }
        return out
    }

    /// Every runnable block of one document.
    static func blocks(of file: String) throws -> [RunnableBlock] {
        let text = try String(contentsOfFile: repoRoot + "/" + file, encoding: .utf8)
        return try blocks(in: text, file: file)
    }

    /// The documents with at least one runnable block.
    static let runnableDocuments: [String] = documents.filter { ((try? blocks(of: $0)) ?? []).count > 0 }

    /// One bash session for a document's blocks: each block is written to its own file and sourced in
    /// order, after a line naming it on the output, so a failure points at its block.
    static func session(_ blocks: [RunnableBlock], folder: String) throws -> String {
        var driver = [
            "set -euo pipefail",
            "exec 2>&1",
            // Stop the daemon this session started, whatever happened.
            "trap 'kata daemon stop >/dev/null 2>&1 || true' EXIT",
        ]
        for (n, block) in blocks.enumerated() {
            let path = "\(folder)/block-\(n + 1).sh"
            var body: [String] = []
            switch block.kind {
            case .sh:
                body = [block.script]
            case .console:
                // Each command is echoed before it runs, as the transcript shows it.
                for command in commands(ofConsole: block.text) {
                    body.append("printf '%s\\n' \(shellQuote("$ " + command))")
                    body.append(command)
                }
            }
            try (body.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            driver.append("printf '\\n=== block %s:%d ===\\n' \(shellQuote(block.file)) \(block.line)")
            driver.append(". \(shellQuote(path))")
        }
        driver.append("printf '\\n=== all blocks passed ===\\n'")
        return driver.joined(separator: "\n") + "\n"
    }

    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The file and line of the last block the session started, from its output.
    static func lastBlock(in output: String) -> String? {
        output.split(separator: "\n").last { $0.hasPrefix("=== block ") }.map {
            String($0.dropFirst("=== block ".count).dropLast(" ===".count))
        }
    }
}

@Suite("Runnable docs")
struct RunnableDocsTests {
    @Test func theExtractorFindsMarkedBlocksOnly() throws {
        let md = """
            # T

            ```sh
            <!-- runnable -->
            not a marker: inside a fence
            ```

            <!-- runnable -->
            ```sh
            mkdir app && cd app
            # a comment
            kata create "x" \\
              --label bug
            ```

            ```console
            $ kata list
            ```

            <!-- runnable -->
            ```console
            $ kata init --project app
            bound … to project app
            $ kata list \\
                --status all
            #1  open  x
            ```
            """
        let blocks = try RunnableDocs.blocks(in: md, file: "t.md")
        #expect(blocks.map(\.line) == [9, 21])
        #expect(blocks.map(\.kind) == [.sh, .console])
        #expect(blocks[0].commandCount == 2)
        #expect(RunnableDocs.commands(ofConsole: blocks[1].text) == ["kata init --project app", "kata list \\\n    --status all"])
        #expect(blocks[1].commandCount == 2)
        #expect(throws: RunnableDocs.ParseError.self) { try RunnableDocs.blocks(in: "<!-- runnable -->\n```text\nx\n```\n", file: "t.md") }
        #expect(throws: RunnableDocs.ParseError.self) { try RunnableDocs.blocks(in: "<!-- runnable -->\n\n```sh\nx\n```\n", file: "t.md") }
        #expect(throws: RunnableDocs.ParseError.self) { try RunnableDocs.blocks(in: "<!-- runnable -->\n```sh\nx\n", file: "t.md") }
    }

    /// Every marker in the docs is well placed, and the docs run a fair number of commands.
    @Test func theDocsMarkEnoughBlocks() throws {
        var total = 0
        for file in RunnableDocs.documents {
            total += try RunnableDocs.blocks(of: file).reduce(0) { $0 + $1.commandCount }
        }
        #expect(total >= 25, "only \(total) commands are marked runnable in README.md and docs/*.md")
        #expect(RunnableDocs.runnableDocuments.contains("README.md"))
        #expect(RunnableDocs.runnableDocuments.contains("docs/quickstart.md"))
        #expect(RunnableDocs.runnableDocuments.contains("docs/cli-json.md"))
    }

    @Test("runnable blocks run", arguments: RunnableDocs.runnableDocuments)
    func runnableBlocksRun(_ file: String) async throws {
        let blocks = try RunnableDocs.blocks(of: file)
        try #require(!blocks.isEmpty)
        try await withEnv { env in
            let scripts = env.newDir("scripts")
            let workspace = env.newDir("work")
            let driver = scripts + "/session.sh"
            try RunnableDocs.session(blocks, folder: scripts).write(toFile: driver, atomically: true, encoding: .utf8)
            let r = try await env.run("/bin/bash", [driver], cwd: workspace, timeout: 300)
            let output = r.stdout + r.stderr
            let failed = RunnableDocs.lastBlock(in: output) ?? "\(file) (before its first block)"
            #expect(
                r.status == 0 && !r.signaled && output.contains("=== all blocks passed ==="),
                """
                the runnable block at \(failed) failed (exit \(r.status)\(r.timedOut ? ", timed out" : "")\(r.signaled ? ", signaled" : "")); \
                the session's output:
                \(output.suffix(6000))
                """)
            // The session stopped its daemon.
            #expect(await eventually(10) { env.daemonPid() == nil }, "\(file): the daemon still runs after the session")
        }
    }
}

/// `contrib/katad.service`, the systemd unit the docs point to: it keeps its hardening, and systemd accepts it
/// (`systemd-analyze verify`, when that tool is installed, with ExecStart= pointed at the built katad).
@Suite("contrib/katad.service")
struct SystemdUnitTests {
    static let path = RunnableDocs.repoRoot + "/contrib/katad.service"

    static var systemdAnalyze: String? {
        ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func theUnitIsHardened() throws {
        let unit = try String(contentsOfFile: Self.path, encoding: .utf8)
        let lines = Set(unit.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for directive in [
            "User=kata", "Group=kata", "Environment=KATA_HOME=/var/lib/kata", "ReadWritePaths=/var/lib/kata", "NoNewPrivileges=yes",
            "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "UMask=0077", "KillSignal=SIGTERM",
            "RestartPreventExitStatus=2",
        ] {
            #expect(lines.contains(directive), "contrib/katad.service lacks \(directive)")
        }
        #expect(lines.contains { $0.hasPrefix("ExecStart=") && $0.hasSuffix("/katad") }, "ExecStart= runs katad in the foreground")
    }

    @Test(.enabled(if: SystemdUnitTests.systemdAnalyze != nil, "systemd-analyze is not installed"))
    func systemdAcceptsTheUnit() async throws {
        let tool = try #require(Self.systemdAnalyze)
        try await withEnv { env in
            let unit = try String(contentsOfFile: Self.path, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("ExecStart=") ? "ExecStart=\(Bin.katad)" : String($0) }
                .joined(separator: "\n")
            let copy = env.newDir("unit") + "/katad.service"
            try unit.write(toFile: copy, atomically: true, encoding: .utf8)
            let r = try await env.run(tool, ["verify", copy], timeout: 60)
            // Warnings about the unit name it (katad.service: …); other lines are about the host's own units.
            #expect(r.status == 0 && !r.text.contains("katad.service"), "systemd-analyze verify contrib/katad.service:\n\(r.text)")
        }
    }
}
