import Foundation
import TOMLKit

/// The daemon's configuration: `<KATA_HOME>/config.toml`, then the environment, then flags
/// (spec: auth.md, "Files and environment"). Parsing collects every problem instead of stopping at the first.
public struct DaemonConfig: Sendable, Equatable {
    public struct Auth: Sendable, Equatable {
        /// The bootstrap token (never printed).
        public var token: String?
        public var trustPrivateNetwork = false
        public var requireTokenIdentity = false
        public var insecureReadonly = false
        /// Lifetime of login sessions, in seconds (default 720h).
        public var sessionTTL: Int64 = 720 * 3600
    }

    public struct Proxy: Sendable, Equatable {
        public var trustedActorHeader: String?
        public var trustedProxyListeners: [String] = []
    }

    public struct TLS: Sendable, Equatable {
        public var certFile: String
        public var keyFile: String
    }

    /// Listener addresses as written (validated into `listeners`).
    public var listen: [String] = []
    public var activeDaemon: String?
    public var auth = Auth()
    public var proxy = Proxy()
    public var tls: TLS?

    public init() {}

    /// The keys each table accepts.
    static let known: [String: Set<String>] = [
        "": ["listen", "active_daemon", "auth", "tls"],
        "auth": ["token", "trust_private_network", "require_token_identity", "insecure_readonly", "session_ttl", "proxy"],
        "auth.proxy": ["trusted_actor_header", "trusted_proxy_listeners"],
        "tls": ["cert_file", "key_file"],
    ]

    /// Parses config text; returns the configuration and every problem found (unknown keys, wrong types).
    public static func parse(_ text: String, file: String) -> (DaemonConfig, [ConfigProblem]) {
        var config = DaemonConfig()
        var problems: [ConfigProblem] = []
        let table: TOMLTable
        do {
            table = try WorkspaceFiles.parse(text, file: file)
        } catch {
            return (config, [error])
        }
        let lines = KeyLines(text: text)
        func problem(_ key: String, _ message: String) {
            problems.append(ConfigProblem(key: key, message: message, line: lines.line(of: key)))
        }
        func checkKeys(_ t: TOMLTable, _ prefix: String) {
            for key in t.keys where !(known[prefix]?.contains(key) ?? false) {
                let full = prefix.isEmpty ? key : "\(prefix).\(key)"
                let allowed = (known[prefix] ?? []).sorted().joined(separator: ", ")
                problem(full, "unknown key; [\(prefix.isEmpty ? "top level" : prefix)] accepts \(allowed)")
            }
        }
        func string(_ t: TOMLTable, _ key: String, _ full: String) -> String? {
            guard let v = t[key] else { return nil }
            guard let s = v.string else {
                problem(full, "must be a string")
                return nil
            }
            return s
        }
        func bool(_ t: TOMLTable, _ key: String, _ full: String) -> Bool? {
            guard let v = t[key] else { return nil }
            guard let b = v.bool else {
                problem(full, "must be true or false")
                return nil
            }
            return b
        }
        func strings(_ t: TOMLTable, _ key: String, _ full: String) -> [String]? {
            guard let v = t[key] else { return nil }
            if let s = v.string { return [s] }
            guard let arr = v.array else {
                problem(full, "must be a string or an array of strings")
                return nil
            }
            var out: [String] = []
            for item in arr {
                guard let s = item.string else {
                    problem(full, "must be a string or an array of strings")
                    return nil
                }
                out.append(s)
            }
            return out
        }
        checkKeys(table, "")
        config.listen = strings(table, "listen", "listen") ?? []
        config.activeDaemon = string(table, "active_daemon", "active_daemon")
        if let v = table["auth"] {
            if let auth = v.table {
                checkKeys(auth, "auth")
                config.auth.token = string(auth, "token", "auth.token")
                config.auth.trustPrivateNetwork = bool(auth, "trust_private_network", "auth.trust_private_network") ?? false
                config.auth.requireTokenIdentity = bool(auth, "require_token_identity", "auth.require_token_identity") ?? false
                config.auth.insecureReadonly = bool(auth, "insecure_readonly", "auth.insecure_readonly") ?? false
                if let ttl = string(auth, "session_ttl", "auth.session_ttl") {
                    if let seconds = Durations.seconds(ttl), seconds > 0 {
                        config.auth.sessionTTL = seconds
                    } else {
                        problem("auth.session_ttl", "\"\(ttl)\" is not a positive duration; write it like 90s, 30m, 12h or 30d")
                    }
                }
                if let pv = auth["proxy"] {
                    if let proxy = pv.table {
                        checkKeys(proxy, "auth.proxy")
                        config.proxy.trustedActorHeader = string(proxy, "trusted_actor_header", "auth.proxy.trusted_actor_header")
                        config.proxy.trustedProxyListeners =
                            strings(proxy, "trusted_proxy_listeners", "auth.proxy.trusted_proxy_listeners") ?? []
                    } else {
                        problem("auth.proxy", "must be a table ([auth.proxy])")
                    }
                }
            } else {
                problem("auth", "must be a table ([auth])")
            }
        }
        if let v = table["tls"] {
            if let tls = v.table {
                checkKeys(tls, "tls")
                let cert = string(tls, "cert_file", "tls.cert_file")
                let key = string(tls, "key_file", "tls.key_file")
                if cert == nil { problem("tls.cert_file", "required when [tls] is present") }
                if key == nil { problem("tls.key_file", "required when [tls] is present") }
                if let cert, let key { config.tls = TLS(certFile: cert, keyFile: key) }
            } else {
                problem("tls", "must be a table ([tls])")
            }
        }
        return (config, problems)
    }

