import HTTPTypes
import Hummingbird
import Shared

/// Issue routes: create, list, show, edit, comment, labels, owner, and the state actions.
enum IssueRoutes {
    static let confirmHeader = HTTPField.Name("X-Kata-Confirm")!
    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        let issues = router.group("api/v1/projects/:id/issues")
        issues.post { request, context in
            var req = try await RequestDecoding.body(CreateIssueRequest.self, from: request)
            if let header = request.headers[idempotencyHeader], !header.isEmpty { req.idempotencyKey = header }
            let answer = try await s.store.createIssue(projectId: try RequestDecoding.id(context, "id"), req, actor: try context.actor(req.actor))
            return JSONResponse.make(answer, status: answer.reused == true ? .ok : .created)
        }
        issues.get { request, context in
            var filter = try filter(from: request)
            filter.projectIds = [try RequestDecoding.id(context, "id")]
            try await s.store.requireProject(id: filter.projectIds[0])
            return JSONResponse.make(try await s.store.listIssues(filter))
        }
        issues.get(":ref", use: show(s))
        issues.patch(":ref") { request, context in
            let req = try await RequestDecoding.body(EditIssueRequest.self, from: request)
            return JSONResponse.make(
                try await s.store.editIssue(
                    projectId: try RequestDecoding.id(context, "id"), ref: RequestDecoding.text(context, "ref"), req, actor: try context.actor(req.actor)))
        }
        issues.post(":ref/comments") { request, context in
            let req = try await RequestDecoding.body(CommentRequest.self, from: request)
            let answer = try await s.store.comment(
                projectId: try RequestDecoding.id(context, "id"), ref: RequestDecoding.text(context, "ref"), body: req.body, actor: try context.actor(req.actor))
            return JSONResponse.make(answer, status: .created)
        }
        issues.post(":ref/labels") { request, context in
            let req = try await RequestDecoding.body(LabelsRequest.self, from: request)
            return JSONResponse.make(
                try await s.store.addLabels(
                    projectId: try RequestDecoding.id(context, "id"), ref: RequestDecoding.text(context, "ref"), labels: req.labels ?? [],
                    actor: try context.actor(req.actor)))
        }
        issues.delete(":ref/labels/:label") { request, context in
            let actor = try context.actor(request.uri.queryParameters["actor"].map(String.init))
            return JSONResponse.make(
                try await s.store.removeLabel(
                    projectId: try RequestDecoding.id(context, "id"), ref: RequestDecoding.text(context, "ref"),
                    label: RequestDecoding.text(context, "label"), actor: actor))
        }
        issues.post(":ref/assign") { request, context in
            let req = try await RequestDecoding.body(AssignRequest.self, from: request)
            return JSONResponse.make(
                try await s.store.assign(
                    projectId: try RequestDecoding.id(context, "id"), ref: RequestDecoding.text(context, "ref"), owner: req.owner,
                    actor: try context.actor(req.actor)))
        }
        issues.post(":ref/unassign") { request, context in
            let req = try await RequestDecoding.body(ActorRequest.self, from: request)
            return JSONResponse.make(
                try await s.store.unassign(
                    projectId: try RequestDecoding.id(context, "id"), ref: RequestDecoding.text(context, "ref"), actor: try context.actor(req.actor)))
        }
        issues.post(":ref/actions/:action") { request, context in
            let pid = try RequestDecoding.id(context, "id")
            let ref = RequestDecoding.text(context, "ref")
            let confirm = request.headers[confirmHeader]
            switch RequestDecoding.text(context, "action") {
            case "close":
                let req = try await RequestDecoding.body(CloseRequest.self, from: request)
                return JSONResponse.make(
                    try await s.store.close(projectId: pid, ref: ref, reason: req.reason, message: req.message, actor: try context.actor(req.actor)))
            case "reopen":
                let req = try await RequestDecoding.body(ActorRequest.self, from: request)
                return JSONResponse.make(try await s.store.reopen(projectId: pid, ref: ref, actor: try context.actor(req.actor)))
            case "delete":
                try context.require(.operator, to: "delete")
                let req = try await RequestDecoding.body(ActorRequest.self, from: request)
                return JSONResponse.make(try await s.store.softDelete(projectId: pid, ref: ref, confirm: confirm, actor: try context.actor(req.actor)))
            case "restore":
                try context.require(.operator, to: "restore")
                let req = try await RequestDecoding.body(ActorRequest.self, from: request)
                return JSONResponse.make(try await s.store.restore(projectId: pid, ref: ref, actor: try context.actor(req.actor)))
            case "purge":
                try context.require(.operator, to: "purge")
                let req = try await RequestDecoding.body(ActorRequest.self, from: request)
                return JSONResponse.make(
                    try await s.store.purge(projectId: pid, ref: ref, confirm: confirm, reason: req.reason, actor: try context.actor(req.actor)))
            case let other:
                throw KataError(
                    404, .notFound, "no action \(other)", hint: "actions are close, reopen, delete, restore, purge")
            }
        }

