import ArgumentParser
import Shared

/// `kata ready`.
struct Ready: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ready", 
        abstract: "Open issues with no open blocker, oldest first.", discussion: "Example: kata ready --limit 5")

    @OptionGroup var global: GlobalOptions
    @Option(help: "At most this many (1-500).") var limit: Int?
    @Flag(name: .customLong("all-projects"), help: "Across every project.") var allProjects = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let q = limit.map { [("limit", String($0))] } ?? []
            let path = allProjects ? "/api/v1/ready" : "/api/v1/projects/\(try session.project().id)/ready"
            let answer = try session.client().send("GET", path + URLEncoding.query(q))
            if out.json { return out.raw(answer.body) }
            let issues = try KataClient.decode(ReadyAnswer.self, answer).issues
            if issues.isEmpty { out.line("nothing ready") }
            for i in issues { out.line(Format.issueLine(i)) }
        }
    }
}
