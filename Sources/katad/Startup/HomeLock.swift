import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prepares a `KATA_HOME` and holds its daemon lock: the pid file, locked with `flock` for the daemon's life.
///
/// Holding the lock proves no other daemon serves this home, so socket files left by a killed daemon
/// are stale and can be removed.
final class HomeLock {
    let home: KataHome
    private var fd: Int32 = -1

    init(home: KataHome) {
        self.home = home
    }

    /// Creates the folders (`run/` 0700, `logs/` 0700) and takes the lock, or throws a `StartupError`.
    func acquire() throws(StartupError) {
        for (dir, what) in [(home.root, "KATA_HOME"), (home.runDirectory, "run folder"), (home.logDirectory, "log folder")] {
            if !Paths.makeDirectory(dir, mode: 0o700, enforce: dir == home.runDirectory) {
                throw .environment(
                    "cannot create the \(what) \(dir): \(String(cString: strerror(errno))); set KATA_HOME to a writable folder")
            }
            if access(dir, W_OK) != 0 {
                throw .environment("the \(what) \(dir) is not writable; set KATA_HOME to a writable folder or fix its permissions")
            }
        }
        fd = open(home.pidFilePath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 {
            throw .environment("cannot open \(home.pidFilePath): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let other = Paths.readText(home.pidFilePath).map { Validation.trimmed($0) } ?? "?"
            close(fd)
            fd = -1
            throw .alreadyRunning("another katad (pid \(other)) is already running for \(home.root); stop it with `kata daemon stop`")
        }
        _ = ftruncate(fd, 0)
        let text = Array("\(getpid())\n".utf8)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        removeStaleSocket(home.socketPath)
        removeStaleSocket(home.adminSocketPath)
    }

    /// Removes a socket file left behind by a daemon that died (we hold the lock, so nobody serves it).
    func removeStaleSocket(_ path: String) {
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK {
            unlink(path)
        }
    }

    /// Removes the socket files and the pid file, and releases the lock.
    func release(sockets: [String]) {
        for s in sockets { unlink(s) }
        if fd >= 0 {
            unlink(home.pidFilePath)
            close(fd)
            fd = -1
        }
    }
}

extension HomeLock {
    /// For a listener socket outside `run/`: removes it only when nothing answers on it.
    func removeStaleSocketIfDead(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else { return }
        if (try? HTTPConnection(target: .unix(path: path), timeoutSeconds: 1)) == nil { unlink(path) }
    }
}
