import ArgumentParser
import Shared

/// `kata health`.
struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", 
        abstract: "Server health: database, schema version, uptime, listeners, auth mode.", discussion: "Example: kata health --json")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let answer = try session.client().send("GET", "/api/v1/health")
            if out.json { return out.raw(answer.body) }
            let h = try KataClient.decode(HealthAnswer.self, answer)
            out.line("status \(h.status), database \(h.database), schema \(h.schemaVersion), version \(h.version)")
            out.line("uptime \(Int(h.uptimeSeconds)) s, auth \(h.authMode), pid \(h.pid)")
            for l in h.listeners { out.line("listening on \(l)") }
        }
    }
}

/// `kata version`.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", 
        abstract: "Versions of this client and of the server.", discussion: "Example: kata version --json")
    @OptionGroup var global: GlobalOptions

    struct Answer: Codable {
        var client: String
        var server: String?
        var serverError: String?
    }

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            var answer = Answer(client: KataVersion.string)
            do throws(ErrorEnvelope) {
                answer.server = try session.client().call("GET", "/api/v1/health", as: HealthAnswer.self).version
            } catch {
                answer.serverError = error.error.message
            }
            if out.json { return out.value(answer) }
            out.line("kata \(answer.client)")
            out.line("katad \(answer.server ?? "unavailable: \(answer.serverError ?? "")")")
        }
    }
}
