/// The outcome of checking a configuration: refusals (the daemon must not start) and warnings.
public struct ConfigReport: Sendable, Equatable {
    public var problems: [ConfigProblem] = []
    public var warnings: [ConfigProblem] = []

    public init(problems: [ConfigProblem] = [], warnings: [ConfigProblem] = []) {
        self.problems = problems
        self.warnings = warnings
    }

    public var isValid: Bool { problems.isEmpty }
}

/// katad's start-up checks 1–6 (spec: auth.md, "Daemon start-up checks"), shared by `katad` and
/// `kata-admin config check`. Messages name the rule and the fix, and never contain a secret.
public enum StartupRules {
    /// Checks `config` with its listeners.
    ///
    /// - Parameter identityRecordsExist: whether the database holds a DB-backed token or a user
    ///   (rule 6); nil when that cannot be known (offline check), which skips rule 6.
    public static func check(_ config: DaemonConfig, home: KataHome, identityRecordsExist: Bool?) -> ConfigReport {
        var report = ConfigReport()
        let (listeners, listenProblems) = config.listeners(home: home)
        report.problems += listenProblems
        let auth = config.auth
        let hasToken = auth.token.map { !$0.isEmpty } ?? false

        // Rule 1
        if auth.requireTokenIdentity && auth.insecureReadonly {
            report.problems.append(
                ConfigProblem(
                    key: "auth.insecure_readonly",
                    message: "rule 1: require_token_identity cannot be combined with insecure_readonly; turn one of them off"))
        }
        // Rule 2 and 3
        if let header = config.proxy.trustedActorHeader, !header.isEmpty {
            if config.proxy.trustedProxyListeners.isEmpty {
                report.problems.append(
                    ConfigProblem(
                        key: "auth.proxy.trusted_proxy_listeners",
                        message: "rule 2: trusted_actor_header is set but trusted_proxy_listeners is empty; list the listener(s) your proxy connects to"))
            }
            for text in config.proxy.trustedProxyListeners {
                guard let addr = try? ListenAddress.parse(text) else {
                    report.problems.append(
                        ConfigProblem(key: "auth.proxy.trusted_proxy_listeners", message: "rule 3: \(text) is not a listener address"))
                    continue
                }
                if case .tcp(let host, _) = addr, AddressClass.isWildcard(host) {
                    report.problems.append(
                        ConfigProblem(
                            key: "auth.proxy.trusted_proxy_listeners",
                            message: "rule 3: trusted proxy listener \(text) is a wildcard; name the exact address the proxy uses"))
                } else if !listeners.contains(addr) {
                    report.problems.append(
                        ConfigProblem(
                            key: "auth.proxy.trusted_proxy_listeners",
                            message: "rule 3: trusted proxy listener \(text) is not one of the listen addresses (\(listeners.map(\.description).joined(separator: ", ")))"))
                }
            }
        } else if !config.proxy.trustedProxyListeners.isEmpty {
            report.warnings.append(
                ConfigProblem(
                    key: "auth.proxy.trusted_proxy_listeners",
                    message: "trusted_proxy_listeners has no effect without trusted_actor_header"))
        }
        // Rules 4 and 5
        for addr in listeners {
            guard case .tcp(let host, _) = addr else { continue }
            let cls = AddressClass.of(host: host)
            if cls == .local { continue }
            let wildcard = AddressClass.isWildcard(host)
            if config.tls != nil {
                if !hasToken && !auth.insecureReadonly {
                    report.problems.append(
                        ConfigProblem(
                            key: "listen",
                            message: "rule 5: \(addr) is not local; even with TLS it needs [auth] token or insecure_readonly = true"))
                }
                continue
            }
            if hasToken {
                if !auth.trustPrivateNetwork {
                    report.problems.append(
                        ConfigProblem(
                            key: "auth.trust_private_network",
                            message: "rule 4: listener \(addr) would send the bootstrap token in clear over plain HTTP; "
                                + "set trust_private_network = true (literal private IPs only), configure [tls], or listen on loopback"))
                } else if cls != .private || wildcard {
                    let what = wildcard ? "a wildcard" : (AddressClass.parseIPv4(host) != nil || AddressClass.parseIPv6(host) != nil ? "a public IP" : "a DNS name")
                    report.problems.append(
                        ConfigProblem(
                            key: "listen",
                            message: "rule 4: listener \(addr) is \(what); plain-HTTP bearer auth is allowed only on literal private IPs; "
                                + "listen on a private IP, or configure [tls]"))
                } else {
                    report.warnings.append(
                        ConfigProblem(
                            key: "listen",
                            message: "listener \(addr) serves bearer auth over plain HTTP on a private network (trust_private_network); prefer TLS or a tunnel"))
                }
            } else if !auth.insecureReadonly {
                report.problems.append(
                    ConfigProblem(
                        key: "listen",
                        message: "rule 4: listener \(addr) is not local and no token is configured; set [auth] token "
                            + "(with trust_private_network for a private IP) or insecure_readonly = true, or listen on loopback"))
            }
        }
        // Rule 6
        if auth.requireTokenIdentity && !hasToken, let exists = identityRecordsExist, !exists {
            report.problems.append(
                ConfigProblem(
                    key: "auth.require_token_identity",
                    message: "rule 6: identity mode without a bootstrap token needs at least one DB-backed token or user; "
                        + "start katad once without require_token_identity, mint one with `kata-admin tokens create`, then turn identity mode on; or set [auth] token"))
        }
        if let tls = config.tls {
            for (key, path) in [("tls.cert_file", tls.certFile), ("tls.key_file", tls.keyFile)] where !Paths.exists(path) {
                report.problems.append(ConfigProblem(key: key, message: "\(path) does not exist"))
            }
        }
        return report
    }
}
