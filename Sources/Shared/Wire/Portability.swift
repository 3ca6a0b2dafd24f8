/// The answer of `POST /api/v1/import`.
public struct ImportAnswer: Codable, Sendable {
    /// `exact` (into an empty database: ids and uids kept) or `merge`.
    public var mode: String
    /// Lines read, header and end line included.
    public var lines: Int
    public var exportVersion: Int
    /// The database's instance uid after the import (the file's, for an exact import).
    public var instanceUid: String
    /// Rows inserted, by kind (`project`, `issue`, …).
    public var imported: [String: Int64]

    public init(mode: String, lines: Int, exportVersion: Int, instanceUid: String, imported: [String: Int64]) {
        self.mode = mode
        self.lines = lines
        self.exportVersion = exportVersion
        self.instanceUid = instanceUid
        self.imported = imported
    }
}

/// `POST /admin/v1/backup`.
public struct BackupRequest: Codable, Sendable {
    /// Absolute path of the backup file to write (0600).
    public var path: String?
    /// Replace an existing file.
    public var force: Bool?
    public init(path: String?, force: Bool?) {
        self.path = path
        self.force = force
    }
}

/// The answer of `POST /admin/v1/backup`.
public struct BackupAnswer: Codable, Sendable {
    public var path: String
    public var bytes: Int64
    public var schemaVersion: Int
    public var instanceUid: String
    public init(path: String, bytes: Int64, schemaVersion: Int, instanceUid: String) {
        self.path = path
        self.bytes = bytes
        self.schemaVersion = schemaVersion
        self.instanceUid = instanceUid
    }
}