    /// Applies the environment (an empty or unset variable is never an override).
    public mutating func applyEnvironment(_ env: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if let t = Environment.value("KATA_AUTH_TOKEN", in: env) { auth.token = t }
        if let v = Environment.value("KATA_TRUST_PRIVATE_NETWORK", in: env) {
            switch v.lowercased() {
            case "1", "true", "yes": auth.trustPrivateNetwork = true
            case "0", "false", "no": auth.trustPrivateNetwork = false
            default: problems.append(ConfigProblem(key: "KATA_TRUST_PRIVATE_NETWORK", message: "must be 1/true or 0/false"))
            }
        }
        if let h = Environment.value("KATA_TRUSTED_ACTOR_HEADER", in: env) { proxy.trustedActorHeader = h }
        if let l = Environment.value("KATA_TRUSTED_PROXY_LISTENERS", in: env) {
            proxy.trustedProxyListeners = l.split(separator: ",").map { Validation.trimmed(String($0)) }.filter { !$0.isEmpty }
        }
        return problems
    }

    /// Applies command-line flags: `--listen` replaces the configured list; `--insecure-readonly` turns read-only on.
    public mutating func applyFlags(listen flags: [String], insecureReadonly: Bool) {
        if !flags.isEmpty { listen = flags }
        if insecureReadonly { auth.insecureReadonly = true }
    }

    /// The validated listeners (the home's default socket when none is configured).
    public func listeners(home: KataHome) -> ([ListenAddress], [ConfigProblem]) {
        if listen.isEmpty { return ([home.defaultListener], []) }
        var out: [ListenAddress] = []
        var problems: [ConfigProblem] = []
        for text in listen {
            do {
                out.append(try ListenAddress.parse(text))
            } catch {
                problems.append(ConfigProblem(key: "listen", message: error.message))
            }
        }
        return (out, problems)
    }

    /// How requests are authenticated, for `/health` and logs.
    public var authMode: String {
        if auth.requireTokenIdentity { return "identity" }
        if auth.token != nil { return "static" }
        if auth.insecureReadonly { return "readonly" }
        return "local"
    }
}

/// Finds the line of a dotted key (`auth.token`) in TOML text, for messages.
struct KeyLines {
    var index: [String: Int] = [:]

    init(text: String) {
        var table = ""
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Validation.trimmed(String(raw))
            if line.hasPrefix("[") {
                table = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).replacingOccurrences(of: " ", with: "")
                if index[table] == nil { index[table] = n + 1 }
                continue
            }
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            let key = Validation.trimmed(String(line[..<eq])).replacingOccurrences(of: "\"", with: "")
            let full = table.isEmpty ? key : "\(table).\(key)"
            if index[full] == nil { index[full] = n + 1 }
        }
    }

    func line(of key: String) -> Int? { index[key] }
}

/// Durations written like `90s`, `30m`, `12h`, `30d`.
public enum Durations {
    /// Seconds in `text`, or nil when it is not a duration.
    public static func seconds(_ text: String) -> Int64? {
        let t = Validation.trimmed(text).lowercased()
        guard let unit = t.last, let n = Int64(t.dropLast()) else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86400
        case "w": return n * 7 * 86400
        default: return nil
        }
    }
}
