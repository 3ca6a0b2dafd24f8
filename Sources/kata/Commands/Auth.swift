import ArgumentParser
import Shared

/// `kata auth login|logout|status`: the session token this client keeps per server in
/// `<KATA_HOME>/credentials.toml` (auth.md, "Users, roles and sessions").
struct Auth: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "auth", 
        abstract: "Log in to a server, log out, and show the stored login.",
        discussion: """
            A login is kept in <KATA_HOME>/credentials.toml (0600) under the server URL and used for that \
            server whenever KATA_AUTH_TOKEN is not set.

            Example:
              kata auth login --server https://kata.internal:7474 --username alice
            """,
        subcommands: [Login.self, Logout.self, Status.self])

    /// What `login`, `logout` and `status` print with `--json` (never the token itself).
    struct Answer: Codable {
        var server: String
        var loggedIn: Bool
        var actor: String?
        var role: String?
        var kind: String?
        var tokenId: Int64?
        var expiresAt: String?
        /// Where the token in use comes from: `KATA_AUTH_TOKEN`, `credentials.toml` or `none`.
        var source: String
        /// Whether the server accepted the token just now; null when it was not asked or not reachable.
        var accepted: Bool?
        /// `logout` only: whether the server revoked the session.
        var revoked: Bool?

        enum CodingKeys: String, CodingKey { case server, loggedIn, actor, role, kind, tokenId, expiresAt, source, accepted, revoked }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(server, forKey: .server)
            try c.encode(loggedIn, forKey: .loggedIn)
            try c.encode(actor, forKey: .actor)
            try c.encode(role, forKey: .role)
            try c.encode(kind, forKey: .kind)
            try c.encode(tokenId, forKey: .tokenId)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(source, forKey: .source)
            try c.encode(accepted, forKey: .accepted)
            if let revoked { try c.encode(revoked, forKey: .revoked) }
        }

        init(server: String, entry: Credentials.Entry?, source: String, accepted: Bool? = nil) {
            self.server = server
            loggedIn = entry != nil
            actor = entry?.actor
            role = entry?.role
            kind = entry?.kind
            tokenId = entry?.tokenId
            expiresAt = entry?.expiresAt
            self.source = source
            self.accepted = accepted
        }
    }

    struct Login: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "login", 
            abstract: "Exchange a username and password (or a token) for a stored session.",
            discussion: """
                With a password, the server answers with a session token (kind `session`, expiring after the \
                daemon's session_ttl). With --token, the token is checked with the server and stored as it is; \
                `--token -` reads it from standard input. The password is read from a prompt without echo, or \
                with --password-stdin from standard input (one trailing newline stripped). The token is never printed.

                Example:
                  printf '%s\\n' "$PASSWORD" | kata auth login --username alice --password-stdin
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The user to log in as (default: --actor, KATA_ACTOR, else the OS user name).") var username: String?
        @Flag(help: "Read the password from standard input.") var passwordStdin = false
        @Option(help: "Store this token instead of logging in with a password (`-` reads it from standard input).") var token: String?

        func validate() throws {
            if token != nil && (passwordStdin || username != nil) {
                throw ValidationError("give either --token, or --username/--password-stdin, not both")
            }
        }

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let target = try session.serverTarget().target
                let entry: Credentials.Entry
                if let token {
                    entry = try Self.verify(token == "-" ? PasswordInput.fromStandardInput() : token, session: session)
                } else {
                    entry = try Self.login(session: session, username: username ?? session.actor, passwordStdin: passwordStdin)
                }
                var creds = try session.credentials()
                creds.servers[target.description] = entry
                do throws(ConfigProblem) {
                    try creds.save(home: session.home)
                } catch {
                    throw CLIError.validation(error.description, hint: "check the permissions of KATA_HOME")
                }
                let overridden = Shared.Environment.value("KATA_AUTH_TOKEN", in: session.env) != nil
                let answer = Answer(server: target.description, entry: entry, source: overridden ? "KATA_AUTH_TOKEN" : "credentials.toml", accepted: true)
                if out.json { return out.value(answer) }
                let expiry = entry.expiresAt.map { ", expires \($0)" } ?? ""
                out.line("logged in to \(target) as \(entry.actor ?? "?") (role \(entry.role ?? "?"), \(entry.kind ?? "token")\(expiry))")
                if overridden { out.line("note: KATA_AUTH_TOKEN is set and overrides this login until it is unset") }
            }
        }

        static func login(session: Session, username: String, passwordStdin: Bool) throws(ErrorEnvelope) -> Credentials.Entry {
            // The password crosses the network like a token does: the same plain-HTTP guardrail applies,
            // checked before anything is typed.
            let target = try session.serverTarget().target
            try session.checkTransport(target, sending: "a password")
            let password: String
            if passwordStdin {
                password = PasswordInput.fromStandardInput()
            } else if PasswordInput.canPrompt {
                guard let typed = PasswordInput.prompt("Password for \(username): "), !typed.isEmpty else {
                    throw CLIError.usage("no password given", hint: "type the password at the prompt, or pass --password-stdin")
                }
                password = typed
            } else {
                throw CLIError.usage(
                    "no terminal to prompt for the password", hint: "pass --password-stdin and write the password to standard input")
            }
            let client = try session.client(token: nil)
            let a = try client.call("POST", "/api/v1/auth/login", body: LoginRequest(username: username, password: password), as: LoginAnswer.self)
            return Credentials.Entry(token: a.token, actor: a.actor, role: a.role, kind: a.kind, tokenId: a.tokenId, expiresAt: a.expiresAt)
        }

        static func verify(_ raw: String, session: Session) throws(ErrorEnvelope) -> Credentials.Entry {
            let token = Validation.trimmed(raw)
            if token.isEmpty { throw CLIError.usage("--token is empty", hint: "pass the token, or `--token -` to read it from standard input") }
            let w = try session.client(token: token).call("GET", "/api/v1/whoami", as: WhoAmIAnswer.self)
            if w.principal == "local" {
                throw CLIError.validation(
                    "the server at \(try session.serverTarget().target) does not check tokens (no auth configured): nothing to log in to",
                    hint: "local use needs no login")
            }
            return Credentials.Entry(token: token, actor: w.actor, role: w.role, kind: w.principal, tokenId: w.tokenId, expiresAt: w.expiresAt)
        }
    }

    struct Logout: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "logout", 
            abstract: "Forget the stored login for this server; --revoke also ends it on the server.",
            discussion: "Example: kata auth logout --revoke")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Revoke the token on the server too, so no copy of it works any more.") var revoke = false

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let target = try session.serverTarget().target
                var creds = try session.credentials()
                guard let entry = creds.servers[target.description] else {
                    if out.json { return out.value(Answer(server: target.description, entry: nil, source: "none")) }
                    return out.line("not logged in to \(target)")
                }
                var revoked: Bool?
                if revoke {
                    do throws(ErrorEnvelope) {
                        let a = try session.client(token: entry.token).call("POST", "/api/v1/auth/logout", as: LogoutAnswer.self)
                        revoked = a.revoked
                    } catch where error.error.code == ErrorCode.tokenInvalid.rawValue {
                        revoked = false  // already revoked or expired: nothing left to end on the server
                    }
                }
                creds.servers[target.description] = nil
                do throws(ConfigProblem) {
                    try creds.save(home: session.home)
                } catch {
                    throw CLIError.validation(error.description, hint: "check the permissions of KATA_HOME")
                }
                var answer = Answer(server: target.description, entry: nil, source: "none")
                answer.actor = entry.actor
                answer.revoked = revoked
                if out.json { return out.value(answer) }
                let how = revoked == true ? " and revoked the session on the server" : (revoke ? " (the server no longer accepted it)" : "")
                out.line("logged out of \(target)\(how)")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", 
            abstract: "Show the server, whether this client is logged in, and as whom.",
            discussion: """
                Reads credentials.toml and asks the server whether it still accepts the token (`accepted`; \
                null when the server cannot be reached). KATA_AUTH_TOKEN, when set, overrides the stored login.

                Example: kata auth status --json
                """)
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let target = try session.serverTarget().target
                let entry = try session.credentials().servers[target.description]
                let (token, source) = try session.storedToken(for: target)
                var answer = Answer(server: target.description, entry: entry, source: source)
                if let token {
                    do throws(ErrorEnvelope) {
                        let w = try session.client(token: token, startDaemon: false).call("GET", "/api/v1/whoami", as: WhoAmIAnswer.self)
                        answer.accepted = true
                        answer.actor = w.actor
                        answer.role = w.role
                        answer.kind = w.principal
                        answer.tokenId = w.tokenId
                        answer.expiresAt = w.expiresAt
                    } catch where error.exitCode == .auth && error.error.code != ErrorCode.insecureTransport.rawValue
                        && error.error.code != ErrorCode.tlsVerifyFailed.rawValue
                    {
                        answer.accepted = false
                    } catch {
                        answer.accepted = nil
                    }
                }
                if out.json { return out.value(answer) }
                out.line("server \(answer.server)")
                guard token != nil else { return out.line("not logged in (run `kata auth login`)") }
                let who = "\(answer.actor ?? "?") (role \(answer.role ?? "?"), \(answer.kind ?? "token")\(answer.expiresAt.map { ", expires \($0)" } ?? ""))"
                out.line(answer.loggedIn ? "logged in as \(who)" : "using KATA_AUTH_TOKEN as \(who)")
                if source == "KATA_AUTH_TOKEN" && answer.loggedIn { out.line("KATA_AUTH_TOKEN overrides the stored login") }
                switch answer.accepted {
                case true?: out.line("the server accepts the token")
                case false?: out.line("the server no longer accepts the token: run `kata auth login` again")
                case nil: out.line("the server could not be reached to check the token")
                }
            }
        }
    }
}
