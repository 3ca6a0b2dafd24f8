import ArgumentParser
import Foundation
import Shared

/// `kata-admin`: operators' tool — offline config checks, and administration over the admin socket.
@main
struct KataAdmin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kata-admin",
        abstract: "Operate a kata daemon: check its configuration offline, inspect it over the admin socket.",
        discussion: """
            Finds <KATA_HOME>/run/admin.sock from KATA_HOME alone.

            Example:
              kata-admin config check --config /etc/kata/config.toml
            """,
        version: KataVersion.string,
        subcommands: [Config.self, Status.self, Tokens.self, Users.self, Backup.self, Restore.self])

    /// Parses and runs, mapping usage errors to exit 2.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as AdminExit {
            Foundation.exit(exit.code)
        } catch {
            let code = exitCode(for: error)
            if code != .success && (code == .validationFailure || error is ValidationError) {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(KataExitCode.usage.rawValue)
            }
            KataAdmin.exit(withError: error)
        }
    }
}

/// An exit with a given code after the output was printed.
struct AdminExit: Error {
    let code: Int32

    /// Prints a failure (its envelope as JSON, or the message and hint on stderr) and gives its exit.
    static func reporting(_ error: ErrorEnvelope, json: Bool) -> AdminExit {
        if json {
            printJSON(error)
        } else {
            FileHandle.standardError.write(Data("kata-admin: \(error.error.message)\(error.error.hint.map { "\n  hint: \($0)" } ?? "")\n".utf8))
        }
        return AdminExit(code: error.exitCode.rawValue)
    }
}

/// Prints a value as one line of JSON.
func printJSON(_ value: some Encodable) {
    let data = (try? KataJSON.encoder(pretty: true).encode(value)) ?? Data("{}".utf8)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
