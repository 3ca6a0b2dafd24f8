import Foundation
import Shared

/// Everything one `kata` invocation needs: the environment, the server, the project binding.
final class Session {
    let options: GlobalOptions
    let env: [String: String]
    let home: KataHome
    let cwd: String
    private var cachedClient: KataClient?
    private var cachedProject: Project?
    private var cachedTarget: (target: ServerTarget, local: Bool)?

    init(_ options: GlobalOptions) {
        self.options = options
        env = Shared.Environment.all()
        home = KataHome.fromEnvironment(env)
        cwd = options.workspace.map(Paths.absolute) ?? Paths.currentDirectory()
    }

    /// The actor of writes: `--actor`, else `KATA_ACTOR`, else the OS user name.
    var actor: String {
        if let a = options.actor, !a.isEmpty { return a }
        if let a = Shared.Environment.value("KATA_ACTOR", in: env) { return a }
        return Shared.Environment.osUserName(env)
    }

    /// The server URL and whether it is the zero-config local daemon (which `kata` may start).
    /// Resolved once per invocation (it reads `.kata.local.toml` and `config.toml`).
    func serverTarget() throws(ErrorEnvelope) -> (target: ServerTarget, local: Bool) {
        if let cachedTarget { return cachedTarget }
        let resolved = try resolveServerTarget()
        cachedTarget = resolved
        return resolved
    }

    private func resolveServerTarget() throws(ErrorEnvelope) -> (target: ServerTarget, local: Bool) {
        if let s = options.server, !s.isEmpty { return (try ServerTarget.parse(s), false) }
        if let s = Shared.Environment.value("KATA_SERVER", in: env) { return (try ServerTarget.parse(s), false) }
        let local: LocalServerSettings?
        do throws(ConfigProblem) {
            local = try WorkspaceFiles.localServer(from: cwd)
        } catch {
            throw CLIError.validation(error.description)
        }
        if let url = local?.url, !url.isEmpty { return (try ServerTarget.parse(url), false) }
        if let url = DaemonConfigFile.activeDaemon(home: home) {
            return (try ServerTarget.parse(url), false)
        }
        return (.unix(path: home.socketPath), true)
    }

    /// The API client, starting the local daemon first when it is the target and not running.
    func client() throws(ErrorEnvelope) -> KataClient {
        if let cachedClient { return cachedClient }
        let target = try serverTarget().target
        let c = try client(token: try storedToken(for: target).token)
        cachedClient = c
        return c
    }

    /// A client for this command's server carrying `token` (checked against the plain-HTTP guardrail),
    /// starting the local daemon when it is the target and `startDaemon` is set.
    func client(token: String?, startDaemon: Bool = true) throws(ErrorEnvelope) -> KataClient {
        let (target, local) = try serverTarget()
        if local && startDaemon { try DaemonLauncher(home: home, env: env).ensureRunning() }
        if token != nil { try checkTransport(target) }
        var c = KataClient(target: target, token: token)
        c.caFile = Shared.Environment.value("KATA_CA_FILE", in: env) ?? (try? WorkspaceFiles.localServer(from: cwd))??.caFile
        return c
    }

    /// Where the bearer token comes from (auth.md, "Token selection"): `KATA_AUTH_TOKEN`, else the
    /// `credentials.toml` entry that `kata auth login` stored for this server URL, else none.
    func storedToken(for target: ServerTarget) throws(ErrorEnvelope) -> (token: String?, source: String) {
        if let t = Shared.Environment.value("KATA_AUTH_TOKEN", in: env) { return (t, "KATA_AUTH_TOKEN") }
        if let entry = try credentials().servers[target.description] {
            return (entry.token, "credentials.toml")
        }
        return (nil, "none")
    }

    /// `<KATA_HOME>/credentials.toml`, or a validation error naming it when it cannot be read.
    func credentials() throws(ErrorEnvelope) -> Credentials {
        do throws(ConfigProblem) {
            return try Credentials.load(home: home)
        } catch {
            throw CLIError.validation(error.description, hint: "fix or delete the file, then run `kata auth login` again")
        }
    }

