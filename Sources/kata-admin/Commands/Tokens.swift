import ArgumentParser
import Foundation
import Shared

/// `kata-admin tokens create|list|revoke` through the admin socket.
struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokens", 
        abstract: "Mint, list and revoke identity tokens through the admin socket.",
        discussion: "Example: kata-admin tokens create --actor ci --name pipeline --role user", subcommands: [Create.self, List.self, Revoke.self])

    /// Runs a call on the admin socket, printing errors and mapping exit codes.
    static func call(json: Bool, _ body: (TokenAPI) throws(ErrorEnvelope) -> Void) throws {
        let home = KataHome.fromEnvironment()
        let client = KataClient(target: .unix(path: home.adminSocketPath), token: AdminToken.find(home: home), timeoutSeconds: 10)
        do throws(ErrorEnvelope) {
            try body(TokenAPI(client: client, base: "/admin/v1"))
        } catch {
            throw AdminExit.reporting(error, json: json)
        }
    }

    static var operatorName: String { "admin:" + Shared.Environment.osUserName(Shared.Environment.all()) }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", 
            abstract: "Mint a token; its secret is printed once.", discussion: "Example: kata-admin tokens create --actor ci --name pipeline --role user")
        @Option(help: "The actor the token writes as.") var actor: String
        @Option(help: "A label, unique per actor.") var name: String
        @Option(help: "viewer, user (default), operator or admin.") var role: String?
        @Option(help: "Lifetime, like 90s, 12h, 30d.") var expires: String?
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Tokens.call(json: json) { api throws(ErrorEnvelope) in
                let answer = try api.create(CreateTokenRequest(actor: actor, name: name, role: role, expires: expires), by: Tokens.operatorName)
                if json { return FileHandle.standardOutput.write(Data(answer.body) + Data("\n".utf8)) }
                let a = try KataClient.decode(CreatedTokenAnswer.self, answer)
                printLine(TokenAPI.createdText(a))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).", discussion: "Example: kata-admin tokens list")
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Tokens.call(json: json) { api throws(ErrorEnvelope) in
                let answer = try api.list()
                if json { return FileHandle.standardOutput.write(Data(answer.body) + Data("\n".utf8)) }
                TokenAPI.lines(try KataClient.decode(TokenListAnswer.self, answer).tokens).forEach(printLine)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by id.", discussion: "Example: kata-admin tokens revoke 3")
        @Argument(help: "The token id.") var id: String
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Tokens.call(json: json) { api throws(ErrorEnvelope) in
                let answer = try api.revoke(id: id, by: Tokens.operatorName)
                if json { return FileHandle.standardOutput.write(Data(answer.body) + Data("\n".utf8)) }
                let r = try KataClient.decode(RevokedTokenAnswer.self, answer)
                printLine(r.changed ? "revoked token \(r.token.id)" : "token \(r.token.id) was already revoked")
            }
        }
    }
}
