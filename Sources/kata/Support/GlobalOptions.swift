#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Shared

/// Flags every `kata` command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON (errors too, as the API's error envelope).")
    var json = false

    @Option(name: .long, help: "Project name (instead of the workspace's .kata.toml).")
    var project: String?

    @Option(name: .long, help: "Workspace folder to find .kata.toml from (default: the working directory).")
    var workspace: String?

    @Option(name: .long, help: "Server URL: unix:///path, http://host:port or https://host:port.")
    var server: String?

    @Option(name: .long, help: "Actor recorded for writes (default: KATA_ACTOR, else the OS user name).")
    var actor: String?

    @Flag(name: .long, help: "Print nothing on success.")
    var quiet = false
}

/// The text of a body given as `--body`, `--body-file` or `--body-stdin`.
struct BodyOptions: ParsableArguments {
    @Option(name: .long, help: "Body text.")
    var body: String?

    @Option(name: .long, help: "Read the body from a file.")
    var bodyFile: String?

    @Flag(name: .long, help: "Read the body from standard input.")
    var bodyStdin = false

    func validate() throws {
        let given = [body != nil, bodyFile != nil, bodyStdin].filter { $0 }.count
        if given > 1 { throw ValidationError("give only one of --body, --body-file, --body-stdin") }
    }

    /// The body text, or nil when none of the three was given.
    func text() throws -> String? {
        if let body { return body }
        if let bodyFile {
            guard let t = Paths.readText(bodyFile) else {
                throw CLIError.usage("cannot read --body-file \(bodyFile): no such readable file")
            }
            return t
        }
        if bodyStdin {
            var data: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(0, &buf, buf.count)
                if n <= 0 { break }
                data += buf[0..<n]
            }
            var s = String(decoding: data, as: UTF8.self)
            if s.hasSuffix("\n") { s.removeLast() }
            return s
        }
        return nil
    }
}
