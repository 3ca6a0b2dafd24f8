import Foundation
import Hummingbird
import NIOCore
import Shared

/// Reading request bodies and query parameters with errors that name the field.
enum RequestDecoding {
    /// Decodes a JSON body (an empty body decodes as `{}`).
    static func body<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: RequestLimits.maxBody)
        } catch let e as any HTTPResponseError {
            throw e  // 413 and the like keep their status
        } catch {
            // The client stopped sending before the end of its declared body.
            throw KataError(
                400, .validation, "the request body ended before its declared length", hint: "send the whole body, or a correct Content-Length",
                data: ["field": "body"])
        }
        var data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) { data = Data("{}".utf8) }
        do {
            return try KataJSON.decoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(expected, ctx) {
            let field = path(ctx.codingPath)
            throw KataError.validation(field, "must be \(describe(expected))")
        } catch let DecodingError.valueNotFound(expected, ctx) {
            throw KataError.validation(path(ctx.codingPath), "must be \(describe(expected)), not null")
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw KataError.validation(path(ctx.codingPath + [key]), "is required")
        } catch let DecodingError.dataCorrupted(ctx) {
            if ctx.codingPath.isEmpty {
                throw KataError(400, .validation, "the request body is not valid JSON", hint: "send one JSON object with Content-Type: application/json", data: ["field": "body"])
            }
            throw KataError.validation(path(ctx.codingPath), "has an invalid value")
        } catch {
            throw KataError(400, .validation, "the request body is not valid JSON", hint: "send one JSON object with Content-Type: application/json", data: ["field": "body"])
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        let parts = keys.map { k -> String in
            if let i = k.intValue { return "[\(i)]" }
            // convertFromSnakeCase turns wire names into camelCase; show the wire name again.
            var out = ""
            for c in k.stringValue {
                if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
            }
            return out
        }
        return parts.isEmpty ? "body" : parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is String?.Type: return "a string"
        case is Bool.Type, is Bool?.Type: return "true or false"
        case is Int.Type, is Int64.Type: return "an integer"
        case is [String].Type, is [String]?.Type: return "an array of strings"
        default: return "of type \(type)"
        }
    }

    /// A non-negative integer query parameter, or 400 naming it.
    static func nonNegative(_ request: Request, _ name: String, default value: Int64, max: Int64? = nil) throws -> Int64 {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return value }
        guard let v = Int64(raw), v >= 0 else {
            throw KataError.validation(name, "must be a non-negative integer (got \"\(raw)\")")
        }
        if let max, v > max { return max }
        return v
    }

    /// A boolean query parameter (`true`/`false`/`1`/`0`; absent is false), or 400 naming it.
    static func flag(_ request: Request, _ name: String) throws -> Bool {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return false }
        switch raw.lowercased() {
        case "true", "1", "": return true
        case "false", "0": return false
        default: throw KataError.validation(name, "must be true or false (got \"\(raw)\")")
        }
    }

    /// A `limit` parameter: 1...max, default `value`.
    static func limit(_ request: Request, default value: Int, max: Int) throws -> Int {
        let v = try nonNegative(request, "limit", default: Int64(value))
        if v == 0 { throw KataError.validation("limit", "must be at least 1") }
        return Int(min(v, Int64(max)))
    }

    /// A path parameter that must be a positive integer id.
    static func id(_ context: some RequestContext, _ name: String) throws -> Int64 {
        let raw = context.parameters.get(name) ?? ""
        guard let v = Int64(raw), v > 0 else {
            throw KataError(404, .projectNotFound, "no project with id \(raw)", hint: "list projects with `kata projects list`")
        }
        return v
    }

    /// A path parameter, percent-decoded.
    static func text(_ context: some RequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        // Foundation's decoding costs more than the rest of a point read's routing; most parameters
        // (issue numbers, short ids) have nothing to decode.
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        return raw.removingPercentEncoding ?? raw
    }
}
