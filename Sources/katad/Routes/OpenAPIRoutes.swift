import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API, open like `/ping` (no auth).
/// The document is `api/openapi.json`, embedded as `OpenAPIDocument.json` by `scripts/generate-openapi-swift`.
enum OpenAPIRoutes {
    /// The document's bytes, encoded once.
    static let body = ByteBuffer(string: OpenAPIDocument.json)

    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        router.group("api/v1").get("openapi.json") { _, _ in response() }
    }

    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
