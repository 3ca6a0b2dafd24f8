/// A listener address: `unix:///abs/path.sock`, `host:port`, or `[v6]:port`.
public enum ListenAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses a listener address; the error names what is wrong and the accepted forms.
    public static func parse(_ text: String) throws(ConfigProblem) -> ListenAddress {
        let forms = "use unix:///abs/path.sock, host:port or [v6]:port"
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/"), path.count > 1 else {
                throw ConfigProblem(key: "listen", message: "unix listener \(text) needs an absolute path; \(forms)")
            }
            return .unix(path: path)
        }
        if text.contains("://") {
            throw ConfigProblem(key: "listen", message: "unsupported listener scheme in \(text); \(forms)")
        }
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ConfigProblem(key: "listen", message: "unclosed [ in listener \(text); \(forms)")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ConfigProblem(key: "listen", message: "listener \(text) has no port; \(forms)")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ConfigProblem(key: "listen", message: "listener \(text) has no port; \(forms)")
            }
            host = String(text[..<colon])
            if host.contains(":") {
                throw ConfigProblem(key: "listen", message: "IPv6 listener \(text) needs brackets, as [::1]:7777")
            }
            portText = text[text.index(after: colon)...]
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (0...65535).contains(port)
        else {
            throw ConfigProblem(key: "listen", message: "listener \(text) has an invalid port (0-65535); \(forms)")
        }
        return .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): return "unix://\(path)"
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// The class of this address (a Unix socket is local).
    public var addressClass: AddressClass {
        switch self {
        case .unix: return .local
        case .tcp(let host, _): return AddressClass.of(host: host)
        }
    }

    public var isUnix: Bool {
        if case .unix = self { return true }
        return false
    }
}

/// One problem found in a configuration, naming its key.
public struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var message: String
    public var line: Int?

    public init(key: String, message: String, line: Int? = nil) {
        self.key = key
        self.message = message
        self.line = line
    }

    public var description: String {
        if let line { return "\(key) (line \(line)): \(message)" }
        return "\(key): \(message)"
    }
}
