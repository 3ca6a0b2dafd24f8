import HTTPTypes
import Hummingbird
import Shared

/// Browser defence and request hygiene (spec: tracker.md, "HTTP API"):
/// a non-empty `Origin` is 403 `origin_forbidden`; a mutation with a body must be `application/json` (415);
/// a declared body over 1 MiB is 413 before it is read. No CORS headers are ever sent.
struct BrowserDefenseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let origin = request.headers[.origin], !origin.isEmpty {
            throw KataError(
                403, .originForbidden, "requests from browsers (Origin: \(origin)) are refused",
                hint: "call the API from kata or another non-browser client")
        }
        let length = request.headers[.contentLength].flatMap { Int($0) }
        let chunked = request.headers[.transferEncoding]?.lowercased().contains("chunked") == true
        // Most requests (every read) declare no body: nothing more to check.
        if length == nil && !chunked { return try await next(request, context) }
        // An import streams a JSONL file of any size (PortabilityRoutes bounds it); every other body is JSON ≤ 1 MiB.
        let isImport = request.uri.path == PortabilityRoutes.importPath
        if !isImport, let length, length > RequestLimits.maxBody {
            throw KataError(413, .payloadTooLarge, "the request body is \(length) bytes; the limit is \(RequestLimits.maxBody) bytes (1 MiB)")
        }
        let hasBody = (length ?? 0) > 0 || chunked
        if hasBody, [.post, .put, .patch, .delete].contains(request.method) {
            let type = request.headers[.contentType]?.lowercased() ?? ""
            let base = type.split(separator: ";").first.map { Validation.trimmed(String($0)) } ?? ""
            if base != "application/json" && !(isImport && base == "application/x-ndjson") {
                throw KataError(
                    415, .unsupportedMediaType,
                    type.isEmpty ? "the request body has no Content-Type" : "Content-Type \(type) is not accepted",
                    hint: "send the body as JSON with Content-Type: application/json")
            }
        }
        return try await next(request, context)
    }
}
