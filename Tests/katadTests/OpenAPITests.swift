import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Shared
import Testing

@testable import katad

/// The OpenAPI document (`api/openapi.json`, embedded as `OpenAPIDocument.json`) against the routes the daemon
/// registers, the error codes it knows, and the answers it really gives.
@Suite struct OpenAPITests {
    static let listener = ListenerInfo(address: .unix(path: "/tmp/kata-openapi-tests.sock"), isAdmin: false)

    static func services(policy: AuthPolicy = .open) throws -> APIServices {
        var s = APIServices(store: try Store.inMemory(), broadcaster: EventBroadcaster(), startedAt: .now, listeners: [], authMode: "local")
        s.authPolicy = policy
        return s
    }

    static func router(policy: AuthPolicy = .open) throws -> Router<KataRequestContext> {
        DaemonServer.apiRouter(try services(policy: policy), listener: listener)
    }

    /// The repository's `api/openapi.json` (this file is `Tests/katadTests/OpenAPITests.swift`).
    static var documentURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("api").appendingPathComponent("openapi.json")
    }

    static func document() throws -> OpenAPIDoc { try OpenAPIDoc(json: OpenAPIDocument.json) }

    // MARK: - The document and the router

    @Test func everyRegisteredRouteIsDocumentedAndNoOtherOne() throws {
        let registered = Set(try Self.router().routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.document().operations
        #expect(registered.count >= 30, "the API router registers \(registered.count) routes: \(registered.sorted())")
        let missing = registered.subtracting(documented).sorted()
        let extra = documented.subtracting(registered).sorted()
        #expect(missing.isEmpty, "routes of DaemonServer.apiRouter missing from api/openapi.json: \(missing)")
        #expect(extra.isEmpty, "api/openapi.json documents routes that DaemonServer.apiRouter does not register: \(extra)")
        for route in registered {
            #expect(route.split(separator: " ")[1].hasPrefix("/api/v1/"), "\(route) is outside /api/v1")
        }
    }

    @Test func pathParametersAreDeclaredOnEveryOperation() throws {
        let doc = try Self.document()
        for (method, path) in doc.operationKeys {
            let inPath = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            var declared = Set<String>()
            if case .array(let params)? = doc.operation(method, path)?["parameters"] {
                for p in params.map(doc.resolve) where p["in"] == "path" {
                    if case .string(let name)? = p["name"] { declared.insert(name) }
                    #expect(p["required"] == true, "\(method) \(path): path parameter \(p["name"] ?? .null) must be required")
                }
            }
            #expect(declared == inPath, "\(method.uppercased()) \(path): path parameters \(declared.sorted()) ≠ \(inPath.sorted())")
        }
    }

    @Test func embeddedDocumentEqualsAPIOpenAPIJSON() throws {
        let file = try Data(contentsOf: Self.documentURL)
        #expect(
            file == Data(OpenAPIDocument.json.utf8),
            "Sources/katad/Routes/OpenAPIDocument.swift differs from api/openapi.json: run scripts/generate-openapi-swift")
    }

    @Test func errorCodeEnumIsErrorCodeAllCases() throws {
        let doc = try Self.document()
        let code = try #require(doc.schema(at: ["components", "schemas", "ErrorEnvelope", "properties", "error", "properties", "code"]))
        let documented = try #require(code["enum"]).asStrings
        #expect(documented == ErrorCode.allCases.map(\.rawValue), "the error envelope's code enum must be ErrorCode.allCases, in order")
    }

    @Test func documentBasics() throws {
        let doc = try Self.document()
        #expect(doc.root["openapi"] == "3.1.0")
        #expect(doc.root["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"] == "bearer")
        // Every reference resolves.
        let unresolved = doc.references.filter { doc.lookup($0) == nil }
        #expect(unresolved.isEmpty, "unresolved $ref: \(unresolved)")
        // The headers of the API.
        let headers = Set(doc.allParameters.filter { $0["in"] == "header" }.compactMap { $0["name"]?.stringValue })
        #expect(headers == ["Idempotency-Key", "X-Kata-Confirm", "Last-Event-ID"])
        let action = try #require(doc.allParameters.first { $0["name"] == "action" })
        #expect(try #require(action["schema"]?["enum"]).asStrings == ["close", "reopen", "delete", "restore", "purge"])
        // Every error response is the envelope.
        if case .object(let responses)? = doc.root["components"]?["responses"] {
            for (name, response) in responses {
                #expect(
                    response["content"]?["application/json"]?["schema"]?["$ref"] == "#/components/schemas/ErrorEnvelope",
                    "response \(name) is not the error envelope")
            }
        }
    }

    /// With a bootstrap token configured, the operations the document marks open (`security: []`) answer
    /// without one, and every other operation is 401: the document agrees with the auth middleware.
    @Test func documentedSecurityMatchesTheAuthMiddleware() async throws {
        let doc = try Self.document()
        let app = Application(router: try Self.router(policy: AuthPolicy(token: "s3cret", readOnly: false, identityMode: false)))
        try await app.test(.router) { client in
            for (method, path) in doc.operationKeys {
                let open = doc.operation(method, path)?["security"] == .array([])
                let uri = path.replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{ref}", with: "1")
                    .replacingOccurrences(of: "{label}", with: "bug").replacingOccurrences(of: "{action}", with: "close")
                    .replacingOccurrences(of: "{tid}", with: "1")
                let r = try await client.execute(uri: uri, method: HTTPRequest.Method(method.uppercased())!, headers: [:], body: nil)
                if open {
                    #expect(r.status.code != 401, "\(method.uppercased()) \(path) is documented open but answers 401")
                } else {
                    #expect(r.status.code == 401, "\(method.uppercased()) \(path) is documented as authenticated but answers \(r.status.code)")
                }
            }
        }
    }

    @Test func servedOpenAtAPIV1() async throws {
        let app = Application(router: try Self.router(policy: AuthPolicy(token: "s3cret", readOnly: false, identityMode: false)))
        try await app.test(.router) { client in
            let r = try await client.execute(uri: "/api/v1/openapi.json", method: .get, headers: [:], body: nil)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(String(buffer: r.body) == OpenAPIDocument.json)
        }
    }

    // MARK: - Real answers against the schemas

    /// The check below is not vacuous: it flags a missing key, an unknown key, a wrong type and a value outside the enum.
    @Test func theSchemaCheckCatchesWrongAnswers() throws {
        let doc = try Self.document()
        let envelope: JSONValue = ["$ref": "#/components/schemas/ErrorEnvelope"]
        let good: JSONValue = ["status": 400, "error": ["code": "validation", "message": "title: must not be blank", "data": ["field": "title"]]]
        #expect(doc.problems(good, against: envelope, at: "body").isEmpty)
        let wrong: [JSONValue] = [
            ["status": 400],
            ["status": "400", "error": ["code": "validation", "message": "m"]],
            ["status": 400, "error": ["code": "no_such_code", "message": "m"]],
            ["status": 400, "error": ["code": "validation", "message": "m"], "extra": true],
            ["status": 400, "error": ["code": "validation", "message": .null]],
        ]
        for value in wrong {
            #expect(!doc.problems(value, against: envelope, at: "body").isEmpty, "\(value) should not conform")
        }
        let mutation: JSONValue = ["$ref": "#/components/schemas/MutationAnswer"]
        #expect(!doc.problems(["issue": [:], "event": .null, "changed": false], against: mutation, at: "body").isEmpty)
    }

    @Test func realAnswersMatchTheirSchemas() async throws {
        let doc = try Self.document()
        let app = Application(router: try Self.router())
        try await app.test(.router) { client in
            let check = AnswerCheck(client: client, doc: doc)
            _ = try await check.call(.get, "/api/v1/ping", expect: 200)
            _ = try await check.call(.get, "/api/v1/health", expect: 200)

            let project = try await check.call(
                .post, "/api/v1/projects", json: #"{"name": "alpha", "alias_identity": "local:///tmp/alpha"}"#, expect: 201)
            let pid = try #require(project["project"]?["id"]?.asInt)
            _ = try await check.call(.get, "/api/v1/projects", expect: 200)
            _ = try await check.call(.get, "/api/v1/projects/\(pid)", template: "/api/v1/projects/{id}", expect: 200)
            _ = try await check.call(
                .post, "/api/v1/projects/resolve", json: #"{"name": "alpha"}"#, expect: 200)

            let issues = "/api/v1/projects/\(pid)/issues"
            let created = try await check.call(
                .post, issues, template: "/api/v1/projects/{id}/issues",
                json: #"{"title": "First issue", "body": "the login page crashes", "labels": ["bug"], "actor": "alice"}"#, expect: 201)
            #expect(created["event"]?["type"] == "issue.created")
            let uid = try #require(created["issue"]?["uid"]?.stringValue)
            var keyed = HTTPFields()
            keyed[IssueRoutes.idempotencyHeader] = "key-1"
            let second = #"{"title": "Second thing", "force_new": true, "actor": "alice"}"#
            _ = try await check.call(.post, issues, template: "/api/v1/projects/{id}/issues", json: second, headers: keyed, expect: 201)
            let reused = try await check.call(.post, issues, template: "/api/v1/projects/{id}/issues", json: second, headers: keyed, expect: 200)
            #expect(reused["reused"] == true)

            _ = try await check.call(.get, issues + "?status=all&label=bug&limit=10", template: "/api/v1/projects/{id}/issues", expect: 200)
            _ = try await check.call(.get, "/api/v1/issues?project_id=\(pid)", template: "/api/v1/issues", expect: 200)
            _ = try await check.call(
                .post, issues + "/1/comments", template: "/api/v1/projects/{id}/issues/{ref}/comments",
                json: #"{"body": "seen on Safari too", "actor": "bob"}"#, expect: 201)
            _ = try await check.call(
                .post, issues + "/1/assign", template: "/api/v1/projects/{id}/issues/{ref}/assign", json: #"{"owner": "carol"}"#, expect: 200)
            _ = try await check.call(
                .patch, issues + "/1", template: "/api/v1/projects/{id}/issues/{ref}", json: #"{"blocks": ["2"]}"#, expect: 200)
            _ = try await check.call(
                .get, issues + "/1?comments=1&events=1", template: "/api/v1/projects/{id}/issues/{ref}", expect: 200)
            _ = try await check.call(.get, "/api/v1/issues/\(uid)?comments", template: "/api/v1/issues/{ref}", expect: 200)
            _ = try await check.call(.get, "/api/v1/ready", expect: 200)
            _ = try await check.call(.get, "/api/v1/search?q=login", template: "/api/v1/search", expect: 200)
            _ = try await check.call(
                .post, issues + "/1/actions/close", template: "/api/v1/projects/{id}/issues/{ref}/actions/{action}",
                json: #"{"reason": "done", "message": "fixed in 1.2"}"#, expect: 200)
            var confirm = HTTPFields()
            confirm[IssueRoutes.confirmHeader] = "PURGE #2"
            let purged = try await check.call(
                .post, issues + "/2/actions/purge", template: "/api/v1/projects/{id}/issues/{ref}/actions/{action}",
                headers: confirm, expect: 200)
            #expect(purged["purge"]?["number"] == 2)
            let events = try await check.call(.get, "/api/v1/events?after_id=0", template: "/api/v1/events", expect: 200)
            #expect(events["reset_required"] == true)

            _ = try await check.call(.get, "/api/v1/whoami", expect: 200)
            _ = try await check.call(.post, "/api/v1/tokens", json: #"{"actor": "bob", "name": "laptop"}"#, expect: 201)
            _ = try await check.call(.get, "/api/v1/tokens", expect: 200)

            // Error answers: the envelope, with a code from the enum.
            let invalid = try await check.call(
                .post, issues, template: "/api/v1/projects/{id}/issues", json: #"{"title": "   "}"#, expect: 400)
            #expect(invalid["error"]?["code"] == "validation")
            #expect(invalid["error"]?["data"]?["field"] == "title")
            _ = try await check.call(.get, "/api/v1/events?limit=many", template: "/api/v1/events", expect: 400)
            _ = try await check.call(.get, "/api/v1/projects/999", template: "/api/v1/projects/{id}", expect: 404)
            _ = try await check.call(
                .post, issues + "/1/actions/delete", template: "/api/v1/projects/{id}/issues/{ref}/actions/{action}", expect: 412)
            _ = try await check.call(
                .get, "/api/v1/events/stream", template: "/api/v1/events/stream", expect: 406)
        }
    }
}

// MARK: - Helpers

/// Sends requests and checks each answer against the document's schema for that operation and status.
struct AnswerCheck {
    let client: any TestClientProtocol
    let doc: OpenAPIDoc

    /// Sends `method uri`, expects `status`, checks the body against the schema documented for `template`
    /// (the path as the document names it; `uri` without its query when not given) and returns the body.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, template: String? = nil, json: String? = nil, headers: HTTPFields = [:],
        expect status: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        var h = headers
        if json != nil { h[.contentType] = "application/json" }
        let r = try await client.execute(uri: uri, method: method, headers: h, body: json.map { ByteBuffer(string: $0) })
        let text = String(buffer: r.body)
        let path = template ?? String(uri.split(separator: "?", maxSplits: 1)[0])
        let name = "\(method) \(path) → \(status)"
        try #require(r.status.code == status, "\(method) \(uri): expected \(status), got \(r.status.code): \(text)", sourceLocation: sourceLocation)
        let schema = try #require(
            doc.responseSchema(method.rawValue.lowercased(), path, status: status),
            "\(name): this status is not documented with an application/json schema", sourceLocation: sourceLocation)
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let problems = doc.problems(body, against: schema, at: "body")
        #expect(problems.isEmpty, "\(name) does not match its schema:\n\(problems.joined(separator: "\n"))\n\(text)", sourceLocation: sourceLocation)
        return body
    }
}

/// A parsed OpenAPI document with just enough JSON Schema to check required keys, types, enums and unknown keys.
struct OpenAPIDoc {
    let root: JSONValue
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    init(json: String) throws {
        root = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
    }

    /// Every operation as (lowercased method, path).
    var operationKeys: [(String, String)] {
        guard case .object(let paths)? = root["paths"] else { return [] }
        return paths.keys.sorted().flatMap { path in
            Self.methods.filter { paths[path]?[$0] != nil }.map { ($0, path) }
        }
    }

    /// Every operation as `METHOD /path`, as Hummingbird's `RouteDescription` prints it.
    var operations: Set<String> { Set(operationKeys.map { "\($0.0.uppercased()) \($0.1)" }) }

    func operation(_ method: String, _ path: String) -> JSONValue? { root["paths"]?[path]?[method] }

    /// The value a `#/a/b` pointer names.
    func lookup(_ pointer: String) -> JSONValue? {
        guard pointer.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for part in pointer.dropFirst(2).split(separator: "/") {
            node = node?[part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return node
    }

    /// `value` with its `$ref` followed (repeatedly).
    func resolve(_ value: JSONValue) -> JSONValue {
        var v = value
        for _ in 0..<16 {
            guard case .string(let pointer)? = v["$ref"], let target = lookup(pointer) else { return v }
            v = target
        }
        return v
    }

    /// Walks `keys` from the root, following references on the way.
    func schema(at keys: [String]) -> JSONValue? {
        var node: JSONValue? = root
        for key in keys { node = node.map(resolve)?[key] }
        return node.map(resolve)
    }

    /// Every `$ref` in the document.
    var references: [String] {
        var out: [String] = []
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let o):
                if case .string(let r)? = o["$ref"] { out.append(r) }
                o.values.forEach(walk)
            case .array(let a): a.forEach(walk)
            default: break
            }
        }
        walk(root)
        return out
    }

    /// Every parameter of every operation, resolved.
    var allParameters: [JSONValue] {
        operationKeys.flatMap { method, path -> [JSONValue] in
            guard case .array(let params)? = operation(method, path)?["parameters"] else { return [] }
            return params.map(resolve)
        }
    }

    /// The `application/json` schema of the response `status` of an operation (not `default`).
    func responseSchema(_ method: String, _ path: String, status: Int) -> JSONValue? {
        guard let response = operation(method, path)?["responses"]?[String(status)] else { return nil }
        return resolve(response)["content"]?["application/json"]?["schema"]
    }

    /// What is wrong with `value` under `schema`: missing required keys, keys the schema does not list,
    /// wrong types, values outside an enum. Empty when it conforms.
    func problems(_ value: JSONValue, against raw: JSONValue, at path: String) -> [String] {
        let schema = resolve(raw)
        if case .array(let options)? = schema["anyOf"] ?? schema["oneOf"] {
            let results = options.map { problems(value, against: $0, at: path) }
            if results.contains(where: \.isEmpty) { return [] }
            return ["\(path): matches no alternative (\(results.flatMap { $0 }.joined(separator: "; ")))"]
        }
        if let types = schema["type"].map(Self.typeNames), !types.contains(where: { Self.value(value, is: $0) }) {
            return ["\(path): expected \(types.joined(separator: " or ")), got \(Self.kind(value))"]
        }
        var out: [String] = []
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            out.append("\(path): \(value) is not in the enum")
        }
        switch value {
        case .object(let members):
            if case .array(let required)? = schema["required"] {
                for case .string(let key) in required where members[key] == nil {
                    out.append("\(path): required key \(key) is missing")
                }
            }
            if case .object(let properties)? = schema["properties"] {
                for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                    guard let sub = properties[key] else {
                        out.append("\(path): key \(key) is not in the schema")
                        continue
                    }
                    out += problems(member, against: sub, at: "\(path).\(key)")
                }
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { out += problems(item, against: itemSchema, at: "\(path)[\(i)]") }
            }
        default:
            break
        }
        return out
    }

    static func typeNames(_ v: JSONValue) -> [String] {
        switch v {
        case .string(let s): return [s]
        case .array(let a): return a.compactMap(\.stringValue)
        default: return []
        }
    }

    static func value(_ v: JSONValue, is type: String) -> Bool {
        switch (type, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("integer", .int),
            ("number", .int), ("number", .double):
            return true
        default:
            return false
        }
    }

    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue {
    fileprivate var asInt: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// The strings of an array value.
    fileprivate var asStrings: [String] {
        if case .array(let a) = self { return a.compactMap(\.stringValue) }
        return []
    }
}