        let global = router.group("api/v1/issues")
        global.get { request, _ in
            var filter = try filter(from: request)
            filter.projectIds = try request.uri.queryParameters.getAll("project_id").map { raw in
                guard let v = Int64(raw), v > 0 else { throw KataError.validation("project_id", "must be a positive integer (got \"\(raw)\")") }
                return v
            }
            return JSONResponse.make(try await s.store.listIssues(filter))
        }
        global.get(":ref") { request, context in
            let q = request.uri.queryParameters
            return JSONResponse.make(
                try await s.store.issueDetailAnywhere(ref: RequestDecoding.text(context, "ref"), comments: flag(q["comments"]), events: flag(q["events"])))
        }
    }

    /// The path of `show` (`APIResponder` finds it in front of the router).
    static let showPath = "/api/v1/projects/{id}/issues/{ref}"

    /// `GET /api/v1/projects/{id}/issues/{ref}`: one issue with its links, and its comments and events when
    /// asked (`kata show`).
    static func show(_ s: APIServices) -> @Sendable (Request, KataRequestContext) async throws -> Response {
        { request, context in
            try await show(s, request, projectId: try RequestDecoding.id(context, "id"), ref: RequestDecoding.text(context, "ref"))
        }
    }

    /// `GET /api/v1/projects/{id}/issues/{ref}` once its parameters are decoded: by the router's route above,
    /// or by `APIResponder`, which finds them in the path itself.
    static func show(_ s: APIServices, _ request: Request, projectId: Int64, ref: String) async throws -> Response {
        var comments = false, events = false
        if request.uri.query != nil {
            let q = request.uri.queryParameters
            comments = flag(q["comments"])
            events = flag(q["events"])
        }
        if !comments, !events, let json = try s.store.unlinkedIssueJSON(projectId: projectId, ref: ref) {
            return JSONResponse.make(buffer: json)
        }
        return JSONResponse.make(try await s.store.issueDetail(projectId: projectId, ref: ref, comments: comments, events: events))
    }

    static func flag(_ value: Substring?) -> Bool {
        guard let value else { return false }
        return value == "1" || value == "true" || value == ""
    }

    /// The list filters shared by the project and cross-project lists.
    static func filter(from request: Request) throws -> IssueFilter {
        let q = request.uri.queryParameters
        var f = IssueFilter()
        if let raw = q["status"] {
            guard let status = IssueFilter.Status(rawValue: String(raw)) else {
                throw KataError.validation("status", "must be open, closed or all (got \"\(raw)\")")
            }
            f.status = status
        }
        f.labels = Array(Set(q.getAll("label").map { String($0) })).sorted()
        if f.labels.count > IssueFilter.maxLabels {
            throw KataError.validation("label", "at most \(IssueFilter.maxLabels) labels in one filter (got \(f.labels.count))")
        }
        for l in f.labels where !Validation.isValidLabel(l) {
            throw KataError.validation("label", "\"\(l)\" is not a valid label: use 1-64 characters of a-z 0-9 . _ : -")
        }
        f.owner = q["owner"].map(String.init)
        f.author = q["author"].map(String.init)
        f.limit = try RequestDecoding.limit(request, default: 50, max: 500)
        if let c = q["cursor"], !c.isEmpty { f.cursor = try ListCursor(parsing: String(c)) }
        return f
    }
}
