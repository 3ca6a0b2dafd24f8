import TOMLKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The daemon of a `KATA_HOME`, seen from outside: its pid file and the lock on it.
public struct DaemonProcess: Sendable {
    public let home: KataHome

    public init(home: KataHome) { self.home = home }

    /// The pid of the daemon holding this home's lock, or nil when none runs.
    public func runningPid() -> Int32? {
        let fd = open(home.pidFilePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil  // nobody holds the lock
        }
        guard let text = Paths.readText(home.pidFilePath), let pid = Int32(Validation.trimmed(text)) else { return nil }
        return pid
    }

    /// Whether process `pid` still exists (and is not a zombie).
    public static func alive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        if let stat = Paths.readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") {
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            if let state = rest.first, state == "Z" || state == "X" { return false }
        }
        return true
    }
}

/// Client-side reads of `<KATA_HOME>/config.toml`.
public enum DaemonConfigFile {
    /// `active_daemon`: the default server URL when nothing else names one.
    public static func activeDaemon(home: KataHome) -> String? {
        guard let text = Paths.readText(home.configPath), let table = try? TOMLTable(string: text),
            let url = table["active_daemon"]?.string, !url.isEmpty
        else { return nil }
        return url
    }
}
