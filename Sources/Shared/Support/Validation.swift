/// Field rules shared by the daemon (which enforces them) and the clients (which explain them).
public enum Validation {
    /// The allowed `closed_reason` values.
    public static let closeReasons = ["done", "wontfix", "duplicate"]

    /// Whether `label` is 1–64 characters of `a-z 0-9 . _ : -`.
    public static func isValidLabel(_ label: String) -> Bool {
        let u = label.utf8
        guard !u.isEmpty, u.count <= 64 else { return false }
        return u.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 58 || c == 45
        }
    }

    /// Whether `text` is empty or only whitespace.
    public static func isBlank(_ text: String) -> Bool {
        text.allSatisfy { $0.isWhitespace }
    }

    /// Trims whitespace and newlines at both ends.
    public static func trimmed(_ text: String) -> String {
        var s = Substring(text)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
