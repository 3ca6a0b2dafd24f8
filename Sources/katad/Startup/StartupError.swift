/// A reason `katad` refuses to start: printed as `katad: <message>` and ended with `exitCode`.
struct StartupError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    /// Exit 2: the configuration breaks a start-up rule.
    static func config(_ message: String) -> StartupError { StartupError(message: message, exitCode: 2) }
    /// Exit 1: the environment does not allow starting (unwritable home, database error).
    static func environment(_ message: String) -> StartupError { StartupError(message: message, exitCode: 1) }
    /// Exit 75: another katad already serves this home (an auto-starting client keeps waiting for it).
    static func alreadyRunning(_ message: String) -> StartupError { StartupError(message: message, exitCode: 75) }

    var description: String { message }
}
