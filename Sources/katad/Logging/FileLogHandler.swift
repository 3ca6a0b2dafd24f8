import Logging
import Shared
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A swift-log handler that appends one line per message to a file descriptor (a log file or stderr).
///
/// Lines look like `2026-12-01T23:58:26.123Z info katad: listening address=unix:///…`.
struct FileLogHandler: LogHandler {
    final class Sink: Sendable {
        let fd: Int32
        let lock = Mutex(())
        init(fd: Int32) { self.fd = fd }

        func write(_ line: String) {
            var bytes = Array(line.utf8)
            bytes.append(10)
            lock.withLock { _ in
                var off = 0
                while off < bytes.count {
                    let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { return }
                    off += n
                }
            }
        }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    /// Opens `path` for appending (0600), or nil.
    static func openFile(_ path: String) -> Sink? {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        return fd < 0 ? nil : Sink(fd: fd)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        var all = metadata
        if let explicit { all.merge(explicit) { $1 } }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.write("\(Timestamp.now()) \(level) \(label): \(message)\(meta)")
    }
}
