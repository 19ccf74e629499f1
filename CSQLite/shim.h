#ifndef EVENTIDE_CSQLITE_SHIM_H
#define EVENTIDE_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT and SQLITE_STATIC are macros casting to a function pointer, which
// Swift cannot import. These binders take them on the C side: with `copy`, SQLite copies
// the bytes before returning (Swift's buffers need only live for the call); without,
// it reads them in place for as long as the binding lasts (`SQLiteStatement.runBorrowing`
// keeps them alive and unbinds them before it ends).
static inline int eventide_sqlite3_bind_text(sqlite3_stmt *statement, int index, const char *text,
                                             sqlite3_uint64 length, int copy) {
    return sqlite3_bind_text64(statement, index, text, length, copy ? SQLITE_TRANSIENT : SQLITE_STATIC,
                               SQLITE_UTF8);
}

static inline int eventide_sqlite3_bind_blob(sqlite3_stmt *statement, int index, const void *bytes,
                                             sqlite3_uint64 length, int copy) {
    return sqlite3_bind_blob64(statement, index, bytes, length, copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
}

#endif
