import ArgumentParser
import Shared

/// `kata assign`.
struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assign", abstract: "Set the owner of an issue.", discussion: "Example: kata assign 12 alice")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String
    @Argument(help: "The new owner.") var owner: String

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            try sendMutation(
                session, out, "POST", try session.issuePath(ref, "/assign"), body: AssignRequest(owner: owner, actor: session.actor),
                verb: "assigned")
        }
    }
}

/// `kata unassign`.
struct Unassign: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unassign", abstract: "Clear the owner of an issue.", discussion: "Example: kata unassign 12")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            try sendMutation(
                session, out, "POST", try session.issuePath(ref, "/unassign"), body: ActorRequest(actor: session.actor), verb: "unassigned")
        }
    }
}