    /// The project this command works on (see tracker.md, "Workspace binding").
    func project() throws(ErrorEnvelope) -> Project {
        if let cachedProject { return cachedProject }
        let req: ResolveProjectRequest
        if let name = options.project, !name.isEmpty {
            req = ResolveProjectRequest(name: name, aliasIdentity: nil)
        } else {
            let binding: WorkspaceBinding?
            do throws(ConfigProblem) {
                binding = try WorkspaceFiles.binding(from: cwd)
            } catch {
                throw CLIError.validation(error.description, hint: "fix the file, or run `kata init` to write it again")
            }
            if let binding {
                req = ResolveProjectRequest(name: binding.projectName, aliasIdentity: nil)
            } else if let remote = WorkspaceFiles.gitRemote(from: cwd), let alias = WorkspaceFiles.normalizeGitRemote(remote) {
                req = ResolveProjectRequest(name: nil, aliasIdentity: alias)
            } else {
                throw CLIError.notInitialized()
            }
        }
        let answer = try client().call("POST", "/api/v1/projects/resolve", body: req, as: ProjectAnswer.self)
        cachedProject = answer.project
        return answer.project
    }

    /// Whether a project can be found without asking the server (flag, `.kata.toml`, or git remote).
    var hasProjectContext: Bool {
        if let p = options.project, !p.isEmpty { return true }
        if WorkspaceFiles.nearest(WorkspaceFiles.bindingName, from: cwd) != nil { return true }
        return WorkspaceFiles.gitRemote(from: cwd) != nil
    }

    /// Resolves an issue reference to the project id and the reference the project routes take.
    func issue(_ raw: String) throws(ErrorEnvelope) -> (projectId: Int64, ref: String) {
        let ref = Validation.trimmed(raw)
        if let hash = ref.firstIndex(of: "#"), hash != ref.startIndex {
            let name = String(ref[..<hash])
            let rest = String(ref[ref.index(after: hash)...])
            let p = try client().call(
                "POST", "/api/v1/projects/resolve", body: ResolveProjectRequest(name: name, aliasIdentity: nil), as: ProjectAnswer.self)
            return (p.project.id, rest)
        }
        let bare = ref.hasPrefix("#") ? String(ref.dropFirst()) : ref
        if !hasProjectContext, !bare.isEmpty, !bare.allSatisfy(\.isNumber) {
            let detail = try client().call("GET", "/api/v1/issues/\(URLEncoding.component(bare))", as: IssueDetailAnswer.self)
            return (detail.issue.projectId, detail.issue.uid)
        }
        return (try project().id, bare)
    }

    /// `/api/v1/projects/{id}/issues/{ref}` plus `suffix`.
    func issuePath(_ raw: String, _ suffix: String = "") throws(ErrorEnvelope) -> String {
        let (pid, ref) = try issue(raw)
        return "/api/v1/projects/\(pid)/issues/\(URLEncoding.component(ref))\(suffix)"
    }

    /// The plain-HTTP guardrail: a bearer token goes over `http://` only to loopback, `localhost` or a
    /// literal private IP, unless `KATA_ALLOW_INSECURE=1` or `[server].allow_insecure = true` opts in.
    func checkTransport(_ target: ServerTarget, sending what: String = "a bearer token") throws(ErrorEnvelope) {
        guard case .http(let host, _) = target else { return }
        if AddressClass.of(host: host) != .public { return }
        if let v = Shared.Environment.value("KATA_ALLOW_INSECURE", in: env), v == "1" || v.lowercased() == "true" { return }
        if (try? WorkspaceFiles.localServer(from: cwd))??.allowInsecure == true { return }
        throw ErrorEnvelope(
            status: 0, code: .insecureTransport,
            message: "refusing to send \(what) in clear to \(target): it is not a loopback or private address",
            hint: "use https://, an SSH tunnel, or opt in for this target with KATA_ALLOW_INSECURE=1 or [server] allow_insecure = true in .kata.local.toml")
    }
}
