import ArgumentParser
import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `kata`: the workspace client for people and agents.
@main
struct Kata: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kata",
        abstract: "A local-first issue tracker for coding agents and the people who steer them.",
        discussion: """
            kata finds its project from .kata.toml (written by `kata init`) and its server from --server, \
            KATA_SERVER, .kata.local.toml or the local daemon, which it starts when needed. \
            Global flags (--json, --project, --workspace, --server, --actor, --quiet) go after the subcommand.

            Every command takes --json. Exit codes: 0 ok, 1 internal, 2 usage, 3 validation, 4 not found, \
            5 conflict, 6 confirmation, 7 daemon unavailable, 8 authentication.

            Example:
              kata init --project demo && kata create "Fix the login crash" && kata list
            """,
        version: KataVersion.string,
        subcommands: [
            Init.self, Create.self, List.self, Show.self, Edit.self, Comment.self, Close.self, Reopen.self,
            Label.self, Assign.self, Unassign.self, Delete.self, Restore.self, Purge.self, Search.self, Ready.self,
            Events.self, Projects.self, Export.self, Import.self, Tokens.self, Auth.self, WhoAmI.self, Health.self, Version.self, Daemon.self,
        ])

    /// Parses and runs, mapping usage errors to exit 2 (the spec's exit-code table).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as KataExit {
            Foundation_exit(exit.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Kata.exit(withError: error)
            }
            if code == .validationFailure || error is ValidationError {
                printError(fullMessage(for: error))
                Foundation_exit(KataExitCode.usage.rawValue)
            }
            Kata.exit(withError: error)
        }
    }
}

@inline(__always)
func Foundation_exit(_ code: Int32) -> Never {
    exit(code)
}
