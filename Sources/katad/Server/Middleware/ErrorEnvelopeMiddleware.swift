import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shared

/// Turns every error below it into the spec's envelope with a stable code; nothing leaves as a bare 500.
struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as KataError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            return JSONResponse.make(Self.envelope(for: error, request: request), status: error.status)
        } catch is NIOTooManyBytesError {
            let e = KataError(413, .payloadTooLarge, "the request body is over the limit of \(RequestLimits.maxBody) bytes (1 MiB)")
            return JSONResponse.make(e.envelope, status: e.status)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            let e = KataError(500, .internalError, "internal error while handling \(request.method) \(request.uri.path)", hint: "see the daemon log (`kata daemon logs`)")
            return JSONResponse.make(e.envelope, status: e.status)
        }
    }

    static func envelope(for error: HTTPError, request: Request) -> ErrorEnvelope {
        let status = error.status.code
        switch status {
        case 404:
            return ErrorEnvelope(
                status: 404, code: .notFound, message: "no route \(request.method) \(request.uri.path)",
                hint: "the API lives under /api/v1; see GET /api/v1/openapi.json")
        case 405:
            return ErrorEnvelope(status: 405, code: .methodNotAllowed, message: "\(request.method) is not allowed on \(request.uri.path)")
        case 413:
            return ErrorEnvelope(status: 413, code: .payloadTooLarge, message: "the request body is over the limit of 1 MiB")
        default:
            let code: ErrorCode = status >= 500 ? .internalError : .validation
            return ErrorEnvelope(status: status, code: code, message: error.body ?? error.status.reasonPhrase)
        }
    }
}
