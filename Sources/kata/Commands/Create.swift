import ArgumentParser
import Shared

/// `kata create`.
struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", 
        abstract: "Create an issue; prints its number and short id.",
        discussion: "Example: kata create \"Fix the login crash\" --label bug --blocked-by 3")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The title.") var title: String
    @OptionGroup var bodyOptions: BodyOptions
    @Option(name: .long, help: "A label (repeatable).") var label: [String] = []
    @Option(name: .long, help: "Owner.") var owner: String?
    @Option(name: .long, help: "Parent issue.") var parent: String?
    @Option(name: .long, help: "An issue this one blocks (repeatable).") var blocks: [String] = []
    @Option(name: .customLong("blocked-by"), help: "An issue blocking this one (repeatable).") var blockedBy: [String] = []
    @Option(name: .long, help: "A related issue (repeatable).") var related: [String] = []
    @Option(name: .customLong("idempotency-key"), help: "Return the earlier issue when the same key comes again with the same content.")
    var idempotencyKey: String?
    @Flag(name: .customLong("force-new"), help: "Create even when an open issue looks the same.") var forceNew = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let body: String?
            do { body = try bodyOptions.text() } catch let e as ErrorEnvelope { throw e } catch { throw CLIError.usage("\(error)") }
            let pid = try session.project().id
            let req = CreateIssueRequest(
                title: title, body: body, labels: label, owner: owner, parent: parent.map(Self.bare),
                blocks: blocks.map(Self.bare), blockedBy: blockedBy.map(Self.bare), related: related.map(Self.bare),
                forceNew: forceNew, idempotencyKey: idempotencyKey, actor: session.actor)
            let answer = try session.client().send("POST", "/api/v1/projects/\(pid)/issues", body: req)
            if out.json { return out.raw(answer.body) }
            let m = try KataClient.decode(MutationAnswer.self, answer)
            out.line("\(m.reused == true ? "reused" : "created") #\(m.issue.number) (\(m.issue.shortId)) \(m.issue.title)")
        }
    }

    /// `#3` → `3` for link references inside the project.
    static func bare(_ ref: String) -> String { ref.hasPrefix("#") ? String(ref.dropFirst()) : ref }
}
