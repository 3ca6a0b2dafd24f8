import ArgumentParser
import Shared

/// `kata close`.
struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", 
        abstract: "Close an issue.", discussion: "Example: kata close 12 --reason wontfix --message \"Superseded by #14\"")

    enum Reason: String, ExpressibleByArgument, CaseIterable { case done, wontfix, duplicate }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String
    @Option(help: "done, wontfix or duplicate.") var reason: Reason = .done
    @Option(help: "A comment added in the same transaction.") var message: String?

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            try sendMutation(
                session, out, "POST", try session.issuePath(ref, "/actions/close"),
                body: CloseRequest(reason: reason.rawValue, message: message, actor: session.actor), verb: "closed")
        }
    }
}

/// `kata reopen`.
struct Reopen: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reopen", abstract: "Reopen a closed issue.", discussion: "Example: kata reopen 12")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            try sendMutation(
                session, out, "POST", try session.issuePath(ref, "/actions/reopen"), body: ActorRequest(actor: session.actor),
                verb: "reopened")
        }
    }
}
