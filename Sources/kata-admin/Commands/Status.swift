import ArgumentParser
import Foundation
import Shared

/// `kata-admin status`: the daemon as seen through the admin socket.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", 
        abstract: "Report the daemon of this KATA_HOME through its admin socket; exit 7 when it does not answer.",
        discussion: "Example: kata-admin status --json")

    @Flag(help: "Print as JSON.") var json = false

    func run() throws {
        let home = KataHome.fromEnvironment()
        let client = KataClient(target: .unix(path: home.adminSocketPath), token: AdminToken.find(home: home), timeoutSeconds: 10)
        do throws(ErrorEnvelope) {
            let answer = try client.send("GET", "/admin/v1/status")
            if json {
                FileHandle.standardOutput.write(Data(answer.body) + Data("\n".utf8))
            } else {
                printLine(String(decoding: answer.body, as: UTF8.self))
            }
        } catch {
            if json { printJSON(error) } else { FileHandle.standardError.write(Data("kata-admin: \(error.error.message)\n".utf8)) }
            throw AdminExit(code: error.exitCode.rawValue)
        }
    }
}
