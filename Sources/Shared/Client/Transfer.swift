import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Streaming transfers for export and import: bodies far over the API's 1 MiB limit, never held whole.
extension KataClient {
    /// `GET path`, handing a 2xx body to `sink` piece by piece; any other status throws its envelope.
    public func download(_ path: String, _ sink: ([UInt8]) throws(ErrorEnvelope) -> Void) throws(ErrorEnvelope) {
        let conn = try openStream(path, headers: [])
        let head: (status: Int, headers: [(String, String)])
        do {
            head = try conn.readHead()
        } catch {
            throw Self.unavailable(target, error)
        }
        guard (200..<300).contains(head.status) else {
            do {
                throw Self.envelope(of: try conn.readAnswerBody(status: head.status, headers: head.headers))
            } catch let e as ErrorEnvelope {
                throw e
            } catch {
                throw Self.unavailable(target, error as? TransportError ?? TransportError(message: "\(error)"))
            }
        }
        do {
            try conn.readBody(headers: head.headers) { piece in try sink(piece) }
        } catch let e as ErrorEnvelope {
            throw e
        } catch {
            throw Self.unavailable(target, error as? TransportError ?? TransportError(message: "\(error)"))
        }
    }

    /// `POST path` with the file at `file` as the body (streamed), returning the 2xx answer.
    public func upload(_ path: String, file: String, contentType: String) throws(ErrorEnvelope) -> HTTPAnswer {
        let fd = Glibc.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ErrorEnvelope(status: 400, code: .usage, message: "cannot read \(file): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ErrorEnvelope(status: 400, code: .usage, message: "\(file) is not a regular file")
        }
        let answer: HTTPAnswer
        do {
            let conn = try HTTPConnection(target: target, timeoutSeconds: max(timeoutSeconds, 3600), caFile: caFile)
            try conn.send(
                method: "POST", path: path, headers: authHeaders() + [("Content-Type", contentType)], bodyFile: fd, length: Int64(st.st_size))
            answer = try conn.readAnswer()
        } catch {
            throw Self.unavailable(target, error)
        }
        guard (200..<300).contains(answer.status) else { throw Self.envelope(of: answer) }
        return answer
    }
}
