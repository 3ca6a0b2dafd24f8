import Foundation
import Hummingbird
import NIOCore
import Shared

/// `GET /export` (streamed JSONL) and `POST /import` (streamed to a spool file, then validated and loaded).
enum PortabilityRoutes {
    static let importPath = "/api/v1/import"
    /// The largest import accepted.
    static let maxImportBytes: Int64 = 4 << 30

    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        router.get("api/v1/export") { _, context in
            // Users, tokens and the system project's events go only to an admin (auth.md, the role table).
            let includeAuth = context.principal.role >= .admin
            let store = s.store
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson"
            headers[.cacheControl] = "no-store"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    try await store.export(includeAuth: includeAuth) { chunk in try await writer.write(ByteBuffer(string: chunk)) }
                    try await writer.finish(nil)
                })
        }
        router.post("api/v1/import") { request, context in
            try context.require(.operator, to: "import")
            let merge = try RequestDecoding.flag(request, "merge")
            let spool = "\(s.spoolDirectory)/import-\(ULID().string).jsonl"
            defer { unlink(spool) }
            try await Self.spool(request.body, to: spool)
            let answer = try await s.store.importFile(path: spool, merge: merge, callerRole: context.principal.role)
            return JSONResponse.make(answer)
        }
    }

    /// Writes the request body to a new 0600 file, refusing more than `maxImportBytes`.
    static func spool(_ body: RequestBody, to path: String) async throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KataError(500, .internalError, "cannot spool the import: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var total: Int64 = 0
        for try await buffer in body {
            total += Int64(buffer.readableBytes)
            if total > maxImportBytes {
                throw KataError(413, .payloadTooLarge, "the import is over \(maxImportBytes >> 30) GiB", hint: "split the data, or restore a backup instead")
            }
            try buffer.withUnsafeReadableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { throw KataError(500, .internalError, "cannot spool the import: \(String(cString: strerror(errno)))") }
                    offset += n
                }
            }
        }
    }
}

/// `POST /admin/v1/backup` (admin socket only).
enum BackupRoutes {
    static func add(to router: Router<KataRequestContext>, _ s: APIServices) {
        router.post("admin/v1/backup") { request, context in
            try context.require(.admin, to: "backup")
            let req = try await RequestDecoding.body(BackupRequest.self, from: request)
            guard let path = req.path.map(Validation.trimmed), !path.isEmpty else { throw KataError.validation("path", "required: where to write the backup") }
            return JSONResponse.make(try await s.store.backup(to: path, replace: req.force ?? false), status: .created)
        }
    }
}
