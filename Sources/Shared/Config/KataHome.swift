#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files of one `KATA_HOME` (default `~/.kata`).
public struct KataHome: Sendable, Equatable {
    public let root: String
    /// The database file (`KATA_DB` overrides `<home>/kata.db`).
    public let databasePath: String

    public init(root: String, databasePath: String? = nil) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.databasePath = databasePath ?? "\(self.root)/kata.db"
    }

    /// The home named by the environment: `KATA_HOME`, else `$HOME/.kata`; `KATA_DB` names the database.
    public static func fromEnvironment(_ env: [String: String] = Environment.all()) -> KataHome {
        let root: String
        if let h = env["KATA_HOME"], !h.isEmpty {
            root = Paths.absolute(h)
        } else {
            root = "\(Environment.userHome(env))/.kata"
        }
        let db = env["KATA_DB"].flatMap { $0.isEmpty ? nil : Paths.absolute($0) }
        return KataHome(root: root, databasePath: db)
    }

    public var configPath: String { "\(root)/config.toml" }
    public var credentialsPath: String { "\(root)/credentials.toml" }
    public var runDirectory: String { "\(root)/run" }
    public var socketPath: String { "\(runDirectory)/katad.sock" }
    public var adminSocketPath: String { "\(runDirectory)/admin.sock" }
    public var pidFilePath: String { "\(runDirectory)/katad.pid" }
    public var logDirectory: String { "\(root)/logs" }
    public var logFilePath: String { "\(logDirectory)/katad.log" }
    /// The default API listener: `unix://<home>/run/katad.sock`.
    public var defaultListener: ListenAddress { .unix(path: socketPath) }
}

/// Reading the process environment.
public enum Environment {
    /// The whole environment as a dictionary.
    public static func all() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                out[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return out
    }

    /// A variable's value, treating empty as unset (an empty variable is never an override).
    public static func value(_ name: String, in env: [String: String] = all()) -> String? {
        guard let v = env[name], !v.isEmpty else { return nil }
        return v
    }

    /// The user's home directory: `HOME`, else the password database.
    public static func userHome(_ env: [String: String]) -> String {
        if let h = env["HOME"], !h.isEmpty { return h }
        if let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { return String(cString: dir) }
        return "/tmp"
    }

    /// The OS user name of this process (from the password database, else `USER`).
    public static func osUserName(_ env: [String: String]) -> String {
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return env["USER"] ?? env["LOGNAME"] ?? "unknown"
    }
}

/// Small path helpers over POSIX.
public enum Paths {
    /// The current working directory.
    public static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(cString: buf)
    }

    /// `path` made absolute against the working directory (not resolving links).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(currentDirectory() + "/" + path)
    }

    /// Removes `.` and `..` parts and duplicate slashes.
    public static func normalize(_ path: String) -> String {
        var out: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if !out.isEmpty { out.removeLast() }
                continue
            }
            out.append(part)
        }
        return "/" + out.joined(separator: "/")
    }

    /// The resolved real path, or `path` itself when it cannot be resolved.
    public static func realPath(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The parent directory of an absolute path.
    public static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// Reads a whole file as UTF-8 text, or nil.
    public static func readText(_ path: String) -> String? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n > 0 { bytes.append(contentsOf: buf[0..<n]) }
            if n < buf.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Creates a directory (and its parents) with `mode`; an existing one gets `mode` too when `enforce` is set.
    @discardableResult
    public static func makeDirectory(_ path: String, mode: mode_t, enforce: Bool = false) -> Bool {
        if isDirectory(path) {
            if enforce { chmod(path, mode) }
            return true
        }
        let parentPath = parent(path)
        if parentPath != path, !isDirectory(parentPath) {
            guard makeDirectory(parentPath, mode: 0o755) else { return false }
        }
        if mkdir(path, mode) != 0 && errno != EEXIST { return false }
        chmod(path, mode)
        return true
    }
}
