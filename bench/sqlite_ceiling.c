// sqlite_ceiling: the ceiling for katad's creates/s. Straight into SQLite, with katad's pragmas (WAL,
// synchronous=NORMAL, foreign_keys=ON) and the schema subset an issue create touches (copied from
// Sources/katad/Store/Migrations.swift), one transaction per issue doing what a create writes: the
// project's number bump, the issue row, its FTS row and its issue.created event. One writer thread, as
// katad writes through GRDB's single writer.
//
//   sqlite_ceiling DBPATH [SECONDS]
//   sqlite_ceiling --seed KATA_DB PROJECT_ID COUNT   (fills katad's own database, see seed())
//
// Prints one line of JSON: tx, duration_s, tx_per_s, p50_ms, p99_ms.
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vocab.h"

static const char *schema =
    "CREATE TABLE projects (id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,"
    " created_at TEXT NOT NULL, next_issue_number INTEGER NOT NULL DEFAULT 1, hidden INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE issues (id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, project_id INTEGER NOT NULL REFERENCES projects(id),"
    " number INTEGER NOT NULL, short_id TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL CHECK (status IN ('open', 'closed')),"
    " closed_reason TEXT CHECK (closed_reason IN ('done', 'wontfix', 'duplicate')), owner TEXT, author TEXT NOT NULL,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, closed_at TEXT, deleted_at TEXT, idempotency_key TEXT,"
    " idempotency_fingerprint TEXT, UNIQUE (project_id, number), UNIQUE (project_id, idempotency_key));"
    "CREATE INDEX issues_project_activity ON issues(project_id, updated_at, id);"
    "CREATE INDEX issues_activity ON issues(updated_at, id);"
    "CREATE INDEX issues_project_short ON issues(project_id, short_id);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE, type TEXT NOT NULL,"
    " actor TEXT NOT NULL, project_id INTEGER NOT NULL REFERENCES projects(id), project_name TEXT NOT NULL,"
    " issue_uid TEXT, issue_number INTEGER, payload TEXT NOT NULL, created_at TEXT NOT NULL);"
    "CREATE INDEX events_project ON events(project_id, id);"
    "CREATE INDEX events_issue ON events(issue_uid, id);"
    "CREATE VIRTUAL TABLE issue_fts USING fts5(title, body, comments, tokenize = 'unicode61 remove_diacritics 2');"
    "INSERT INTO projects(uid, name, created_at) VALUES ('01BENCHPROJECT0000000000000', 'bench', '2026-01-01T00:00:00.000Z');";

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite_ceiling: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static uint64_t mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void ulid(uint64_t *rng, char *out) {
    static const char *alpha = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (int i = 9; i >= 0; i--) { out[i] = alpha[ms & 31]; ms >>= 5; }
    for (int i = 10; i < 26; i++) out[i] = alpha[vocab_rand(rng) & 31];
    out[26] = 0;
}

