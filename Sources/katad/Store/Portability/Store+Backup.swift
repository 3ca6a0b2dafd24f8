import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import NIOPosix
import Shared

extension Store {
    /// Writes an online, consistent copy of the database to `path` (0600) with SQLite's backup API,
    /// reading from one snapshot while writes go on. The copy is made beside `path` and renamed over it
    /// only once it is complete and checked, so a failed backup leaves no half file.
    func backup(to path: String, replace: Bool) async throws -> BackupAnswer {
        guard path.hasPrefix("/") else { throw KataError.validation("path", "must be an absolute path") }
        if !replace, access(path, F_OK) == 0 {
            throw KataError(409, .conflict, "\(path) exists", hint: "choose another file, or pass --force to replace it")
        }
        let dir = Paths.parent(path)
        guard Paths.isDirectory(dir) else { throw KataError.validation("path", "the folder \(dir) does not exist") }
        let tmp = "\(path).tmp-\(ULID().string)"
        let source = writer
        do {
            try await NIOThreadPool.singleton.runIfActive {
                let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw KataError.validation("path", "cannot create \(tmp): \(String(cString: strerror(errno)))") }
                Glibc.close(fd)
                do {
                    let destination = try DatabaseQueue(path: tmp)
                    try source.backup(to: destination)
                    let check = try destination.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
                    guard check == ["ok"] else { throw KataError(500, .internalError, "the backup copy failed its check: \(check.prefix(3))") }
                    try destination.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                    try destination.close()
                }
                chmod(tmp, 0o600)
                let sync = Glibc.open(tmp, O_RDONLY | O_CLOEXEC)
                if sync >= 0 {
                    fsync(sync)
                    Glibc.close(sync)
                }
                for suffix in ["-wal", "-shm"] { unlink(tmp + suffix) }
                guard rename(tmp, path) == 0 else {
                    throw KataError.validation("path", "cannot write \(path): \(String(cString: strerror(errno)))")
                }
            }
        } catch {
            for suffix in ["", "-wal", "-shm"] { unlink(tmp + suffix) }
            throw error
        }
        var st = stat()
        let bytes = stat(path, &st) == 0 ? Int64(st.st_size) : 0
        let (schema, instance) = try await writer.read { db in
            (
                try Migrations.migrator.appliedIdentifiers(db).count,
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_uid'") ?? ""
            )
        }
        return BackupAnswer(path: path, bytes: bytes, schemaVersion: schema, instanceUid: instance)
    }
}
