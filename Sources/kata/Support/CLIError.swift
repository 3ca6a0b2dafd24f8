import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors the client raises itself, expressed as the API's envelope so output and exit codes stay uniform.
enum CLIError {
    static func usage(_ message: String, hint: String? = nil) -> ErrorEnvelope {
        ErrorEnvelope(status: 400, code: .usage, message: message, hint: hint)
    }

    static func validation(_ message: String, hint: String? = nil) -> ErrorEnvelope {
        ErrorEnvelope(status: 400, code: .validation, message: message, hint: hint)
    }

    static func notInitialized() -> ErrorEnvelope {
        ErrorEnvelope(
            status: 404, code: .projectNotInitialized,
            message: "no project: no --project, no .kata.toml above this folder, and no workspace alias bound",
            hint: "run `kata init --project NAME` in the workspace, or pass --project NAME")
    }

    static func unavailable(_ message: String, hint: String? = nil) -> ErrorEnvelope {
        ErrorEnvelope(status: 0, code: .daemonUnavailable, message: message, hint: hint)
    }
}

/// Writes text to standard error.
func printError(_ text: String) {
    var bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
