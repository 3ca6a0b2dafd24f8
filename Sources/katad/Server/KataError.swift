import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// An error a client may see: it becomes the spec's error envelope with a stable code.
struct KataError: Error, HTTPResponseError, Sendable {
    var envelope: ErrorEnvelope
    /// Seconds for a `Retry-After` header (429).
    var retryAfter: Int?

    init(_ status: Int, _ code: ErrorCode, _ message: String, hint: String? = nil, data: JSONValue? = nil) {
        envelope = ErrorEnvelope(status: status, code: code, message: message, hint: hint, data: data)
    }

    var status: HTTPResponse.Status { .init(code: envelope.status) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(envelope, status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    static func validation(_ field: String, _ message: String, hint: String? = nil) -> KataError {
        KataError(400, .validation, "\(field): \(message)", hint: hint, data: ["field": .string(field)])
    }

    static func issueNotFound(_ ref: String, project: String?) -> KataError {
        let place = project.map { " in project \($0)" } ?? ""
        return KataError(
            404, .issueNotFound, "no issue \(ref)\(place)", hint: "list the issues with `kata list --status all`",
            data: ["ref": .string(ref)])
    }

    static func projectNotFound(_ what: String) -> KataError {
        KataError(404, .projectNotFound, "no project \(what)", hint: "run `kata init` in the workspace, or `kata projects list`")
    }
}

/// Building JSON responses.
enum JSONResponse {
    /// Built once: setting a field checks its value byte by byte.
    static let jsonHeaders: HTTPFields = [.contentType: "application/json; charset=utf-8"]

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        make(bytes: KataJSON.fastBytes(value) ?? Array((try? KataJSON.encoder().encode(value)) ?? Data("{}".utf8)), status: status)
    }

    /// A response of JSON bytes already written.
    static func make(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        make(buffer: ByteBuffer(bytes: bytes), status: status)
    }

    /// A response of JSON already written into a buffer.
    static func make(buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        var headers = jsonHeaders
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}
