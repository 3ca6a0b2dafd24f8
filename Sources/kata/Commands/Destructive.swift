import ArgumentParser
import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The confirmation of a destructive action: `--confirm`, else a prompt on a TTY, else none (the server answers 412).
func confirmation(_ given: String?, verb: String, session: Session, ref: String) throws(ErrorEnvelope) -> String? {
    if let given { return given }
    guard isatty(0) == 1, isatty(2) == 1 else { return nil }
    let detail = try session.client().call("GET", try session.issuePath(ref), as: IssueDetailAnswer.self)
    let expected = "\(verb) #\(detail.issue.number)"
    printError("This will \(verb.lowercased()) #\(detail.issue.number) \(detail.issue.title).\nType \(expected) to confirm:")
    guard let line = readLine() else { return "" }
    return line
}

/// `kata delete`.
struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", 
        abstract: "Soft-delete an issue (hidden from lists and search; undo with restore).",
        discussion: "Example: kata delete 12 --force --confirm \"DELETE #12\"")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String
    @Flag(help: "Required: you mean it.") var force = false
    @Option(help: "The exact string DELETE #N (prompted for on a terminal).") var confirm: String?

    func validate() throws {
        if !force { throw ValidationError("delete needs --force") }
    }

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let c = try confirmation(confirm, verb: "DELETE", session: session, ref: ref)
            try sendMutation(
                session, out, "POST", try session.issuePath(ref, "/actions/delete"), body: ActorRequest(actor: session.actor),
                headers: c.map { [("X-Kata-Confirm", $0)] } ?? [], verb: "deleted")
        }
    }
}

/// `kata restore`.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restore", abstract: "Undo a soft delete.", discussion: "Example: kata restore 12")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            try sendMutation(
                session, out, "POST", try session.issuePath(ref, "/actions/restore"), body: ActorRequest(actor: session.actor),
                verb: "restored")
        }
    }
}

/// `kata purge`.
struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", 
        abstract: "Irreversibly remove an issue with its comments, links, labels and events; writes the purge log.",
        discussion: "Example: kata purge 12 --force --confirm \"PURGE #12\"")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String
    @Flag(help: "Required: you mean it.") var force = false
    @Option(help: "The exact string PURGE #N (prompted for on a terminal).") var confirm: String?
    @Option(help: "Why, kept in the purge log.") var reason: String?

    func validate() throws {
        if !force { throw ValidationError("purge needs --force") }
    }

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let c = try confirmation(confirm, verb: "PURGE", session: session, ref: ref)
            let answer = try session.client().send(
                "POST", try session.issuePath(ref, "/actions/purge"), body: ActorRequest(actor: session.actor, reason: reason),
                headers: c.map { [("X-Kata-Confirm", $0)] } ?? [])
            if out.json { return out.raw(answer.body) }
            out.line("purged \(ref)")
        }
    }
}
