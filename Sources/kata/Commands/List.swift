import ArgumentParser
import Shared

/// `kata list`.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", 
        abstract: "List issues, newest activity first.",
        discussion: "Example: kata list --status all --label bug --limit 20")

    enum Status: String, ExpressibleByArgument, CaseIterable { case open, closed, all }

    @OptionGroup var global: GlobalOptions
    @Option(help: "open, closed or all.") var status: Status = .open
    @Option(name: .long, help: "Only issues with this label (repeatable).") var label: [String] = []
    @Option(help: "Only issues owned by this actor.") var owner: String?
    @Option(help: "Only issues created by this actor.") var author: String?
    @Option(help: "Page size (1-500).") var limit: Int?
    @Option(help: "The next_cursor of the previous page.") var cursor: String?
    @Flag(name: .customLong("all-projects"), help: "List across every project.") var allProjects = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            var q: [(String, String)] = [("status", status.rawValue)]
            q += label.map { ("label", $0) }
            if let owner { q.append(("owner", owner)) }
            if let author { q.append(("author", author)) }
            if let limit { q.append(("limit", String(limit))) }
            if let cursor { q.append(("cursor", cursor)) }
            let path = allProjects ? "/api/v1/issues" : "/api/v1/projects/\(try session.project().id)/issues"
            let answer = try session.client().send("GET", path + URLEncoding.query(q))
            if out.json { return out.raw(answer.body) }
            let page = try KataClient.decode(IssueListAnswer.self, answer)
            if page.issues.isEmpty { out.line("no issues") }
            for i in page.issues { out.line((allProjects ? "\(i.projectName)" : "") + Format.issueLine(i)) }
            if let next = page.nextCursor { out.line("more: kata list --cursor \(next)") }
        }
    }
}
