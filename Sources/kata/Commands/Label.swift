import ArgumentParser
import Shared

/// `kata label add|rm`.
struct Label: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "label", 
        abstract: "Add or remove labels (1-64 characters of a-z 0-9 . _ : -).",
        discussion: "Example: kata label add 12 bug area:ui && kata label rm 12 area:ui", subcommands: [Add.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add labels.", discussion: "Example: kata label add 12 bug area:ui")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The issue.") var ref: String
        @Argument(help: "Labels.") var labels: [String]

        func validate() throws {
            if labels.isEmpty { throw ValidationError("give at least one label") }
        }

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                try sendMutation(
                    session, out, "POST", try session.issuePath(ref, "/labels"), body: LabelsRequest(labels: labels, actor: session.actor),
                    verb: "labeled")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove labels.", discussion: "Example: kata label rm 12 area:ui", aliases: ["remove"])
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The issue.") var ref: String
        @Argument(help: "Labels.") var labels: [String]

        func validate() throws {
            if labels.isEmpty { throw ValidationError("give at least one label") }
        }

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let base = try session.issuePath(ref, "/labels/")
                var last: HTTPAnswer?
                for l in labels {
                    last = try session.client().send(
                        "DELETE", base + URLEncoding.component(l) + URLEncoding.query([("actor", session.actor)]))
                }
                if let last { printMutation(out, last, verb: "unlabeled") }
            }
        }
    }
}
