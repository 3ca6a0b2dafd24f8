import Foundation

/// Reading a password: from standard input (`--password-stdin`) or from a prompt without echo.
public enum PasswordInput {
    /// All of standard input, less one trailing newline (`\n` or `\r\n`), as `docker login` does.
    public static func fromStandardInput() -> String {
        strippingOneNewline(String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))
    }

    /// `text` less one trailing `\n` or `\r\n` (compared by scalars: `"\r\n"` is one `Character`).
    public static func strippingOneNewline(_ text: String) -> String {
        var scalars = text.unicodeScalars
        if scalars.last == "\n" {
            scalars.removeLast()
            if scalars.last == "\r" { scalars.removeLast() }
        }
        return String(scalars)
    }

    /// Whether a prompt can be shown: standard input is a terminal.
    public static var canPrompt: Bool { isatty(STDIN_FILENO) == 1 }

    /// Prompts on standard error and reads one line from the terminal with echo turned off.
    public static func prompt(_ label: String) -> String? {
        // Echo goes off before the prompt appears, so a password typed (or sent) the moment the prompt
        // shows is never echoed; TCSANOW keeps what was typed ahead (TCSAFLUSH would drop it).
        var saved = termios()
        let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if haveTerminal {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        FileHandle.standardError.write(Data(label.utf8))
        defer {
            if haveTerminal { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }
}
