#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One HTTP answer as the client sees it.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}

/// A failure to talk to the daemon at all (no socket, refused, timed out, cut off).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Set when the failure is the server's certificate (exit 8, `tls_verify_failed`).
    public var tlsVerifyFailed = false

    public init(message: String, tlsVerifyFailed: Bool = false) {
        self.message = message
        self.tlsVerifyFailed = tlsVerifyFailed
    }

    public var description: String { message }
}

/// A blocking HTTP/1.1 connection over a POSIX socket (Unix or TCP), one request per connection.
///
/// Plain sockets keep `kata`'s start-up cheap (see `perf-facts.md`): no event loop, no runtime set-up.
public final class HTTPConnection {
    private let stream: any ByteStream
    private var buffer: [UInt8] = []
    private var position = 0
    private let target: String

    /// Connects to `target` within `timeoutSeconds`.
    public init(target: ServerTarget, timeoutSeconds: Int = 30, caFile: String? = nil) throws(TransportError) {
        self.target = target.description
        switch target {
        case .unix(let path):
            stream = SocketStream(fd: try Self.connectUnix(path: path), timeoutSeconds: timeoutSeconds, target: target.description)
        case .http(let host, let port):
            stream = SocketStream(
                fd: try Self.connectTCP(host: host, port: port, timeoutSeconds: timeoutSeconds), timeoutSeconds: timeoutSeconds,
                target: target.description)
        case .https(let host, let port):
            stream = try TLSStream(host: host, port: port, caFile: caFile, timeoutSeconds: timeoutSeconds)
        }
    }

    static func connectUnix(path: String) throws(TransportError) -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TransportError(message: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else {
            close(fd)
            throw TransportError(message: "socket path too long (\(bytes.count) bytes, at most \(capacity - 1)): \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let why = String(cString: strerror(errno))
            close(fd)
            throw TransportError(message: "cannot connect to unix://\(path): \(why)")
        }
        return fd
    }

    static func connectTCP(host: String, port: Int, timeoutSeconds: Int) throws(TransportError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let gai = getaddrinfo(host, String(port), &hints, &list)
        guard gai == 0, let first = list else {
            throw TransportError(message: "cannot resolve \(host): \(String(cString: gai_strerror(gai)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if fd < 0 { continue }
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var rc = connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen)
            if rc != 0 && errno == EINPROGRESS {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let n = poll(&pfd, 1, Int32(timeoutSeconds * 1000))
                if n == 1 {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    rc = err == 0 ? 0 : -1
                    errno = err
                } else {
                    rc = -1
                    errno = ETIMEDOUT
                }
            }
            if rc == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw TransportError(message: "cannot connect to \(host):\(port): \(lastError)")
    }

    /// Sends one request (with `Connection: close`).
    public func send(method: String, path: String, headers: [(String, String)], body: [UInt8]?) throws(TransportError) {
        let length: Int64? = body.map { Int64($0.count) } ?? (["POST", "PATCH", "PUT"].contains(method) ? 0 : nil)
        var bytes = Self.head(method: method, path: path, headers: headers, contentLength: length)
        if let body { bytes += body }
        try stream.write(bytes)
    }

    /// The request line and headers (with `Connection: close`), ending with the blank line.
    static func head(method: String, path: String, headers: [(String, String)], contentLength: Int64?) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: kata/\(KataVersion.string)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if let contentLength { head += "Content-Length: \(contentLength)\r\n" }
        return Array((head + "\r\n").utf8)
    }

    /// Sends one request whose body is the file open at `fd` (`length` bytes), read and sent in pieces
    /// so a file of any size streams without being held in memory.
    public func send(method: String, path: String, headers: [(String, String)], bodyFile fd: Int32, length: Int64) throws(TransportError) {
        try stream.write(Self.head(method: method, path: path, headers: headers, contentLength: length))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var sent: Int64 = 0
        while sent < length {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { throw TransportError(message: "the file ended after \(sent) of \(length) bytes") }
            try stream.write(Array(chunk[0..<n]))
            sent += Int64(n)
        }
    }

    /// Reads the body that follows a head already read with `readHead`, handing it to `sink` piece by
    /// piece (chunked, sized, or up to the end of the connection).
    public func readBody(headers: [(String, String)], _ sink: ([UInt8]) throws -> Void) throws {
        func header(_ n: String) -> String? { headers.first { $0.0.lowercased() == n }?.1 }
        if header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while let chunk = try readChunk() { try sink(chunk) }
        } else if let lengthText = header("content-length"), var left = Int(lengthText) {
            while left > 0 {
                let piece = try readExactly(min(left, 1 << 20))
                left -= piece.count
                try sink(piece)
            }
        } else {
            while true {
                if position < buffer.count {
                    try sink(Array(buffer[position...]))
                    position = buffer.count
                    compact()
                }
                if try fill() == nil { break }
            }
        }
    }

