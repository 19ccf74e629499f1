internal import CSQLite

/// A connection to an SQLite database file, the owner of its prepared statements.
///
/// **One thread at a time.** A connection is not `Sendable` and is opened with
/// `SQLITE_OPEN_NOMUTEX`: SQLite takes no lock of its own on it, so its owner must never
/// use it, or any of its statements, from two threads at once. It may move between
/// threads (handed over with `sending`), as long as the uses do not overlap. Concurrency
/// comes from several connections to one file: under WAL, one writer and any number of
/// readers, each on its own connection, run at the same time.
///
/// The database is closed by `close()` or when the connection goes away.
public final class SQLiteConnection {
    /// How the file is opened: SQLite's three legal combinations of flags.
    public enum Mode: Sendable {
        /// Reads only; the file must exist. Writes fail with `SQLITE_READONLY`.
        case readOnly
        /// Reads and writes; the file must exist.
        case readWrite
        /// Reads and writes, creating the file when it does not exist.
        case readWriteCreate
    }

    /// The path the connection was opened with.
    public let path: String
    private let database: DatabaseHandle
    private var statements: [String: SQLiteStatement] = [:]
    private var busyTimeoutValue: Duration = .zero

    /// Opens the database at `path` with extended result codes on.
    public init(path: String, mode: Mode = .readWriteCreate) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var pointer: OpaquePointer?
        let status = sqlite3_open_v2(path, &pointer, flags, nil)
        guard status == SQLITE_OK, let pointer else {
            // A handle comes back even when opening fails; it holds the message, then must be closed.
            let error = SQLiteError(code: status, database: pointer, sql: nil)
            sqlite3_close_v2(pointer)
            throw SQLiteError(code: error.code, message: "\(error.message): \(path)")
        }
        // SQLITE_OPEN_EXRESCODE covers what open_v2 returns; this covers every later call.
        sqlite3_extended_result_codes(pointer, 1)
        self.path = path
        self.database = DatabaseHandle(pointer)
    }

    deinit { try? close() }

    /// Closes the database: drops the statement cache and closes the file. Statements the
    /// caller still holds throw `SQLITE_MISUSE` from then on. Closing twice does nothing.
    public func close() throws(SQLiteError) {
        statements.removeAll()
        try database.close()
    }

    /// Whether `close()` has not been called yet.
    public var isOpen: Bool { database.pointer != nil }

    /// The version of the SQLite library linked in, e.g. `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    // MARK: SQL

    /// Runs `sql`, which may hold several statements separated by semicolons (a schema, a
    /// migration); rows they return are ignored. Takes no parameters: bind values with
    /// `run(_:_:)` or a statement instead of pasting them into SQL.
    public func execute(_ sql: String) throws(SQLiteError) {
        let db = try database.open(for: sql)
        let status = sqlite3_exec(db, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw SQLiteError(code: status, database: db, sql: sql) }
    }

    /// Prepares `sql`, a single statement, for the caller to own. Trailing semicolons,
    /// spaces and comments are allowed; a second statement is an error.
    /// `persistent`: the statement is kept and reused for long (SQLite then allocates it
    /// outside its small pool of short-lived memory), as `cached` statements are.
    public func prepare(_ sql: String, persistent: Bool = false) throws(SQLiteError) -> SQLiteStatement {
        try prepare(sql, flags: persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0)
    }

    /// The statement for `sql` from this connection's cache, prepared on first use, reset
    /// and with its bindings cleared.
    ///
    /// Every call with the same text returns the same statement, so the cache suits SQL
    /// written in the code; SQL built at run time (an `IN` list of varying length) should
    /// be `prepare`d instead. Resetting it stops a caller still stepping through its rows.
    public func cached(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let statement = statements[sql] {
            statement.reset()
            statement.clearBindings()
            return statement
        }
        // PERSISTENT: SQLite allocates it expecting long reuse, outside its lookaside pool.
        let statement = try prepare(sql, flags: UInt32(SQLITE_PREPARE_PERSISTENT))
        statements[sql] = statement
        return statement
    }

    /// Runs one statement with `values` bound to its parameters 1...n, ignoring any rows;
    /// the statement comes from the cache.
    public func run(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) {
        try cached(sql).run(values)
    }

    /// Runs one query with `values` bound to its parameters 1...n and returns `row`
    /// applied to each row (see `SQLiteStatement.query`); the statement comes from the cache.
    public func query<Row>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteStatement) throws -> Row) throws -> [Row] {
        try cached(sql).query(values, row)
    }

    private func prepare(_ sql: String, flags: UInt32) throws(SQLiteError) -> SQLiteStatement {
        let db = try database.open(for: sql)
        var handle: OpaquePointer?
        var extra: OpaquePointer?
        let status = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let status = sqlite3_prepare_v3(db, text, -1, flags, &handle, &tail)
            guard status == SQLITE_OK else { return status }
            // Whatever follows the first statement must hold no second one; preparing the
            // rest is how SQLite itself tells a comment or a lone `;` from a statement.
            while let rest = tail, rest.pointee != 0, extra == nil {
                let status = sqlite3_prepare_v2(db, rest, -1, &extra, &tail)
                guard status == SQLITE_OK else { return status }
                if tail == rest { break }
            }
            return SQLITE_OK
        }
        if extra != nil || status != SQLITE_OK {
            // The message first: it belongs to the failed call, and finalizing may replace it.
            let error = status != SQLITE_OK
                ? SQLiteError(code: status, database: db, sql: sql)
                : .misuse("more than one statement: use execute(_:) for scripts", sql: sql)
            sqlite3_finalize(handle)
            sqlite3_finalize(extra)
            throw error
        }
        guard let handle else { throw .misuse("no statement in the SQL", sql: sql) }
        return SQLiteStatement(handle: handle, sql: sql, database: database)
    }

    // MARK: State

    /// Rows changed by the last `INSERT`, `UPDATE` or `DELETE` on this connection.
    public var changes: Int {
        guard let database = database.pointer else { return 0 }
        return Int(sqlite3_changes64(database))
    }

    /// The rowid of the last row this connection inserted (0 before any).
    public var lastInsertRowID: Int64 {
        guard let database = database.pointer else { return 0 }
        return sqlite3_last_insert_rowid(database)
    }

    /// Whether the main database can only be read: opened read-only, or opened for
    /// writing on a file or file system SQLite could only open for reading (it falls back
    /// silently and stays so for the connection's life).
    public var isReadOnly: Bool {
        guard let database = database.pointer else { return true }
        return sqlite3_db_readonly(database, "main") == 1
    }

    /// Whether a transaction is open (`BEGIN` ran and neither `COMMIT` nor `ROLLBACK` yet).
    public var isInTransaction: Bool {
        guard let database = database.pointer else { return false }
        return sqlite3_get_autocommit(database) == 0
    }

    /// How long a statement waits, retrying, for another connection's lock before
    /// failing with `SQLITE_BUSY`; zero (the default) fails at once. Whole milliseconds.
    public var busyTimeout: Duration {
        get { busyTimeoutValue }
        set {
            let (seconds, attoseconds) = newValue.components
            let milliseconds = min(max(seconds, 0), Int64(Int32.max)) * 1000 + attoseconds / 1_000_000_000_000_000
            let clamped = Int32(clamping: max(0, milliseconds))
            busyTimeoutValue = .milliseconds(clamped)
            if let database = database.pointer { sqlite3_busy_timeout(database, clamped) }
        }
    }
}

// One thread at a time: see the type's documentation.
@available(*, unavailable)
extension SQLiteConnection: Sendable {}
