/// The stable `code` of every error envelope, and the exit code the CLI maps it to.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    case validation
    case usage
    case notFound = "not_found"
    case projectNotFound = "project_not_found"
    case issueNotFound = "issue_not_found"
    case projectNotInitialized = "project_not_initialized"
    case ambiguousReference = "ambiguous_reference"
    case conflict
    case projectExists = "project_exists"
    case aliasConflict = "alias_conflict"
    case idempotencyMismatch = "idempotency_mismatch"
    case idempotencyDeleted = "idempotency_deleted"
    case duplicateCandidates = "duplicate_candidates"
    case linkCycle = "link_cycle"
    case confirmRequired = "confirm_required"
    case confirmMismatch = "confirm_mismatch"
    case cursorConflict = "cursor_conflict"
    case originForbidden = "origin_forbidden"
    case unsupportedMediaType = "unsupported_media_type"
    case payloadTooLarge = "payload_too_large"
    case notAcceptable = "not_acceptable"
    case methodNotAllowed = "method_not_allowed"
    case authRequired = "auth_required"
    case tokenInvalid = "token_invalid"
    case bootstrapTokenWriteForbidden = "bootstrap_token_write_forbidden"
    case tooManyAttempts = "too_many_attempts"
    case forbidden
    case actorHeaderRequired = "actor_header_required"
    case tokenNameTaken = "token_name_taken"
    case invalidCredentials = "invalid_credentials"
    case insecureTransport = "insecure_transport"
    case tlsVerifyFailed = "tls_verify_failed"
    case daemonUnavailable = "daemon_unavailable"
    case badResponse = "bad_response"
    case internalError = "internal"
}

/// The CLI's exit codes (spec: tracker.md, "Exit codes").
public enum KataExitCode: Int32, Sendable {
    case success = 0
    case internalError = 1
    case usage = 2
    case validation = 3
    case notFound = 4
    case conflict = 5
    case confirm = 6
    case unavailable = 7
    case auth = 8

    /// The exit code for an HTTP error answer with `status` and `code`.
    public static func forHTTP(status: Int, code: String?) -> KataExitCode {
        if code == ErrorCode.usage.rawValue { return .usage }
        switch status {
        case 400, 405, 406, 413, 415, 422: return .validation
        case 401, 403, 429: return .auth
        case 404: return .notFound
        case 409: return .conflict
        case 412: return .confirm
        default: return .internalError
        }
    }
}
