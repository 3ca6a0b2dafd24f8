/// The body of every error answer: `{"status": 409, "error": {"code", "message", "hint", "data"}}`.
public struct ErrorEnvelope: Codable, Sendable, Error {
    public struct Body: Codable, Sendable {
        public var code: String
        public var message: String
        public var hint: String?
        public var data: JSONValue?
    }

    public var status: Int
    public var error: Body

    public init(status: Int, code: String, message: String, hint: String? = nil, data: JSONValue? = nil) {
        self.status = status
        self.error = Body(code: code, message: message, hint: hint, data: data)
    }

    public init(status: Int, code: ErrorCode, message: String, hint: String? = nil, data: JSONValue? = nil) {
        self.init(status: status, code: code.rawValue, message: message, hint: hint, data: data)
    }

    /// The exit code the CLI ends with for this error.
    public var exitCode: KataExitCode {
        switch error.code {
        case ErrorCode.daemonUnavailable.rawValue: return .unavailable
        case ErrorCode.insecureTransport.rawValue, ErrorCode.tlsVerifyFailed.rawValue: return .auth
        case ErrorCode.usage.rawValue: return .usage
        case ErrorCode.confirmRequired.rawValue, ErrorCode.confirmMismatch.rawValue: return .confirm
        default: return KataExitCode.forHTTP(status: status, code: error.code)
        }
    }
}
