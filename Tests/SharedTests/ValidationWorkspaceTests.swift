import Foundation
import Shared
import Testing

@Suite("Labels")
struct LabelTests {
    @Test(arguments: ["bug", "p1", "area:ui", "a.b_c-d:e", "0", "x", String(repeating: "a", count: 64), "v1.2.3", "-", "team:backend-api"])
    func acceptsValidLabels(label: String) {
        #expect(Validation.isValidLabel(label), "\(label)")
    }

    @Test(arguments: [
        "", String(repeating: "a", count: 65), "Bug", "BUG", "has space", " bug", "bug ", "bug!", "area/ui", "é", "bug\n",
        "tab\t", "emoji🐛", "a,b", "#1",
    ])
    func rejectsInvalidLabels(label: String) {
        #expect(!Validation.isValidLabel(label), "\(label.debugDescription)")
    }

    @Test func closeReasonsAreTheSpecsThree() {
        #expect(Set(Validation.closeReasons) == ["done", "wontfix", "duplicate"])
    }

    @Test func blankAndTrim() {
        #expect(Validation.isBlank(""))
        #expect(Validation.isBlank(" \t\n "))
        #expect(!Validation.isBlank(" x "))
        #expect(Validation.trimmed("  hello world \n") == "hello world")
        #expect(Validation.trimmed("\n\t") == "")
    }
}

@Suite("Git remote normalization")
struct GitRemoteTests {
    @Test(arguments: [
        ("https://github.com/org/repo", "github.com/org/repo"),
        ("https://github.com/org/repo.git", "github.com/org/repo"),
        ("https://github.com/org/repo/", "github.com/org/repo"),
        ("https://github.com/org/repo.git/", "github.com/org/repo"),
        ("https://user:s3cret@github.com/org/repo.git", "github.com/org/repo"),
        ("https://x-access-token:ghp_abc123@github.com/org/repo.git", "github.com/org/repo"),
        ("https://token@github.com/org/repo", "github.com/org/repo"),
        ("http://github.com/org/repo", "github.com/org/repo"),
        ("git@github.com:org/repo.git", "github.com/org/repo"),
        ("git@github.com:org/repo", "github.com/org/repo"),
        ("github.com:org/repo.git", "github.com/org/repo"),
        ("ssh://git@github.com/org/repo.git", "github.com/org/repo"),
        ("ssh://git@github.com:22/org/repo.git", "github.com/org/repo"),
        ("git://github.com/org/repo.git", "github.com/org/repo"),
        ("https://github.com:443/org/repo", "github.com/org/repo"),
        ("https://GitHub.com/org/repo", "github.com/org/repo"),
        ("git@gitlab.example.com:group/sub/repo.git", "gitlab.example.com/group/sub/repo"),
        ("  https://github.com/org/repo.git\n", "github.com/org/repo"),
    ])
    func normalizes(remote: String, expected: String) {
        #expect(WorkspaceFiles.normalizeGitRemote(remote) == expected, "\(remote)")
    }

    @Test func neverKeepsCredentials() {
        for remote in ["https://alice:hunter2@example.com/team/app.git", "ssh://alice@example.com:2222/team/app"] {
            let n = WorkspaceFiles.normalizeGitRemote(remote)
            #expect(n == "example.com/team/app")
            #expect(n?.contains("alice") == false)
            #expect(n?.contains("hunter2") == false)
        }
    }

    @Test(arguments: ["", "   ", "not-a-remote", "https://"])
    func rejectsNonRemotes(remote: String) {
        #expect(WorkspaceFiles.normalizeGitRemote(remote) == nil, "\(remote)")
    }
}

/// A fresh temporary directory (resolved, so comparisons with real paths work), removed by the caller.
func makeTempDir() throws -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("kata-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    return Paths.realPath(base.path)
}

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

@Suite("Workspace files")
struct WorkspaceFilesTests {
    @Test func bindingTextRoundTripsAndIsFoundFromASubfolder() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(WorkspaceFiles.bindingText(projectName: "product"), to: "\(root)/.kata.toml")
        let deep = "\(root)/src/module/inner"
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)

        #expect(WorkspaceFiles.nearest(".kata.toml", from: deep) == root)
        let binding = try #require(try WorkspaceFiles.binding(from: deep))
        #expect(binding.root == root)
        #expect(binding.projectName == "product")
    }

    @Test func bindingTextEscapesQuotes() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(WorkspaceFiles.bindingText(projectName: #"we"ird\name"#), to: "\(root)/.kata.toml")
        #expect(try WorkspaceFiles.binding(from: root)?.projectName == #"we"ird\name"#)
    }

    @Test func noBindingIsNil() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A folder under a fresh temp dir; nothing above it in /tmp should hold .kata.toml.
        if WorkspaceFiles.nearest(".kata.toml", from: root) == nil {
            #expect(try WorkspaceFiles.binding(from: root) == nil)
        }
    }

    @Test(arguments: [
        "version = 1\nserver = \"http://x\"\n[project]\nname = \"p\"\n",  // unknown top-level key
        "version = 2\n[project]\nname = \"p\"\n",  // unsupported version
        "version = 1\n[project]\nname = \"   \"\n",  // blank name
        "version = 1\n",  // no project
        "version = 1\n[project\nname = \"p\"\n",  // TOML syntax error
    ])
    func rejectsBadBindings(text: String) throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(text, to: "\(root)/.kata.toml")
        #expect(throws: ConfigProblem.self) { try WorkspaceFiles.binding(from: root) }
    }

    @Test func syntaxErrorNamesTheFileAndLine() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("version = 1\n[project\nname = \"p\"\n", to: "\(root)/.kata.toml")
        do {
            _ = try WorkspaceFiles.binding(from: root)
            Testing.Issue.record("syntax error accepted")
        } catch {
            #expect(error.key.contains(".kata.toml"))
            #expect(error.line != nil)
        }
    }

    @Test func localServerSettings() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("[server]\nurl = \"https://kata.example.com\"\nallow_insecure = true\n", to: "\(root)/.kata.local.toml")
        let s = try #require(try WorkspaceFiles.localServer(from: root))
        #expect(s.url == "https://kata.example.com")
        #expect(s.allowInsecure == true)
        #expect(s.caFile == nil)
    }

    @Test func localServerRefusesATokenKey() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("[server]\nurl = \"https://kata.example.com\"\ntoken = \"secret\"\n", to: "\(root)/.kata.local.toml")
        #expect(throws: ConfigProblem.self) { try WorkspaceFiles.localServer(from: root) }
    }

    @Test func aliasIdentityIsTheNormalizedOriginRemote() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(
            """
            [core]
            \tbare = false
            [remote "upstream"]
            \turl = https://github.com/someone-else/fork.git
            [remote "origin"]
            \turl = https://bob:pat123@github.com/org/repo.git
            \tfetch = +refs/heads/*:refs/remotes/origin/*
            """, to: "\(root)/.git/config")
        try FileManager.default.createDirectory(atPath: "\(root)/sub/dir", withIntermediateDirectories: true)
        let alias = WorkspaceFiles.aliasIdentity(forWorkspace: "\(root)/sub/dir")
        #expect(alias.identity == "github.com/org/repo")
        #expect(alias.kind == "git")
    }

    @Test func aliasIdentityWithoutARemoteIsTheLocalPath() throws {
        let root = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        if WorkspaceFiles.nearest(".git", from: root) == nil {
            let alias = WorkspaceFiles.aliasIdentity(forWorkspace: root)
            #expect(alias.identity == "local://\(root)")
            #expect(alias.kind == "local")
        }
    }
}
