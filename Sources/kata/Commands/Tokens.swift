import ArgumentParser
import Shared

/// `kata tokens create|list|revoke`: DB-backed identity tokens (needs the bootstrap token, an admin token, or local use).
struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokens", 
        abstract: "Mint, list and revoke DB-backed identity tokens.",
        discussion: "Example: kata tokens create --actor alice --name laptop && kata tokens list", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", 
            abstract: "Mint a token; its secret is printed once.",
            discussion: "Example: kata tokens create --actor alice --name laptop --role user --expires 30d")
        // `--actor` names the token's actor here, so this command takes the connection flags itself.
        @Flag(help: "Print machine-readable JSON.") var json = false
        @Option(help: "Server URL: unix:///path, http://host:port or https://host:port.") var server: String?
        @Flag(help: "Print nothing on success.") var quiet = false
        @Option(name: .customLong("actor"), help: "The actor the token writes as.") var tokenActor: String
        @Option(help: "A label, unique per actor.") var name: String
        @Option(help: "viewer, user (default), operator or admin.") var role: String?
        @Option(help: "Lifetime, like 90s, 12h, 30d.") var expires: String?

        func run() throws {
            var args: [String] = []
            if json { args.append("--json") }
            if quiet { args.append("--quiet") }
            if let server { args += ["--server", server] }
            let global = try GlobalOptions.parse(args)
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let api = TokenAPI(client: try session.client(), base: "/api/v1")
                let answer = try api.create(CreateTokenRequest(actor: tokenActor, name: name, role: role, expires: expires), by: session.actor)
                if out.json { return out.raw(answer.body) }
                out.line(TokenAPI.createdText(try KataClient.decode(CreatedTokenAnswer.self, answer)))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).", discussion: "Example: kata tokens list --json")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let answer = try TokenAPI(client: try session.client(), base: "/api/v1").list()
                if out.json { return out.raw(answer.body) }
                TokenAPI.lines(try KataClient.decode(TokenListAnswer.self, answer).tokens).forEach(out.line)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by id.", discussion: "Example: kata tokens revoke 3")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token id (from `kata tokens list`).") var id: String

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let answer = try TokenAPI(client: try session.client(), base: "/api/v1").revoke(id: id, by: session.actor)
                if out.json { return out.raw(answer.body) }
                let r = try KataClient.decode(RevokedTokenAnswer.self, answer)
                out.line(r.changed ? "revoked token \(r.token.id) (\(r.token.actor)/\(r.token.name))" : "token \(r.token.id) was already revoked")
            }
        }
    }
}

/// `kata whoami`.
struct WhoAmI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "The actor, principal kind and role the server sees for this client.", discussion: "Example: kata whoami --json")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let answer = try session.client().send("GET", "/api/v1/whoami" + URLEncoding.query([("actor", session.actor)]))
            if out.json { return out.raw(answer.body) }
            let w = try KataClient.decode(WhoAmIAnswer.self, answer)
            out.line("\(w.actor) (\(w.principal), role \(w.role)\(w.expiresAt.map { ", expires \($0)" } ?? ""))")
        }
    }
}
