#include <sqlite3.h>

#include "CSQLiteSetup.h"

// sqlite3_config is variadic, which Swift cannot call.
int kata_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
