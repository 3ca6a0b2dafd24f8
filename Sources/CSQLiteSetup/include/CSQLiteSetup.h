#ifndef KATA_CSQLITESETUP_H
#define KATA_CSQLITESETUP_H

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS): with them on, every allocation and
/// free of every connection takes one process-wide mutex to count bytes no one reads. Must run before
/// SQLite initializes (before the first connection opens); returns SQLITE_OK, or SQLITE_MISUSE when
/// SQLite was already initialized (nothing changes then).
int kata_sqlite_disable_memstatus(void);

#endif
