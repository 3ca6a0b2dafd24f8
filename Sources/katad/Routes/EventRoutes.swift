import HTTPTypes
import Hummingbird
import NIOCore
import Shared

/// The event log: polling, and the SSE stream (replay from a cursor, then live).
enum EventRoutes {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        let api = router.group("api/v1")
        api.get("events") { request, _ in
            try await poll(request, s, projectId: nil)
        }
        api.get("projects/:id/events") { request, context in
            try await poll(request, s, projectId: try RequestDecoding.id(context, "id"))
        }
        api.get("events/stream") { request, _ in
            try await stream(request, s)
        }
    }

    static func poll(_ request: Request, _ s: APIServices, projectId: Int64?) async throws -> Response {
        let after = try RequestDecoding.nonNegative(request, "after_id", default: 0)
        let limit = try RequestDecoding.limit(request, default: 100, max: 1000)
        return JSONResponse.make(try await s.store.pollEvents(projectId: projectId, afterId: after, limit: limit))
    }

    static func stream(_ request: Request, _ s: APIServices) async throws -> Response {
        let accept = request.headers[.accept]?.lowercased() ?? ""
        guard accept.contains("text/event-stream") else {
            throw KataError(
                406, .notAcceptable, "the event stream is served as text/event-stream only",
                hint: "send Accept: text/event-stream, or poll GET /api/v1/events")
        }
        var projectId: Int64?
        if let raw = request.uri.queryParameters["project_id"] {
            guard let v = Int64(raw), v > 0 else { throw KataError.validation("project_id", "must be a positive integer (got \"\(raw)\")") }
            try await s.store.requireProject(id: v)
            projectId = v
        }
        let queryCursor = request.uri.queryParameters["after_id"]
        let headerCursor = request.headers[lastEventID]
        if queryCursor != nil && headerCursor != nil {
            throw KataError(
                400, .cursorConflict, "give the cursor once: after_id and Last-Event-ID were both sent",
                hint: "drop one of them; a reconnecting client sends only Last-Event-ID")
        }
        var cursor: Int64?
        if let raw = queryCursor.map(String.init) ?? headerCursor {
            guard let v = Int64(raw), v >= 0 else {
                throw KataError.validation(queryCursor != nil ? "after_id" : "Last-Event-ID", "must be a non-negative integer (got \"\(raw)\")")
            }
            cursor = v
        }
        let scope = projectId
        let (subscriberId, items) = s.broadcaster.subscribe(projectId: scope)
        // With no cursor the stream starts live, after the newest event.
        let start: Int64
        if let cursor {
            start = cursor
        } else {
            start = try await s.store.latestCursor(projectId: projectId)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let body = ResponseBody { writer in
            defer { s.broadcaster.unsubscribe(subscriberId) }
            var position = start
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            while true {
                let page = try await s.store.replay(projectId: scope, afterId: position, limit: 500)
                if position < page.reset {
                    try await writer.write(SSEFrame.reset(page.reset))
                    position = page.reset
                    continue
                }
                if page.events.isEmpty { break }
                // One write per page of replayed frames.
                var buffer = ByteBuffer()
                for e in page.events { buffer.writeImmutableBuffer(SSEFrame.event(e)) }
                try await writer.write(buffer)
                position = page.events.last!.id
            }
            // Everything pending goes out in one write.
            while let batch = await items.takeAll() {
                // The usual case, one run of new events: its joined frames as they are, no copy.
                if batch.count == 1, case .events(let run) = batch[0], let first = run.events.first, let last = run.events.last,
                    first.id > position
                {
                    try await writer.write(run.frames)
                    position = last.id
                    continue
                }
                var buffer = ByteBuffer()
                for item in batch {
                    switch item {
                    case .events(let run):
                        for e in run.events where e.id > position {
                            buffer.writeImmutableBuffer(e.frame)
                            position = e.id
                        }
                    case .reset(_, let c):
                        if position < c {
                            buffer.writeImmutableBuffer(SSEFrame.reset(c))
                            position = c
                        }
                    case .keepalive:
                        buffer.writeString(": keepalive\n\n")
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
