internal import CSQLite

// Reading the current row, after step() returned true. Columns are numbered from 0.
// SQLite converts between storage classes on read (text "12" reads as the integer 12).
extension SQLiteStatement {
    /// Whether column `index` is NULL.
    public func isNull(at index: Int) -> Bool {
        sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL
    }

    /// Column `index` as an integer; NULL reads as 0.
    public func int64(at index: Int) -> Int64 {
        sqlite3_column_int64(handle, Int32(index))
    }

    /// Column `index` as an `Int`; NULL reads as 0.
    public func int(at index: Int) -> Int {
        Int(sqlite3_column_int64(handle, Int32(index)))
    }

    /// Column `index` as a double; NULL reads as 0.
    public func double(at index: Int) -> Double {
        sqlite3_column_double(handle, Int32(index))
    }

    /// Column `index` as text, or nil when it is NULL.
    public func string(at index: Int) -> String? {
        let column = Int32(index)
        // The pointer first, then its length: asking for the length first may convert twice.
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes, or nil when it is NULL; an empty blob reads as `[]`.
    public func blob(at index: Int) -> [UInt8]? {
        let column = Int32(index)
        // An empty blob and NULL both come back as a null pointer; only the type tells them apart.
        if sqlite3_column_type(handle, column) == SQLITE_NULL { return nil }
        guard let bytes = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Column `index` in the storage class SQLite holds it in.
    public func value(at index: Int) -> SQLiteValue {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_INTEGER: .integer(int64(at: index))
        case SQLITE_FLOAT: .real(double(at: index))
        case SQLITE_TEXT: string(at: index).map(SQLiteValue.text) ?? .null
        case SQLITE_BLOB: blob(at: index).map(SQLiteValue.blob) ?? .null
        default: .null
        }
    }
}
