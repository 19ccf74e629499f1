#ifndef EVENTIDE_CSQLITE_SHIM_H
#define EVENTIDE_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot
// import. These binders take it on the C side, so SQLite copies the bytes before
// returning and Swift's buffers need only live for the call.
static inline int eventide_sqlite3_bind_text(sqlite3_stmt *statement, int index,
                                             const char *text, sqlite3_uint64 length) {
    return sqlite3_bind_text64(statement, index, text, length, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static inline int eventide_sqlite3_bind_blob(sqlite3_stmt *statement, int index,
                                             const void *bytes, sqlite3_uint64 length) {
    return sqlite3_bind_blob64(statement, index, bytes, length, SQLITE_TRANSIENT);
}

// SQLITE_STATIC: SQLite reads the caller's bytes in place, for as long as the binding
// lasts; `SQLiteStatement.runBorrowing` keeps them alive and unbinds them before it ends.
static inline int eventide_sqlite3_bind_text_static(sqlite3_stmt *statement, int index,
                                                    const char *text, sqlite3_uint64 length) {
    return sqlite3_bind_text64(statement, index, text, length, SQLITE_STATIC, SQLITE_UTF8);
}

static inline int eventide_sqlite3_bind_blob_static(sqlite3_stmt *statement, int index,
                                                    const void *bytes, sqlite3_uint64 length) {
    return sqlite3_bind_blob64(statement, index, bytes, length, SQLITE_STATIC);
}

#endif
