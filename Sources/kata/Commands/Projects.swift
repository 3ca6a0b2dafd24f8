import ArgumentParser
import Shared

/// `kata projects list|show`.
struct Projects: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "projects", 
        abstract: "Projects with their aliases and counts.", discussion: "Example: kata projects list --json",
        subcommands: [ListProjects.self, ShowProject.self])

    struct ListProjects: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List projects.", discussion: "Example: kata projects list")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let answer = try session.client().send("GET", "/api/v1/projects")
                if out.json { return out.raw(answer.body) }
                let list = try KataClient.decode(ProjectListAnswer.self, answer).projects
                if list.isEmpty { out.line("no projects: run `kata init` in a workspace") }
                for p in list {
                    out.line("\(p.name)\topen \(p.counts?.open ?? 0)  closed \(p.counts?.closed ?? 0)  aliases \(p.aliases?.count ?? 0)")
                }
            }
        }
    }

    struct ShowProject: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a project (default: this workspace's).", discussion: "Example: kata projects show demo")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Project name.") var name: String?

        func run() throws {
            try runCommand(global) { session, out throws(ErrorEnvelope) in
                let resolved: Project
                if let name {
                    resolved = try session.client().call(
                        "POST", "/api/v1/projects/resolve", body: ResolveProjectRequest(name: name, aliasIdentity: nil), as: ProjectAnswer.self
                    ).project
                } else {
                    resolved = try session.project()
                }
                // Resolving answers without counts; the project itself has them.
                let project = try session.client().call("GET", "/api/v1/projects/\(resolved.id)", as: ProjectAnswer.self).project
                if out.json { return out.value(ProjectAnswer(project: project)) }
                out.line("\(project.name) (id \(project.id), \(project.uid))")
                out.line("created \(project.createdAt), next issue #\(project.nextIssueNumber)")
                out.line("open \(project.counts?.open ?? 0), closed \(project.counts?.closed ?? 0)")
                for a in project.aliases ?? [] { out.line("alias \(a.aliasIdentity) (\(a.aliasKind))") }
            }
        }
    }
}
