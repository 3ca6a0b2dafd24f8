import ArgumentParser
import Shared

/// `kata edit`: one atomic change.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "edit", 
        abstract: "Change title, body, owner and links in one atomic edit.",
        discussion: "Example: kata edit 4 --title \"Better title\" --blocked-by 2 --remove-related 7")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The issue.") var ref: String
    @Option(help: "New title.") var title: String?
    @OptionGroup var bodyOptions: BodyOptions
    @Option(help: "New owner.") var owner: String?
    @Flag(name: .customLong("no-owner"), help: "Clear the owner.") var noOwner = false
    @Option(help: "Set the parent.") var parent: String?
    @Flag(name: .customLong("remove-parent"), help: "Remove the parent.") var removeParent = false
    @Option(help: "Add: this issue blocks REF (repeatable).") var blocks: [String] = []
    @Option(name: .customLong("remove-blocks"), help: "Remove a blocks link (repeatable).") var removeBlocks: [String] = []
    @Option(name: .customLong("blocked-by"), help: "Add: REF blocks this issue (repeatable).") var blockedBy: [String] = []
    @Option(name: .customLong("remove-blocked-by"), help: "Remove a blocked-by link (repeatable).") var removeBlockedBy: [String] = []
    @Option(help: "Add a related issue (repeatable).") var related: [String] = []
    @Option(name: .customLong("remove-related"), help: "Remove a related link (repeatable).") var removeRelated: [String] = []

    func validate() throws {
        if owner != nil && noOwner { throw ValidationError("give --owner or --no-owner, not both") }
        if parent != nil && removeParent { throw ValidationError("give --parent or --remove-parent, not both") }
    }

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            var req = EditIssueRequest()
            req.title = title
            do { req.body = try bodyOptions.text() } catch let e as ErrorEnvelope { throw e } catch { throw CLIError.usage("\(error)") }
            req.owner = owner
            req.clearOwner = noOwner ? true : nil
            req.parent = parent.map(Create.bare)
            req.removeParent = removeParent ? true : nil
            func list(_ refs: [String]) -> [String]? { refs.isEmpty ? nil : refs.map(Create.bare) }
            req.blocks = list(blocks)
            req.removeBlocks = list(removeBlocks)
            req.blockedBy = list(blockedBy)
            req.removeBlockedBy = list(removeBlockedBy)
            req.related = list(related)
            req.removeRelated = list(removeRelated)
            req.actor = session.actor
            try sendMutation(session, out, "PATCH", try session.issuePath(ref), body: req, verb: "edited")
        }
    }
}
