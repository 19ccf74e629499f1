internal import CSQLite

/// A prepared statement: bind parameters, step through rows, reset, run again.
///
/// Reusing one statement (bind, `step()`, `reset()`) skips parsing and planning the SQL
/// again, which is most of the cost of a one-row insert; `SQLiteConnection.cached(_:)`
/// keeps such statements. Parameters are numbered from 1 (`?`, `?NNN`) or named (`:name`,
/// `@name`, `$name`); columns are numbered from 0.
///
/// Like its connection, a statement is used by one thread at a time and is not `Sendable`.
/// It is finalized when it goes away; once its connection is closed, binding and running
/// it throw `SQLITE_MISUSE`.
public final class SQLiteStatement {
    /// The SQL text it was prepared from.
    public let sql: String
    let handle: OpaquePointer
    let database: DatabaseHandle
    /// The bytes and places of `runBorrowing`'s text and blob parameters, kept between
    /// runs for their capacity (empty between runs).
    var borrowedBytes: [UInt8] = []
    var borrowedValues: [SQLiteBorrowingBinder.Borrowed] = []

    init(handle: OpaquePointer, sql: String, database: DatabaseHandle) {
        self.handle = handle
        self.sql = sql
        self.database = database
    }

    // Legal on a closed ("zombie") connection, and what lets it finally go.
    deinit { sqlite3_finalize(handle) }

    /// How many parameters the SQL has (the largest index).
    public var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

    /// How many columns each row has (0 for a statement that returns no rows).
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// The name of column `index` (its `AS` alias when it has one).
    public func columnName(at index: Int) -> String {
        sqlite3_column_name(handle, Int32(index)).map { String(cString: $0) } ?? ""
    }

    // MARK: Binding

    /// Binds `value` to parameter `index`, counted from 1. A binding stays until it is
    /// replaced or `clearBindings()` is called, `reset()` included.
    public func bind(_ value: SQLiteValue, at index: Int) throws(SQLiteError) {
        switch value {
        case .integer(let integer): try bindInteger(integer, at: index)
        case .real(let real): try bindReal(real, at: index)
        case .text(let text): try bindText(text, at: index)
        case .blob(let bytes): try bindBlob(bytes, at: index)
        case .null: try bindNull(at: index)
        }
    }

    // One binder per storage class: for statements run many times (a row per task, a
    // row per event), binding this way builds no `[SQLiteValue]` array and no enum value
    // per parameter. Like `bind(_:at:)`, each binding stays until replaced or cleared.

    /// Binds an integer to parameter `index`, counted from 1.
    public func bindInteger(_ value: Int64, at index: Int) throws(SQLiteError) {
        let db = try database.open(for: sql)
        try check(sqlite3_bind_int64(handle, Int32(clamping: index), value), index: index, database: db)
    }

    /// Binds an `Int` (as a 64-bit integer) to parameter `index`, counted from 1.
    public func bindInteger(_ value: Int, at index: Int) throws(SQLiteError) {
        try bindInteger(Int64(value), at: index)
    }

    /// Binds a double to parameter `index`, counted from 1.
    public func bindReal(_ value: Double, at index: Int) throws(SQLiteError) {
        let db = try database.open(for: sql)
        try check(sqlite3_bind_double(handle, Int32(clamping: index), value), index: index, database: db)
    }

    /// Binds UTF-8 text to parameter `index`, counted from 1 (SQLite copies it).
    public func bindText(_ text: String, at index: Int) throws(SQLiteError) {
        let db = try database.open(for: sql)
        let position = Int32(clamping: index)
        let status = text.withCString { eventide_sqlite3_bind_text(handle, position, $0, UInt64(text.utf8.count), 1) }
        try check(status, index: index, database: db)
    }

