import Foundation

/// The HTTP client of the kata API, shared by `kata` and `kata-admin`.
///
/// Every failure is an `ErrorEnvelope`: the server's own, or one made here for transport failures
/// (`daemon_unavailable`, exit 7) and unreadable answers (`bad_response`, exit 1).
public struct KataClient: Sendable {
    public let target: ServerTarget
    public var token: String?
    public var timeoutSeconds: Int
    /// Extra CA certificates (PEM) trusted for `https://`, besides the system store.
    public var caFile: String?

    public init(target: ServerTarget, token: String? = nil, timeoutSeconds: Int = 30, caFile: String? = nil) {
        self.target = target
        self.token = token
        self.timeoutSeconds = timeoutSeconds
        self.caFile = caFile
    }

    /// Sends a request and decodes a 2xx answer as `T`.
    public func call<T: Decodable>(
        _ method: String, _ path: String, body: (any Encodable)? = nil, headers: [(String, String)] = [], as type: T.Type
    ) throws(ErrorEnvelope) -> T {
        try Self.decode(T.self, try send(method, path, body: body, headers: headers))
    }

    /// Sends a request; answers 2xx as they are and throws every other status as its error envelope.
    public func send(
        _ method: String, _ path: String, body: (any Encodable)? = nil, headers: [(String, String)] = []
    ) throws(ErrorEnvelope) -> HTTPAnswer {
        var bytes: [UInt8]?
        var all = headers
        if let body {
            do {
                bytes = Array(try KataJSON.encode(body))
            } catch {
                throw ErrorEnvelope(status: 400, code: .usage, message: "cannot encode the request: \(error)")
            }
            all.append(("Content-Type", "application/json"))
        }
        let answer = try exchange(method, path, body: bytes, headers: all)
        guard (200..<300).contains(answer.status) else { throw Self.envelope(of: answer) }
        return answer
    }

    /// One raw exchange: transport failures become `daemon_unavailable`.
    public func exchange(_ method: String, _ path: String, body: [UInt8]?, headers: [(String, String)]) throws(ErrorEnvelope)
        -> HTTPAnswer
    {
        do {
            let conn = try open()
            try conn.send(method: method, path: path, headers: authHeaders() + headers, body: body)
            return try conn.readAnswer()
        } catch let e as TransportError {
            throw Self.unavailable(target, e)
        } catch {
            throw ErrorEnvelope(status: 0, code: .internalError, message: "\(error)")
        }
    }

    /// Opens a connection and sends the request, for callers that read the answer as a stream (SSE).
    public func openStream(_ path: String, headers: [(String, String)]) throws(ErrorEnvelope) -> HTTPConnection {
        do {
            let conn = try HTTPConnection(target: target, timeoutSeconds: 3600, caFile: caFile)
            try conn.send(method: "GET", path: path, headers: authHeaders() + headers, body: nil)
            return conn
        } catch {
            throw Self.unavailable(target, error)
        }
    }

    func open() throws(TransportError) -> HTTPConnection {
        try HTTPConnection(target: target, timeoutSeconds: timeoutSeconds, caFile: caFile)
    }

    func authHeaders() -> [(String, String)] {
        guard let token else { return [] }
        return [("Authorization", "Bearer \(token)")]
    }

    static func unavailable(_ target: ServerTarget, _ e: TransportError) -> ErrorEnvelope {
        if e.tlsVerifyFailed {
            return ErrorEnvelope(
                status: 0, code: .tlsVerifyFailed, message: "cannot verify the certificate of \(target): \(e.message)",
                hint: "for a private CA set KATA_CA_FILE or [server] ca_file in .kata.local.toml")
        }
        return ErrorEnvelope(
            status: 0, code: .daemonUnavailable, message: "the kata daemon at \(target) is unavailable: \(e.message)",
            hint: "check the server URL, or run `kata daemon status`")
    }

    /// The error envelope of a non-2xx answer (or one made from the status when the body is not one).
    public static func envelope(of answer: HTTPAnswer) -> ErrorEnvelope {
        if let env = try? KataJSON.decoder().decode(ErrorEnvelope.self, from: Data(answer.body)) {
            return env
        }
        let text = String(decoding: answer.body.prefix(300), as: UTF8.self)
        return ErrorEnvelope(status: answer.status, code: answer.status >= 500 ? "internal" : "http_\(answer.status)",
            message: "the server answered \(answer.status): \(text)")
    }
}

/// Percent-encoding for path segments and query values.
public enum URLEncoding {
    static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    /// Encodes everything but RFC 3986 unreserved characters.
    public static func component(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if unreserved.contains(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// `?a=1&b=2` from pairs (empty when there are none).
    public static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension KataClient {
    /// Decodes an answer body, turning a failure into a `bad_response` envelope.
    public static func decode<T: Decodable>(_ type: T.Type, _ answer: HTTPAnswer) throws(ErrorEnvelope) -> T {
        do {
            return try KataJSON.decoder().decode(T.self, from: Data(answer.body))
        } catch {
            throw ErrorEnvelope(
                status: answer.status, code: .badResponse, message: "cannot read the server's answer: \(error)",
                hint: "check that the server is a kata daemon of a matching version (`kata version`)")
        }
    }
}
