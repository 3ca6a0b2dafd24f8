// Hostile inputs and many writers against a real daemon over its Unix socket (spec: operations.md,
// "Reliability and security checks"). Each case sends raw bytes, so nothing in the client can tidy
// them up; every answer must be a 4xx (or a closed connection for broken framing), never a 5xx, and
// the daemon must keep serving.

import Foundation
import Shared
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Raw HTTP/1.1 over a Unix socket: bytes in, the status line's code (nil when the connection closed
/// without one) and the text out.
enum RawHTTP {
    static func exchange(_ socketPath: String, _ bytes: [UInt8], closeWrite: Bool = false, timeout: Double = 10) throws -> (status: Int?, text: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let p = Array(socketPath.utf8)
            for (i, b) in p.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0 else { throw HarnessError("connect \(socketPath): \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may close early (e.g. 413 before the body)
            sent += n
        }
        if closeWrite { shutdown(fd, Int32(SHUT_WR)) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
            if let text = String(validating: out, as: UTF8.self), Self.complete(text) { break }
        }
        let text = String(decoding: out, as: UTF8.self)
        let status = text.hasPrefix("HTTP/1.") ? Int(text.dropFirst(9).prefix(3)) : nil
        return (status, text)
    }

    /// Whether a whole answer with a Content-Length body has arrived.
    static func complete(_ text: String) -> Bool {
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return text.utf8.count - text[..<end.upperBound].utf8.count >= length
    }

    static func request(_ method: String, _ path: String, headers: [String] = [], body: [UInt8] = [], contentLength: Int? = nil) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for h in headers { head += h + "\r\n" }
        if !body.isEmpty || contentLength != nil {
            head += "Content-Type: application/json\r\nContent-Length: \(contentLength ?? body.count)\r\n"
        }
        return Array((head + "\r\n").utf8) + body
    }
}

