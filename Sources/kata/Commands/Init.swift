import ArgumentParser
import Foundation
import Shared

/// `kata init`: bind the workspace to a project.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", 
        abstract: "Bind this workspace to a project (creating it if needed) and write .kata.toml.",
        discussion: "Idempotent. Example: kata init --project product")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Rewrite an existing .kata.toml that names another project.")
    var replace = false

    @Flag(help: "Move this workspace's alias from the project it is bound to.")
    var reassign = false

    func run() throws {
        try runCommand(global) { session, out throws(ErrorEnvelope) in
            let existing: WorkspaceBinding?
            do throws(ConfigProblem) {
                existing = try WorkspaceFiles.binding(from: session.cwd)
            } catch {
                if !replace { throw CLIError.validation(error.description, hint: "fix the file, or run `kata init --replace`") }
                existing = nil
            }
            let root = existing?.root ?? session.cwd
            if let existing, let wanted = global.project, wanted != existing.projectName, !replace {
                throw ErrorEnvelope(
                    status: 409, code: .conflict,
                    message: "\(root)/.kata.toml binds project \(existing.projectName), not \(wanted)",
                    hint: "use `kata init --project \(existing.projectName)`, or add --replace to rebind this workspace")
            }
            let name = global.project ?? existing?.projectName ?? Self.defaultName(root)
            let alias = WorkspaceFiles.aliasIdentity(forWorkspace: root)
            let req = InitProjectRequest(
                name: name, aliasIdentity: alias.identity, aliasKind: alias.kind, lastSeenPath: root, replace: replace,
                reassign: reassign || replace, actor: session.actor)
            let client = try session.client()
            let answer = try client.send("POST", "/api/v1/projects", body: req)
            let project = try KataClient.decode(ProjectAnswer.self, answer).project
            let path = "\(root)/\(WorkspaceFiles.bindingName)"
            if existing == nil || existing?.projectName != project.name {
                do {
                    try WorkspaceFiles.bindingText(projectName: project.name).write(toFile: path, atomically: true, encoding: .utf8)
                } catch {
                    throw CLIError.validation("cannot write \(path): \(error.localizedDescription)", hint: "check the folder's permissions")
                }
            }
            if out.json {
                out.raw(answer.body)
            } else {
                out.line("bound \(root) to project \(project.name) (alias \(alias.identity))")
            }
        }
    }

    /// A project name from the folder name: letters, digits, `.`, `_`, `-`.
    static func defaultName(_ root: String) -> String {
        let base = root.split(separator: "/").last.map(String.init) ?? "project"
        let cleaned = String(base.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "-" }.prefix(64))
        return cleaned.first.map { $0.isLetter || $0.isNumber } == true ? cleaned : "p" + cleaned
    }
}
