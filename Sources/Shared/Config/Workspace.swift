import Foundation

import TOMLKit

/// A workspace's binding files: `.kata.toml` (committed) and `.kata.local.toml` (per developer).
public struct WorkspaceBinding: Sendable, Equatable {
    /// The folder that holds `.kata.toml`.
    public var root: String
    /// `[project].name`.
    public var projectName: String
}

/// The `[server]` table of `.kata.local.toml`.
public struct LocalServerSettings: Sendable, Equatable {
    public var url: String?
    public var allowInsecure: Bool
    public var caFile: String?
}

/// Finding and reading workspace files. Every failure names the file, the line and the fix.
public enum WorkspaceFiles {
    public static let bindingName = ".kata.toml"
    public static let localName = ".kata.local.toml"

    /// The nearest folder at or above `start` holding `name`.
    public static func nearest(_ name: String, from start: String) -> String? {
        var dir = Paths.normalize(start)
        while true {
            if Paths.exists("\(dir)/\(name)") { return dir }
            if dir == "/" { return nil }
            dir = Paths.parent(dir)
        }
    }

    /// Parses TOML text, turning a syntax error into a `ConfigProblem` naming the file and line.
    public static func parse(_ text: String, file: String) throws(ConfigProblem) -> TOMLTable {
        do {
            return try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ConfigProblem(
                key: file, message: "TOML syntax error: \(e.description) (line \(e.source.begin.line), column \(e.source.begin.column))",
                line: e.source.begin.line)
        } catch {
            throw ConfigProblem(key: file, message: "cannot parse TOML: \(error)")
        }
    }

    /// Reads the nearest `.kata.toml` at or above `start`, or nil when there is none.
    public static func binding(from start: String) throws(ConfigProblem) -> WorkspaceBinding? {
        guard let root = nearest(bindingName, from: start) else { return nil }
        let path = "\(root)/\(bindingName)"
        guard let text = Paths.readText(path) else {
            throw ConfigProblem(key: path, message: "cannot read the file; check its permissions")
        }
        let table = try parse(text, file: path)
        for key in table.keys where key != "version" && key != "project" {
            throw ConfigProblem(key: "\(path): \(key)", message: "unknown key; \(bindingName) holds `version` and `[project] name`")
        }
        if let v = table["version"], v.int != 1 {
            throw ConfigProblem(key: "\(path): version", message: "unsupported version \(v); this kata reads version = 1")
        }
        guard let project = table["project"]?.table, let name = project["name"]?.string,
            !Validation.isBlank(name)
        else {
            throw ConfigProblem(
                key: "\(path): project.name", message: "missing or blank; write [project] name = \"...\" or run `kata init`")
        }
        return WorkspaceBinding(root: root, projectName: name)
    }

    /// The text `kata init` writes into `.kata.toml`.
    public static func bindingText(projectName: String) -> String {
        let escaped = projectName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "version = 1\n\n[project]\nname = \"\(escaped)\"\n"
    }

    /// Reads `[server]` of the nearest `.kata.local.toml`, or nil when there is none.
    public static func localServer(from start: String) throws(ConfigProblem) -> LocalServerSettings? {
        guard let root = nearest(localName, from: start) else { return nil }
        let path = "\(root)/\(localName)"
        guard let text = Paths.readText(path) else {
            throw ConfigProblem(key: path, message: "cannot read the file; check its permissions")
        }
        let table = try parse(text, file: path)
        guard let server = table["server"]?.table else { return LocalServerSettings(url: nil, allowInsecure: false, caFile: nil) }
        for key in server.keys where !["url", "allow_insecure", "ca_file"].contains(key) {
            throw ConfigProblem(key: "\(path): server.\(key)", message: "unknown key; [server] holds url, allow_insecure, ca_file (never a token)")
        }
        return LocalServerSettings(
            url: server["url"]?.string, allowInsecure: server["allow_insecure"]?.bool ?? false, caFile: server["ca_file"]?.string)
    }

    /// The alias identity of a workspace: its normalized git `origin` remote, else `local://<real path>`.
    public static func aliasIdentity(forWorkspace root: String) -> (identity: String, kind: String) {
        if let remote = gitRemote(from: root), let normalized = normalizeGitRemote(remote) {
            return (normalized, "git")
        }
        return ("local://\(Paths.realPath(root))", "local")
    }

    /// The `origin` remote URL of the git repository holding `start`, if any.
    public static func gitRemote(from start: String) -> String? {
        guard let top = nearest(".git", from: start) else { return nil }
        var gitDir = "\(top)/.git"
        if !Paths.isDirectory(gitDir) {
            // A worktree or submodule: `.git` is a file `gitdir: PATH`.
            guard let text = Paths.readText(gitDir), text.hasPrefix("gitdir:") else { return nil }
            let p = Validation.trimmed(String(text.dropFirst("gitdir:".count)))
            gitDir = p.hasPrefix("/") ? p : Paths.normalize("\(top)/\(p)")
        }
        guard let config = Paths.readText("\(gitDir)/config") else { return nil }
        var inOrigin = false
        for raw in config.split(separator: "\n") {
            let line = Validation.trimmed(String(raw))
            if line.hasPrefix("[") {
                inOrigin = line.replacingOccurrences(of: " ", with: "") == "[remote\"origin\"]"
                continue
            }
            if inOrigin, line.hasPrefix("url") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { return Validation.trimmed(String(parts[1])) }
            }
        }
        return nil
    }

    /// `https://user:pw@github.com/org/repo.git`, `git@github.com:org/repo` → `github.com/org/repo`.
    public static func normalizeGitRemote(_ url: String) -> String? {
        var s = Validation.trimmed(url)
        if let scheme = s.range(of: "://") {
            s = String(s[scheme.upperBound...])
        } else if let colon = s.firstIndex(of: ":"), !s[..<colon].contains("/") {
            // scp-like: [user@]host:path
            s = String(s[..<colon]) + "/" + String(s[s.index(after: colon)...])
        }
        if let at = s.firstIndex(of: "@"), let slash = s.firstIndex(of: "/"), at < slash {
            s = String(s[s.index(after: at)...])
        }
        // drop a port in host:port/path
        if let slash = s.firstIndex(of: "/") {
            var host = String(s[..<slash])
            if let colon = host.lastIndex(of: ":"), Int(host[host.index(after: colon)...]) != nil {
                host = String(host[..<colon])
            }
            s = host.lowercased() + String(s[slash...])
        }
        while s.hasSuffix("/") { s.removeLast() }
        if s.hasSuffix(".git") { s.removeLast(4) }
        return s.isEmpty || !s.contains("/") ? nil : s
    }
}