    /// Binds bytes as a blob to parameter `index`, counted from 1 (SQLite copies them);
    /// an empty array binds an empty blob, not NULL.
    public func bindBlob(_ bytes: [UInt8], at index: Int) throws(SQLiteError) {
        let db = try database.open(for: sql)
        let position = Int32(clamping: index)
        // A blob binder given a null pointer binds NULL, and an empty array has none.
        let status = bytes.isEmpty
            ? sqlite3_bind_zeroblob(handle, position, 0)
            : bytes.withUnsafeBytes { eventide_sqlite3_bind_blob(handle, position, $0.baseAddress, UInt64($0.count), 1) }
        try check(status, index: index, database: db)
    }

    /// Binds NULL to parameter `index`, counted from 1.
    public func bindNull(at index: Int) throws(SQLiteError) {
        let db = try database.open(for: sql)
        try check(sqlite3_bind_null(handle, Int32(clamping: index)), index: index, database: db)
    }

    /// Turns a binder's status into the error it means.
    @usableFromInline func check(_ status: Int32, index: Int, database db: OpaquePointer) throws(SQLiteError) {
        guard status != SQLITE_OK else { return }
        if status == SQLITE_RANGE {
            throw .range("no parameter \(index): the statement has \(parameterCount)", sql: sql)
        }
        throw SQLiteError(code: status, database: db, sql: sql)
    }

    /// Binds `value` to the parameter called `name`, prefix included (`":id"`, `"@id"`,
    /// `"$id"`).
    public func bind(_ value: SQLiteValue, named name: String) throws(SQLiteError) {
        try bind(value, at: parameterIndex(named: name))
    }

    /// Binds `values` to parameters 1...`values.count`; there must be one per parameter.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        guard values.count == parameterCount else {
            throw .range("\(values.count) values for \(parameterCount) parameters", sql: sql)
        }
        for (offset, value) in values.enumerated() { try bind(value, at: offset + 1) }
    }

    /// The index of the parameter called `name`, prefix included.
    public func parameterIndex(named name: String) throws(SQLiteError) -> Int {
        let index = sqlite3_bind_parameter_index(handle, name)
        guard index > 0 else { throw .range("no parameter named \(name)", sql: sql) }
        return Int(index)
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() { sqlite3_clear_bindings(handle) }

    // MARK: Running

    /// Runs the statement to its next row: true when a row is ready to read, false when it
    /// has finished. After it finishes (or throws), `reset()` before running it again.
    public func step() throws(SQLiteError) -> Bool {
        let db = try database.open(for: sql)
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let status: throw SQLiteError(code: status, database: db, sql: sql)
        }
    }

    /// Rewinds the statement so it can run again; bindings are kept. Also ends the read
    /// a half-stepped statement holds, which would otherwise keep its WAL snapshot (and a
    /// checkpoint from getting past it).
    public func reset() {
        // The result repeats the error of the last step(), which step() already threw.
        sqlite3_reset(handle)
    }

    /// Binds `values` (when given; otherwise keeps the current bindings), runs the
    /// statement to completion, ignoring any rows, and resets it.
    ///
    /// The cheap way to insert many rows: one cached statement, `run` per row, inside one
    /// `SQLiteConnection.transaction`.
    public func run(_ values: [SQLiteValue] = []) throws(SQLiteError) {
        reset()
        defer { reset() }
        if !values.isEmpty { try bind(values) }
        while try step() {}
    }

    /// Binds `values` (when given; otherwise keeps the current bindings), runs the
    /// statement and returns `row` applied to each row, then resets it. `row` reads the
    /// current row's columns from the statement it is given, and must not step or reset it.
    public func query<Row>(_ values: [SQLiteValue] = [], _ row: (SQLiteStatement) throws -> Row) throws -> [Row] {
        reset()
        defer { reset() }
        if !values.isEmpty { try bind(values) }
        var rows: [Row] = []
        while try step() { rows.append(try row(self)) }
        return rows
    }
}

// One thread at a time, like its connection.
@available(*, unavailable)
extension SQLiteStatement: Sendable {}
