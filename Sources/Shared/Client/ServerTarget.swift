/// Where a client sends its requests: `unix:///path`, `http://host:port`, or `https://host:port`.
public enum ServerTarget: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case http(host: String, port: Int)
    case https(host: String, port: Int)

    /// Parses a server URL; the error says which forms are accepted.
    public static func parse(_ url: String) throws(ErrorEnvelope) -> ServerTarget {
        func bad(_ why: String) -> ErrorEnvelope {
            ErrorEnvelope(
                status: 400, code: .usage, message: "invalid server URL \(url): \(why)",
                hint: "use unix:///abs/path.sock, http://host:port or https://host:port")
        }
        if url.hasPrefix("unix://") {
            let path = String(url.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw bad("the socket path must be absolute") }
            return .unix(path: path)
        }
        let secure: Bool
        var rest: Substring
        if url.hasPrefix("http://") {
            secure = false
            rest = url.dropFirst("http://".count)
        } else if url.hasPrefix("https://") {
            secure = true
            rest = url.dropFirst("https://".count)
        } else {
            throw bad("unknown scheme")
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host: String
        var port = secure ? 443 : 80
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("unclosed [") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw bad("invalid port") }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            if host.contains(":") { throw bad("an IPv6 address needs brackets, as http://[::1]:7777") }
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { throw bad("invalid port") }
            port = p
        } else {
            host = String(rest)
        }
        guard !host.isEmpty else { throw bad("no host") }
        host = host.lowercased()
        return secure ? .https(host: host, port: port) : .http(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): return "unix://\(path)"
        case .http(let host, let port): return "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        case .https(let host, let port): return "https://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
    }
}
