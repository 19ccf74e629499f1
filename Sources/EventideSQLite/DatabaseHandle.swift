internal import CSQLite

/// The one owner of a `sqlite3*`, shared by a connection and its statements.
///
/// Statements hold this, not their `SQLiteConnection`: the connection caches statements,
/// and a statement holding its connection would make a cycle that only `close()` breaks.
/// The connection closes it when it is closed or goes away; a statement that outlives it
/// then throws `SQLITE_MISUSE` instead of touching a closed database.
final class DatabaseHandle {
    /// nil once closed.
    private(set) var pointer: OpaquePointer?

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    /// The open database, or a misuse error naming `sql` once closed.
    func open(for sql: String?) throws(SQLiteError) -> OpaquePointer {
        guard let pointer else { throw .misuse("the connection is closed", sql: sql) }
        return pointer
    }

    /// `sqlite3_close_v2`: with statements still unfinalized the database lingers as a
    /// "zombie" until the last of them is finalized, rather than failing with SQLITE_BUSY.
    func close() throws(SQLiteError) {
        guard let pointer else { return }
        self.pointer = nil
        let status = sqlite3_close_v2(pointer)
        if status != SQLITE_OK { throw SQLiteError(code: status, database: nil, sql: nil) }
    }

    deinit { try? close() }
}
