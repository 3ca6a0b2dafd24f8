import GRDB
import Shared

/// Versioned schema migrations. Never edit one that has shipped; add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    );
                    CREATE TABLE projects (
                        id INTEGER PRIMARY KEY,
                        uid TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL,
                        next_issue_number INTEGER NOT NULL DEFAULT 1,
                        hidden INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE project_aliases (
                        id INTEGER PRIMARY KEY,
                        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                        alias_identity TEXT NOT NULL UNIQUE,
                        alias_kind TEXT NOT NULL CHECK (alias_kind IN ('git', 'local')),
                        last_seen_path TEXT,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX project_aliases_project ON project_aliases(project_id);
                    CREATE TABLE issues (
                        id INTEGER PRIMARY KEY,
                        uid TEXT NOT NULL UNIQUE,
                        project_id INTEGER NOT NULL REFERENCES projects(id),
                        number INTEGER NOT NULL,
                        short_id TEXT NOT NULL,
                        title TEXT NOT NULL,
                        body TEXT NOT NULL DEFAULT '',
                        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                        closed_reason TEXT CHECK (closed_reason IN ('done', 'wontfix', 'duplicate')),
                        owner TEXT,
                        author TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        closed_at TEXT,
                        deleted_at TEXT,
                        idempotency_key TEXT,
                        idempotency_fingerprint TEXT,
                        UNIQUE (project_id, number),
                        UNIQUE (project_id, idempotency_key)
                    );
                    CREATE INDEX issues_project_activity ON issues(project_id, updated_at DESC, id DESC);
                    CREATE INDEX issues_activity ON issues(updated_at DESC, id DESC);
                    CREATE INDEX issues_project_short ON issues(project_id, short_id);
                    CREATE TABLE comments (
                        id INTEGER PRIMARY KEY,
                        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                        author TEXT NOT NULL,
                        body TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX comments_issue ON comments(issue_id, id);
                    CREATE TABLE issue_labels (
                        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                        label TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        PRIMARY KEY (issue_id, label)
                    ) WITHOUT ROWID;
                    CREATE INDEX issue_labels_label ON issue_labels(label, issue_id);
                    CREATE TABLE links (
                        id INTEGER PRIMARY KEY,
                        project_id INTEGER NOT NULL REFERENCES projects(id),
                        kind TEXT NOT NULL CHECK (kind IN ('parent', 'blocks', 'related')),
                        from_issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                        to_issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                        author TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        UNIQUE (kind, from_issue_id, to_issue_id),
                        CHECK (from_issue_id <> to_issue_id)
                    );
                    CREATE UNIQUE INDEX links_one_parent ON links(from_issue_id) WHERE kind = 'parent';
                    CREATE INDEX links_to ON links(to_issue_id, kind);
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        uid TEXT NOT NULL UNIQUE,
                        type TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        project_id INTEGER NOT NULL REFERENCES projects(id),
                        project_name TEXT NOT NULL,
                        issue_uid TEXT,
                        issue_number INTEGER,
                        payload TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX events_project ON events(project_id, id);
                    CREATE INDEX events_issue ON events(issue_uid, id);
                    CREATE TABLE purge_log (
                        id INTEGER PRIMARY KEY,
                        project_id INTEGER NOT NULL REFERENCES projects(id),
                        issue_uid TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        title TEXT NOT NULL,
                        author TEXT NOT NULL,
                        comment_count INTEGER NOT NULL,
                        event_count INTEGER NOT NULL,
                        label_count INTEGER NOT NULL,
                        link_count INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        reason TEXT,
                        reset_cursor INTEGER NOT NULL,
                        purged_at TEXT NOT NULL
                    );
                    CREATE INDEX purge_log_project ON purge_log(project_id, reset_cursor);
                    CREATE VIRTUAL TABLE issue_fts USING fts5(title, body, comments, tokenize = 'unicode61 remove_diacritics 2');
                    """)
        }
        m.registerMigration("v2-tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE api_tokens (
                        id INTEGER PRIMARY KEY,
                        uid TEXT NOT NULL UNIQUE,
                        actor TEXT NOT NULL,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('viewer', 'user', 'operator', 'admin')),
                        kind TEXT NOT NULL CHECK (kind IN ('token', 'session')),
                        hash TEXT NOT NULL UNIQUE,
                        prefix TEXT NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        last_used_at TEXT,
                        expires_at TEXT,
                        revoked_at TEXT
                    );
                    CREATE UNIQUE INDEX api_tokens_actor_name ON api_tokens(actor, name) WHERE revoked_at IS NULL;
                    """)
            try db.execute(
                sql: "INSERT INTO projects(uid, name, created_at, next_issue_number, hidden) VALUES (?, ?, ?, 1, 1)",
                arguments: [ULID().string, SystemProject.name, Timestamp.now()])
        }
        m.registerMigration("v3-users") { db in
            // A user's name is the actor its writes are attributed to. `password_hash` is an argon2id
            // encoded string (`$argon2id$v=19$m=…`), NULL for a user who cannot log in with a password.
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY,
                        uid TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL UNIQUE,
                        display_name TEXT,
                        role TEXT NOT NULL CHECK (role IN ('viewer', 'user', 'operator', 'admin')),
                        password_hash TEXT,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        disabled_at TEXT
                    );
                    CREATE INDEX api_tokens_actor ON api_tokens(actor);
                    """)
        }
        m.registerMigration("v4-lookup-indexes") { db in
            // Short ids are uid suffixes: `uid_rev` (the uid reversed) turns "ends with" into an indexed
            // prefix range. `ready` walks open, live issues in creation order straight from an index.
            // `issue_fts_vocab` (no storage of its own) tells how many issues hold a word, so the look-alike
            // check can search by the rarest words.
            try db.execute(
                sql: """
                    ALTER TABLE issues ADD COLUMN uid_rev TEXT;
                    UPDATE issues SET uid_rev = kata_reverse(uid);
                    CREATE INDEX issues_uid_rev ON issues(uid_rev);
                    CREATE INDEX issues_ready ON issues(project_id, created_at, id) WHERE status = 'open' AND deleted_at IS NULL;
                    CREATE VIRTUAL TABLE issue_fts_vocab USING fts5vocab(issue_fts, 'row');
                    """)
        }
        m.registerMigration("v5-fts-usermerge") { db in
            // Each group-commit batch adds one FTS5 segment, and every word lookup visits every segment.
            // With `usermerge = 2`, the bounded `merge` after each batch's search rows (see `SearchRows`)
            // merges any two segments of one level, which keeps the segment count near half of FTS5's own.
            try db.execute(sql: "INSERT INTO issue_fts(issue_fts, rank) VALUES('usermerge', 2)")
        }
        m.registerMigration("v6-activity-ascending") { db in
            // The newest activity has the largest `updated_at`. In a descending index it went to the leftmost
            // leaf, and every split there rebalanced it with its siblings: about one page more per commit for
            // each of the two indexes. Ascending, it goes to the rightmost leaf, which SQLite splits by
            // starting a new page. SQLite reads an index backwards as fast as forwards, so these serve the
            // newest-first lists (`ORDER BY updated_at DESC, id DESC`) just the same.
            try db.execute(
                sql: """
                    DROP INDEX issues_project_activity;
                    DROP INDEX issues_activity;
                    CREATE INDEX issues_project_activity ON issues(project_id, updated_at, id);
                    CREATE INDEX issues_activity ON issues(updated_at, id);
                    """)
        }
        m.registerMigration("v7-links-from") { db in
            // An issue's outgoing links by `from_issue_id` alone, whatever their kind. The unique
            // `(kind, from_issue_id, to_issue_id)` index needs the kind first: asking whether an issue has
            // any outgoing link took one search per kind, which was a tenth of the SQLite work of a read of
            // one issue (`Store.unlinkedIssue`).
            try db.execute(sql: "CREATE INDEX links_from ON links(from_issue_id)")
        }
        m.registerMigration("v8-short-ids-by-uid") { db in
            // A short id is the tail of its issue's uid, so `issues_uid_rev` finds it (a prefix range of
            // the reversed uid) and `(project_id, short_id)` was a second index of random keys: every create
            // changed a leaf at a random place in both, and under steady creates those two indexes were
            // more than half of the distinct pages each WAL checkpoint copied and synced. A short id that
            // is not its uid's tail could only have come from an edited import file; it becomes the tail
            // of the same length, so that lookups by short id still find every issue.
            try db.execute(
                sql: """
                    UPDATE issues SET short_id = lower(substr(uid, -max(length(short_id), 4)))
                     WHERE short_id <> lower(substr(uid, -max(length(short_id), 4)));
                    DROP INDEX issues_project_short;
                    """)
        }
        return m
    }

    /// `kata_reverse(text)`: the text reversed (uids are ASCII), registered on every connection.
    static let reverseFunction = DatabaseFunction("kata_reverse", argumentCount: 1, pure: true) { values in
        String.fromDatabaseValue(values[0]).map { String($0.reversed()) }
    }

    /// The bounds of an indexed "uid ends with `suffix`" test on `uid_rev`: `uid_rev >= lo AND uid_rev < hi`.
    static func suffixRange(_ suffix: String) -> (lo: String, hi: String) {
        let lo = String(suffix.uppercased().reversed())
        return (lo, lo + "\u{7F}")
    }
}