    /// Reads the status line and headers.
    public func readHead() throws(TransportError) -> (status: Int, headers: [(String, String)]) {
        guard let statusLine = try readLine() else {
            throw TransportError(message: "\(target) closed the connection without answering")
        }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw TransportError(message: "\(target) answered something that is not HTTP: \(statusLine.prefix(80))")
        }
        var headers: [(String, String)] = []
        while let line = try readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = Validation.trimmed(String(line[line.index(after: colon)...]))
            headers.append((name, value))
        }
        return (status, headers)
    }

    /// Reads one whole answer.
    public func readAnswer() throws(TransportError) -> HTTPAnswer {
        let (status, headers) = try readHead()
        return try readAnswerBody(status: status, headers: headers)
    }

    /// Reads the body that follows a head already read with `readHead`.
    public func readAnswerBody(status: Int, headers: [(String, String)]) throws(TransportError) -> HTTPAnswer {
        func header(_ n: String) -> String? { headers.first { $0.0.lowercased() == n }?.1 }
        var body: [UInt8] = []
        if header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while let chunk = try readChunk() { body += chunk }
        } else if let lengthText = header("content-length"), let length = Int(lengthText) {
            body = try readExactly(length)
        } else {
            while let more = try fill() { _ = more }
            body = Array(buffer[position...])
            position = buffer.count
        }
        return HTTPAnswer(status: status, headers: headers, body: body)
    }

    /// Reads the next chunk of a chunked body; nil at the end.
    public func readChunk() throws(TransportError) -> [UInt8]? {
        guard let sizeLine = try readLine() else { return nil }
        let sizeText = sizeLine.split(separator: ";").first.map(String.init) ?? ""
        guard let size = Int(Validation.trimmed(sizeText), radix: 16) else {
            throw TransportError(message: "bad chunk size from \(target)")
        }
        if size == 0 {
            _ = try readLine()
            return nil
        }
        let data = try readExactly(size)
        _ = try readLine()
        return data
    }

    /// Reads one CRLF- (or LF-) terminated line without its terminator; nil at end of stream.
    public func readLine() throws(TransportError) -> String? {
        while true {
            if let nl = buffer[position...].firstIndex(of: 10) {
                var end = nl
                if end > position, buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = nl + 1
                compact()
                return line
            }
            if try fill() == nil {
                if position < buffer.count {
                    let line = String(decoding: buffer[position...], as: UTF8.self)
                    position = buffer.count
                    return line
                }
                return nil
            }
        }
    }

    func readExactly(_ n: Int) throws(TransportError) -> [UInt8] {
        while buffer.count - position < n {
            if try fill() == nil { throw TransportError(message: "\(target) closed the connection mid-answer") }
        }
        let out = Array(buffer[position..<(position + n)])
        position += n
        compact()
        return out
    }

    private func compact() {
        if position > 65536 {
            buffer.removeFirst(position)
            position = 0
        }
    }

    /// Reads more bytes into the buffer; nil at end of stream.
    private func fill() throws(TransportError) -> Int? {
        guard let more = try stream.read(max: 65536) else { return nil }
        buffer.append(contentsOf: more)
        return more.count
    }
}

/// A byte stream an `HTTPConnection` speaks over: a plain socket, or TLS.
protocol ByteStream: AnyObject {
    func write(_ bytes: [UInt8]) throws(TransportError)
    /// Some bytes, or nil at the end of the stream.
    func read(max: Int) throws(TransportError) -> [UInt8]?
}

/// A connected POSIX socket with send/receive timeouts.
final class SocketStream: ByteStream {
    let fd: Int32
    let target: String
    let timeoutSeconds: Int

    init(fd: Int32, timeoutSeconds: Int, target: String) {
        self.fd = fd
        self.target = target
        self.timeoutSeconds = timeoutSeconds
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    deinit { close(fd) }

    func write(_ bytes: [UInt8]) throws(TransportError) {
        var sent = 0
        while sent < bytes.count {
            // Wait until the socket takes more, or the server has answered already (an early 413): then stop
            // sending, so the answer is read at once instead of after a send timeout.
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT | POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(timeoutSeconds * 1000))
            if ready == 0 { throw TransportError(message: "timed out sending to \(target)") }
            if ready > 0 && pfd.revents & Int16(POLLIN) != 0 { return }
            let n = bytes[sent...].withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                #else
                Darwin.send(fd, raw.baseAddress, raw.count, MSG_DONTWAIT)
                #endif
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                // The server may have answered early and closed (e.g. 413 for an oversized body):
                // stop sending; the answer, if any, is still readable.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw TransportError(message: "cannot send to \(target): \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    func read(max: Int) throws(TransportError) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: max)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { return Array(chunk[0..<n]) }
            if n == 0 { return nil }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                throw TransportError(message: "timed out waiting for \(target)")
            }
            if errno == ECONNRESET { return nil }
            throw TransportError(message: "cannot read from \(target): \(String(cString: strerror(errno)))")
        }
    }
}
