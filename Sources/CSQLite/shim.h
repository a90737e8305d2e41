#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro around a cast Swift cannot import.
static inline sqlite3_destructor_type backfill_sqlite_transient(void) { return SQLITE_TRANSIENT; }

// Turns off SQLite's memory statistics (a global mutex around every allocation). Effective only before the
// library is initialized (the first open); later calls return SQLITE_MISUSE and change nothing.
static inline int backfill_sqlite_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
