import Hummingbird
import Shared

/// `/projects`: init, resolve, list, show.
enum ProjectRoutes {
    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        let projects = router.group("api/v1/projects")
        projects.post { request, context in
            let req = try await RequestDecoding.body(InitProjectRequest.self, from: request)
            let answer = try await s.store.initProject(req, callerRole: context.principal.role)
            return JSONResponse.make(answer, status: answer.created == true ? .created : .ok)
        }
        projects.post("resolve") { request, _ in
            let req = try await RequestDecoding.body(ResolveProjectRequest.self, from: request)
            return JSONResponse.make(ProjectAnswer(project: try await s.store.resolveProject(req)))
        }
        projects.get { _, _ in
            JSONResponse.make(ProjectListAnswer(projects: try await s.store.listProjects()))
        }
        projects.get(":id") { _, context in
            JSONResponse.make(ProjectAnswer(project: try await s.store.project(id: try RequestDecoding.id(context, "id"))))
        }
    }
}
