import Foundation
import TOMLKit

/// `<KATA_HOME>/credentials.toml`: the tokens `kata auth login` stored, one table per server URL.
/// The file holds secrets: it is written 0600, atomically (a temporary file renamed over it), and a
/// file with wider permissions is tightened when it is next written.
///
/// ```toml
/// [servers."unix:///home/alice/.kata/run/katad.sock"]
/// token = "kata_…"
/// actor = "alice"
/// role = "user"
/// kind = "session"
/// token_id = 12
/// expires_at = "2027-01-01T00:00:00.000Z"
/// ```
public struct Credentials: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var token: String
        public var actor: String?
        public var role: String?
        public var kind: String?
        public var tokenId: Int64?
        public var expiresAt: String?

        public init(token: String, actor: String?, role: String?, kind: String?, tokenId: Int64?, expiresAt: String?) {
            self.token = token
            self.actor = actor
            self.role = role
            self.kind = kind
            self.tokenId = tokenId
            self.expiresAt = expiresAt
        }
    }

    /// By server URL, as `ServerTarget.description` spells it.
    public var servers: [String: Entry] = [:]

    public init(servers: [String: Entry] = [:]) { self.servers = servers }

    /// The credentials file of `home`; an absent file is empty, an unreadable one is an error naming it.
    public static func load(home: KataHome) throws(ConfigProblem) -> Credentials {
        let path = home.credentialsPath
        guard let text = Paths.readText(path) else {
            if access(path, F_OK) == 0 {
                throw ConfigProblem(key: path, message: "exists but cannot be read (\(String(cString: strerror(errno))))")
            }
            return Credentials()
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw ConfigProblem(key: path, message: "not valid TOML (\(error)); delete it and log in again")
        }
        var out = Credentials()
        guard let servers = table["servers"]?.table else { return out }
        for (url, value) in servers {
            guard let t = value.table, let token = t["token"]?.string else { continue }
            out.servers[url] = Entry(
                token: token, actor: t["actor"]?.string, role: t["role"]?.string, kind: t["kind"]?.string,
                tokenId: t["token_id"]?.int.map(Int64.init), expiresAt: t["expires_at"]?.string)
        }
        return out
    }

    /// Writes the file 0600 through a temporary file in the same folder and a rename.
    public func save(home: KataHome) throws(ConfigProblem) {
        let path = home.credentialsPath
        guard Paths.makeDirectory(home.root, mode: 0o700) else {
            throw ConfigProblem(key: home.root, message: "cannot create the folder")
        }
        let tmp = "\(path).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw ConfigProblem(key: tmp, message: "cannot write: \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o600)
        let bytes = Array(render().utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            written += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw ConfigProblem(key: path, message: "cannot write: \(String(cString: strerror(errno)))")
        }
    }

    /// The TOML text, servers in a stable order.
    public func render() -> String {
        var out = "# Written by `kata auth login`. It holds secrets: keep it private (0600).\n"
        for url in servers.keys.sorted() {
            let e = servers[url]!
            out += "\n[servers.\(Self.quoted(url))]\n"
            out += "token = \(Self.quoted(e.token))\n"
            if let v = e.actor { out += "actor = \(Self.quoted(v))\n" }
            if let v = e.role { out += "role = \(Self.quoted(v))\n" }
            if let v = e.kind { out += "kind = \(Self.quoted(v))\n" }
            if let v = e.tokenId { out += "token_id = \(v)\n" }
            if let v = e.expiresAt { out += "expires_at = \(Self.quoted(v))\n" }
        }
        return out
    }

    /// A TOML basic string.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += String(format: "\\u%04X", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
