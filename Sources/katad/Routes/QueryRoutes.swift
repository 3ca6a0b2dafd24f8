import Hummingbird
import Shared

/// Ready queue and search, per project and across projects.
enum QueryRoutes {
    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        let api = router.group("api/v1")
        api.get("projects/:id/ready") { request, context in
            let pid = try RequestDecoding.id(context, "id")
            try await s.store.requireProject(id: pid)
            let limit = try RequestDecoding.limit(request, default: 50, max: 500)
            return JSONResponse.make(ReadyAnswer(issues: try await s.store.ready(projectIds: [pid], limit: limit)))
        }
        api.get("ready") { request, _ in
            let limit = try RequestDecoding.limit(request, default: 50, max: 500)
            return JSONResponse.make(ReadyAnswer(issues: try await s.store.ready(projectIds: [], limit: limit)))
        }
        api.get("projects/:id/search") { request, context in
            let pid = try RequestDecoding.id(context, "id")
            try await s.store.requireProject(id: pid)
            return try await search(request, s, projectIds: [pid])
        }
        api.get("search") { request, _ in
            try await search(request, s, projectIds: [])
        }
    }

    static func search(_ request: Request, _ s: APIServices, projectIds: [Int64]) async throws -> Response {
        guard let q = request.uri.queryParameters["q"] else {
            throw KataError.validation("q", "required: the search query", hint: "kata search \"words to find\"")
        }
        let limit = try RequestDecoding.limit(request, default: 20, max: 200)
        return JSONResponse.make(SearchAnswer(results: try await s.store.search(projectIds: projectIds, query: String(q), limit: limit)))
    }
}
