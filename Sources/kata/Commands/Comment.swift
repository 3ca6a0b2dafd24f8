import ArgumentParser
import Shared

/// `kata comment`.
struct Comment: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "comment", 
        abstract: "Append a comment.", discussion: "Example: echo \"Seen again\" | kata comment 12 --body-stdin")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String
    @OptionGroup var bodyOptions: BodyOptions

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let body: String?
            do { body = try bodyOptions.text() } catch let e as ErrorEnvelope { throw e } catch { throw CLIError.usage("\(error)") }
            guard let body else { throw CLIError.usage("give the comment with --body, --body-file or --body-stdin") }
            try sendMutation(
                session, out, "POST", try session.issuePath(ref, "/comments"), body: CommentRequest(body: body, actor: session.actor),
                verb: "commented on")
        }
    }
}