@Suite("hostile clients and many writers", .timeLimit(.minutes(5)))
struct HostileClientTests {
    /// Every hand-written hostile input gets a 4xx or a closed connection, never a 5xx; nothing is written;
    /// the daemon keeps answering.
    @Test func hostileInputsGetA4xxAndTheDaemonKeepsServing() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let pid = try #require(env.daemonPid(home: ws.home))
            let project = try ws.api.get("/api/v1/projects").json?.list("projects")?.first?["id"]?.int ?? 0
            let issues = "/api/v1/projects/\(project)/issues"
            let nested = Array(repeating: UInt8(ascii: "["), count: 200_000)
            let manyParams = (0..<5000).map { "label=l\($0)" }.joined(separator: "&")
            let cases: [(String, [UInt8], Bool)] = [
                ("truncated body", RawHTTP.request("POST", issues, body: Array(#"{"title":"cut"#.utf8), contentLength: 400), true),
                ("oversized body", RawHTTP.request("POST", issues, body: Array(repeating: UInt8(ascii: " "), count: 1024), contentLength: 2 << 20), false),
                ("non-UTF-8 body", RawHTTP.request("POST", issues, body: Array(#"{"title":""#.utf8) + [0xFF, 0xFE, 0xC3] + Array(#""}"#.utf8)), false),
                ("deeply nested JSON", RawHTTP.request("POST", issues, body: nested), false),
                ("deeply nested object", RawHTTP.request("POST", issues, body: Array(String(repeating: #"{"a":"#, count: 50_000).utf8)), false),
                ("huge header", RawHTTP.request("GET", "/api/v1/projects", headers: ["X-Big: " + String(repeating: "a", count: 256 * 1024)]), false),
                ("many headers", RawHTTP.request("GET", "/api/v1/projects", headers: (0..<3000).map { "X-H\($0): v" }), false),
                ("thousands of query parameters", RawHTTP.request("GET", issues + "?" + manyParams), false),
                ("garbage request line", Array("BREW /coffee HTCPCP/1.0\r\n\r\n".utf8), false),
                ("bad Content-Length", Array("POST \(issues) HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8), false),
                ("JSON of the wrong shape", RawHTTP.request("POST", issues, body: Array(#"[{"title":1}]"#.utf8)), false),
                ("a huge title", RawHTTP.request("POST", issues, body: Array(#"{"title":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 900_000) + Array(#""}"#.utf8)), false),
            ]
            let traversal = [
                ("GET", "/api/v1/projects/..%2F..%2Fetc%2Fpasswd/issues"), ("GET", "/api/v1/projects/../../etc/passwd"),
                ("GET", "/api/v1/issues/..%2F..%2Fetc%2Fpasswd"), ("GET", "\(issues)/..%2F..%2F1"),
                ("GET", "\(issues)/1%00"), ("DELETE", "\(issues)/1/labels/..%2F..%2Fbug"),
                ("GET", "/api/v1/users/..%2F..%2Froot"), ("DELETE", "/api/v1/tokens/..%2F1"),
                ("GET", "/api/v1/projects/%2e%2e/issues"), ("GET", "/api/v1/projects/1/issues/%C0%AE%C0%AE"),
            ]
            var results: [(String, Int?)] = []
            for (name, bytes, closeWrite) in cases {
                let r = try RawHTTP.exchange(ws.socket, bytes, closeWrite: closeWrite)
                results.append((name, r.status))
                #expect(r.status.map { (400..<500).contains($0) } ?? true, "\(name): \(r.text.prefix(300))")
            }
            for (method, path) in traversal {
                let r = try RawHTTP.exchange(ws.socket, RawHTTP.request(method, path))
                results.append(("\(method) \(path)", r.status))
                #expect(r.status.map { (400..<500).contains($0) } ?? true, "\(method) \(path): \(r.text.prefix(300))")
            }
            #expect(results.filter { $0.1 != nil }.count >= cases.count, "most hostile inputs got an answer: \(results)")
            #expect(Posix.alive(pid), "the daemon survived every input")
            #expect(try ws.api.get("/api/v1/ping").status == 200)
            let list = try ws.api.get(issues + "?status=all")
            #expect(list.json?.list("issues")?.isEmpty == true, "no hostile input wrote an issue: \(list)")
        }
    }

    /// 32 clients creating at once in one project: no 5xx, no "database is locked", numbers 1...N dense.
    @Test func thirtyTwoConcurrentWritersGetDenseNumbers() async throws {
        try await withEnv { env in
            let ws = try await Workspace.make(env)
            let project = try ws.api.get("/api/v1/projects").json?.list("projects")?.first?["id"]?.int ?? 0
            let clients = 32
            let each = 6
            let api = ws.api
            let answers = Answers()
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let group = DispatchGroup()
                for c in 0..<clients {
                    group.enter()
                    Thread.detachNewThread {
                        for i in 0..<each {
                            let a = try? api.postJSON("/api/v1/projects/\(project)/issues", #"{"title":"writer \#(c) issue \#(i)","force_new":true}"#)
                            answers.add(a)
                        }
                        group.leave()
                    }
                }
                group.notify(queue: .global()) { done.resume() }
            }
            let all = answers.all
            #expect(all.count == clients * each)
            let failed = all.filter { ($0?.status ?? 0) != 201 }
            #expect(failed.isEmpty, "every create answered 201: \(failed.prefix(3).map { $0?.description ?? "no answer" })")
            #expect(!all.contains { $0?.text.lowercased().contains("locked") == true }, "no database is locked")
            let numbers = all.compactMap { $0?.json?.issue["number"]?.int }.sorted()
            #expect(numbers == Array(1...Int64(clients * each)), "numbers are dense and unique")
        }
    }
}

/// Answers collected from many threads.
final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [API.Answer?] = []
    func add(_ a: API.Answer?) { lock.withLock { items.append(a) } }
    var all: [API.Answer?] { lock.withLock { items } }
}
