internal import CSQLite

/// An error reported by SQLite: its result code, its message and the SQL that failed.
///
/// Connections report extended result codes (`SQLITE_CONSTRAINT_UNIQUE`, not only
/// `SQLITE_CONSTRAINT`); the `is...` properties classify by the primary code, so a caller
/// can answer "disk full" or "try again later" without knowing every extended code.
public struct SQLiteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// SQLite's extended result code, e.g. 2067 (`SQLITE_CONSTRAINT_UNIQUE`).
    public let code: Int32
    /// SQLite's message for this failure (`sqlite3_errmsg`), e.g.
    /// `UNIQUE constraint failed: tasks.id`.
    public let message: String
    /// The SQL being prepared or run when SQLite failed, when there was one.
    public let sql: String?

    /// Wraps a result code with its message; the `code` may be primary or extended.
    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (the low byte of `code`), e.g. 19 (`SQLITE_CONSTRAINT`).
    public var primaryCode: Int32 { code & 0xff }

    /// The database or its disk is full (`SQLITE_FULL`).
    public var isFull: Bool { primaryCode == SQLITE_FULL }
    /// A write was refused: the connection or file is read-only (`SQLITE_READONLY*`).
    public var isReadOnly: Bool { primaryCode == SQLITE_READONLY }
    /// Another connection holds a lock, or a shared-cache table is locked
    /// (`SQLITE_BUSY*`, `SQLITE_LOCKED*`): the same work may succeed later.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    /// A constraint failed: UNIQUE, NOT NULL, CHECK, FOREIGN KEY... (`SQLITE_CONSTRAINT*`).
    public var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
    /// The operating system reported an I/O error (`SQLITE_IOERR*`).
    public var isIOError: Bool { primaryCode == SQLITE_IOERR }

    public var description: String {
        let kind = String(cString: sqlite3_errstr(code))
        let statement = sql.map { " in: \($0)" } ?? ""
        return "SQLite error \(code) (\(kind)): \(message)\(statement)"
    }

    /// The connection's last error: its extended code and message, read right after the
    /// failing call (the next call on the connection replaces them).
    init(code: Int32, database: OpaquePointer?, sql: String?) {
        let message = database.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        self.init(code: code, message: message ?? String(cString: sqlite3_errstr(code)), sql: sql)
    }

    /// The API was used in a way SQLite would call undefined (`SQLITE_MISUSE`); raised here
    /// instead of handing SQLite such a call.
    static func misuse(_ message: String, sql: String? = nil) -> SQLiteError {
        SQLiteError(code: SQLITE_MISUSE, message: message, sql: sql)
    }

    /// A parameter index or name the statement does not have (`SQLITE_RANGE`).
    static func range(_ message: String, sql: String?) -> SQLiteError {
        SQLiteError(code: SQLITE_RANGE, message: message, sql: sql)
    }
}
