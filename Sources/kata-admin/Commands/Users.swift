import ArgumentParser
import Foundation
import Shared

/// `kata-admin users create|list|set-role|disable|enable|passwd` through the admin socket.
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", 
        abstract: "Create and manage users (name, role, password) through the admin socket.",
        discussion: """
            A user's name is the actor their writes are attributed to. Roles, lowest to highest:
            viewer (read, stream), user (+ create, edit, comment, label, assign, link, close, reopen),
            operator (+ delete, restore, purge, import, project init), admin (+ tokens and users of others).
            Passwords are hashed with argon2id; they are read from standard input or a prompt, never
            from the command line.

            Example:
              printf '%s\\n' "$PASSWORD" | kata-admin users create alice --role operator --password-stdin
            """,
        subcommands: [Create.self, List.self, SetRole.self, Disable.self, Enable.self, Passwd.self])

    /// Runs a call on the admin socket, printing errors and mapping exit codes.
    static func call(json: Bool, _ body: (UserAPI) throws(ErrorEnvelope) -> Void) throws {
        try Tokens.call(json: json) { tokens throws(ErrorEnvelope) in try body(UserAPI(client: tokens.client, base: tokens.base)) }
    }

    /// Prints a `UserAnswer` (JSON as the server sent it, or one line).
    static func show(_ answer: HTTPAnswer, json: Bool, _ text: (UserAnswer) -> String) throws(ErrorEnvelope) {
        if json { return FileHandle.standardOutput.write(Data(answer.body) + Data("\n".utf8)) }
        printLine(text(try KataClient.decode(UserAnswer.self, answer)))
    }

    /// Applies one change to user `name` and prints the answer.
    static func update(_ name: String, _ change: UpdateUserRequest, json: Bool, _ text: (UserAnswer) -> String) throws {
        try call(json: json) { api throws(ErrorEnvelope) in
            try show(try api.update(name, change, by: Tokens.operatorName), json: json, text)
        }
    }

    /// The new password: standard input with `--password-stdin`, else a prompt when there is a terminal.
    static func newPassword(fromStdin: Bool, required: Bool) throws -> String? {
        if fromStdin { return PasswordInput.fromStandardInput() }
        guard PasswordInput.canPrompt else {
            if required {
                throw ValidationError("no terminal to prompt for the password: pipe it in with --password-stdin")
            }
            return nil
        }
        guard let first = PasswordInput.prompt("New password: "), let again = PasswordInput.prompt("Repeat it: ") else {
            throw ValidationError("no password was entered")
        }
        guard first == again else { throw ValidationError("the two passwords differ; nothing was changed") }
        return first
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", 
            abstract: "Create a user, with a password from standard input or a prompt (none when neither).",
            discussion: "Example: kata-admin users create alice --role user --password-stdin < password.txt")
        @Argument(help: "The user's name: the actor their writes are attributed to.") var name: String
        @Option(help: "viewer, user (default), operator or admin.") var role: String?
        @Option(help: "A name for people, like \"Alice Liddell\".") var displayName: String?
        @Flag(help: "Read the password from standard input (one trailing newline is dropped).") var passwordStdin = false
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let password = try Users.newPassword(fromStdin: passwordStdin, required: false)
            try Users.call(json: json) { api throws(ErrorEnvelope) in
                let req = CreateUserRequest(name: name, role: role, displayName: displayName, password: password)
                try Users.show(try api.create(req, by: Tokens.operatorName), json: json) { a in
                    "created user \(a.user.name) (role \(a.user.role), \(a.user.hasPassword ? "password set" : "no password: tokens only"))"
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List users (never their passwords).", discussion: "Example: kata-admin users list --json")
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Users.call(json: json) { api throws(ErrorEnvelope) in
                let answer = try api.list()
                if json { return FileHandle.standardOutput.write(Data(answer.body) + Data("\n".utf8)) }
                UserAPI.lines(try KataClient.decode(UserListAnswer.self, answer).users).forEach(printLine)
            }
        }
    }

    struct SetRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-role", abstract: "Change a user's role; their tokens are capped at the new role at once.",
            discussion: "Example: kata-admin users set-role alice operator")
        @Argument(help: "The user's name.") var name: String
        @Argument(help: "viewer, user, operator or admin.") var role: String
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Users.update(name, UpdateUserRequest(role: role), json: json) { a in
                a.changed ? "\(a.user.name) now has the role \(a.user.role)" : "\(a.user.name) already has the role \(a.user.role)"
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable", 
            abstract: "Disable a user: logins fail, and every token and session of theirs is revoked at once.",
            discussion: "Example: kata-admin users disable alice")
        @Argument(help: "The user's name.") var name: String
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Users.update(name, UpdateUserRequest(disabled: true), json: json) { a in
                a.changed ? "disabled \(a.user.name); their tokens and sessions are revoked" : "\(a.user.name) was already disabled"
            }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable", 
            abstract: "Enable a disabled user again (tokens revoked by the disable stay revoked).",
            discussion: "Example: kata-admin users enable alice")
        @Argument(help: "The user's name.") var name: String
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Users.update(name, UpdateUserRequest(disabled: false), json: json) { a in
                a.changed ? "enabled \(a.user.name)" : "\(a.user.name) was not disabled"
            }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "passwd", 
            abstract: "Set a user's password, from standard input or a prompt.",
            discussion: "Example: kata-admin users passwd alice --password-stdin < new-password.txt")
        @Argument(help: "The user's name.") var name: String
        @Flag(help: "Read the password from standard input (one trailing newline is dropped).") var passwordStdin = false
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let password = try Users.newPassword(fromStdin: passwordStdin, required: true)
            try Users.update(name, UpdateUserRequest(password: password), json: json) { a in
                "password of \(a.user.name) changed"
            }
        }
    }
}
