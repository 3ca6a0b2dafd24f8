import ArgumentParser
import Shared

/// `kata show`.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", 
        abstract: "Show one issue with its labels and links.",
        discussion: "REF is N, #N, project#N, a short id or a ULID. Example: kata show 12 --comments")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String
    @Flag(help: "Include comments.") var comments = false
    @Flag(help: "Include the issue's events.") var events = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            var q: [(String, String)] = []
            if comments { q.append(("comments", "1")) }
            if events { q.append(("events", "1")) }
            let answer = try session.client().send("GET", try session.issuePath(ref) + URLEncoding.query(q))
            if out.json { return out.raw(answer.body) }
            out.line(Format.issueDetail(try KataClient.decode(IssueDetailAnswer.self, answer)))
        }
    }
}