static void stamp(char *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    sprintf(out + n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static int cmp64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

// --seed: fills an existing katad database (its own schema) with COUNT issues of project PID, each with
// its FTS row and issue.created event, 5,000 per transaction. Used by bench/run to reach 100,000 issues
// in seconds; the API path is measured separately.
static int seed(const char *path, long pid, long count) {
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    sqlite3_busy_timeout(db, 30000);
    check(sqlite3_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", 0, 0, 0), db, "pragmas");
    sqlite3_stmt *sel, *ins, *fts, *ev;
    check(sqlite3_prepare_v2(db, "SELECT next_issue_number, name FROM projects WHERE id = ?", -1, &sel, 0), db, "prepare");
    check(sqlite3_prepare_v2(db,
              "INSERT INTO issues(uid, project_id, number, short_id, title, body, status, owner, author, created_at, updated_at, uid_rev)"
              " VALUES (?, ?, ?, ?, ?, 'seeded for the benchmark', 'open', NULL, 'bench', ?, ?, ?)", -1, &ins, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO issue_fts(rowid, title, body, comments) VALUES (?, ?, 'seeded for the benchmark', '')", -1, &fts, 0), db, "prepare");
    check(sqlite3_prepare_v2(db,
              "INSERT INTO events(uid, type, actor, project_id, project_name, issue_uid, issue_number, payload, created_at)"
              " VALUES (?, 'issue.created', 'bench', ?, ?, ?, ?, ?, ?)", -1, &ev, 0), db, "prepare");
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
    sqlite3_bind_int64(sel, 1, pid);
    if (sqlite3_step(sel) != SQLITE_ROW) { fprintf(stderr, "sqlite_ceiling: no project %ld\n", pid); return 1; }
    long first = sqlite3_column_int64(sel, 0);
    char pname[256];
    snprintf(pname, sizeof pname, "%s", (const char *)sqlite3_column_text(sel, 1));
    sqlite3_reset(sel);
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ mono();
    char uid[32], euid[32], now[32], title[128], words[96], payload[256], shortid[16];
    for (long k = 0; k < count; k++) {
        long number = first + k;
        ulid(&rng, uid);
        for (int i = 0; i < 8; i++) shortid[i] = uid[18 + i] | 0x20;  // 8 characters: unique enough among 10^5
        shortid[8] = 0;
        stamp(now);
        vocab_words(&rng, words);
        snprintf(title, sizeof title, "%s %ld", words, number);
        sqlite3_bind_text(ins, 1, uid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, pid);
        sqlite3_bind_int64(ins, 3, number);
        sqlite3_bind_text(ins, 4, shortid, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, title, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, now, -1, SQLITE_STATIC);
        char rev[32];  // katad's uid_rev: the uid reversed, for indexed short-id lookups
        size_t ul = strlen(uid);
        for (size_t i = 0; i < ul; i++) rev[i] = uid[ul - 1 - i];
        rev[ul] = 0;
        sqlite3_bind_text(ins, 8, rev, -1, SQLITE_TRANSIENT);
        check(sqlite3_step(ins), db, "insert issue"); sqlite3_reset(ins);
        sqlite3_int64 id = sqlite3_last_insert_rowid(db);
        sqlite3_bind_int64(fts, 1, id);
        sqlite3_bind_text(fts, 2, title, -1, SQLITE_STATIC);
        check(sqlite3_step(fts), db, "insert fts"); sqlite3_reset(fts);
        ulid(&rng, euid);
        snprintf(payload, sizeof payload, "{\"labels\":[],\"owner\":null,\"title\":\"%s\"}", title);
        sqlite3_bind_text(ev, 1, euid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 2, pid);
        sqlite3_bind_text(ev, 3, pname, -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 4, uid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 5, number);
        sqlite3_bind_text(ev, 6, payload, -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 7, now, -1, SQLITE_STATIC);
        check(sqlite3_step(ev), db, "insert event"); sqlite3_reset(ev);
        if ((k + 1) % 5000 == 0 || k + 1 == count) {
            char sql[128];
            snprintf(sql, sizeof sql, "UPDATE projects SET next_issue_number = %ld WHERE id = %ld", number + 1, pid);
            check(sqlite3_exec(db, sql, 0, 0, 0), db, "bump");
            check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
            if (k + 1 < count) check(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
        }
    }
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && !strcmp(argv[1], "--seed")) return seed(argv[2], atol(argv[3]), atol(argv[4]));
    if (argc < 2) { fprintf(stderr, "usage: sqlite_ceiling DBPATH [SECONDS]\n"); return 2; }
    double secs = argc > 2 ? atof(argv[2]) : 5;
    sqlite3 *db;
    check(sqlite3_open(argv[1], &db), db, "open");
    sqlite3_busy_timeout(db, 10000);
    check(sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", 0, 0, 0), db, "pragmas");
    check(sqlite3_exec(db, schema, 0, 0, 0), db, "schema");

    sqlite3_stmt *sel, *bump, *ins, *fts, *ev, *begin, *commit;
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "SELECT next_issue_number, name FROM projects WHERE id = ?", -1, &sel, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "UPDATE projects SET next_issue_number = next_issue_number + 1 WHERE id = ?", -1, &bump, 0), db, "prepare");
    check(sqlite3_prepare_v2(db,
              "INSERT INTO issues(uid, project_id, number, short_id, title, body, status, owner, author, created_at, updated_at,"
              " idempotency_key, idempotency_fingerprint) VALUES (?, ?, ?, ?, ?, '', 'open', NULL, 'bench', ?, ?, NULL, NULL)",
              -1, &ins, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO issue_fts(rowid, title, body, comments) VALUES (?, ?, '', '')", -1, &fts, 0), db, "prepare");
    check(sqlite3_prepare_v2(db,
              "INSERT INTO events(uid, type, actor, project_id, project_name, issue_uid, issue_number, payload, created_at)"
              " VALUES (?, 'issue.created', 'bench', ?, 'bench', ?, ?, ?, ?)", -1, &ev, 0), db, "prepare");

    uint64_t rng = 0x2545F4914F6CDD1Dull ^ mono();
    size_t cap = 1 << 16, n = 0;
    uint64_t *lat = malloc(cap * sizeof *lat);
    uint64_t t0 = mono(), end = t0 + (uint64_t)(secs * 1e9);
    char uid[32], euid[32], now[32], title[128], words[96], payload[256], shortid[8];
    while (mono() < end) {
        uint64_t a = mono();
        check(sqlite3_step(begin), db, "begin"); sqlite3_reset(begin);
        sqlite3_bind_int64(sel, 1, 1);
        check(sqlite3_step(sel), db, "select");
        long number = sqlite3_column_int64(sel, 0);
        sqlite3_reset(sel);
        sqlite3_bind_int64(bump, 1, 1);
        check(sqlite3_step(bump), db, "bump"); sqlite3_reset(bump);
        ulid(&rng, uid);
        for (int i = 0; i < 4; i++) shortid[i] = uid[22 + i] | 0x20;
        shortid[4] = 0;
        stamp(now);
        vocab_words(&rng, words);
        snprintf(title, sizeof title, "%s %ld", words, number);
        sqlite3_bind_text(ins, 1, uid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, 1);
        sqlite3_bind_int64(ins, 3, number);
        sqlite3_bind_text(ins, 4, shortid, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, title, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, now, -1, SQLITE_STATIC);
        check(sqlite3_step(ins), db, "insert issue"); sqlite3_reset(ins);
        sqlite3_int64 id = sqlite3_last_insert_rowid(db);
        sqlite3_bind_int64(fts, 1, id);
        sqlite3_bind_text(fts, 2, title, -1, SQLITE_STATIC);
        check(sqlite3_step(fts), db, "insert fts"); sqlite3_reset(fts);
        ulid(&rng, euid);
        snprintf(payload, sizeof payload, "{\"labels\":[],\"owner\":null,\"title\":\"%s\"}", title);
        sqlite3_bind_text(ev, 1, euid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 2, 1);
        sqlite3_bind_text(ev, 3, uid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ev, 4, number);
        sqlite3_bind_text(ev, 5, payload, -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 6, now, -1, SQLITE_STATIC);
        check(sqlite3_step(ev), db, "insert event"); sqlite3_reset(ev);
        check(sqlite3_step(commit), db, "commit"); sqlite3_reset(commit);
        if (n == cap) { cap *= 2; lat = realloc(lat, cap * sizeof *lat); }
        lat[n++] = mono() - a;
    }
    double d = (mono() - t0) / 1e9;
    qsort(lat, n, sizeof *lat, cmp64);
    printf("{\"tx\":%zu,\"duration_s\":%.3f,\"tx_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}\n", n, d, n / d,
           n ? lat[n / 2] / 1e6 : 0, n ? lat[(size_t)((n - 1) * 0.99)] / 1e6 : 0);
    sqlite3_close(db);
    return 0;
}
