internal import CSQLite

/// Binds one run's parameters for `SQLiteStatement.runBorrowing(_:)`: integers and NULLs
/// at once, text and blobs by copying their bytes into one buffer of the statement's,
/// which SQLite reads in place while the statement runs.
public struct SQLiteBorrowingBinder: ~Copyable {
    /// A text or blob parameter: its bytes in the buffer.
    @usableFromInline struct Borrowed {
        let index: Int32
        let start: Int
        let count: Int
        let isText: Bool

        @usableFromInline init(index: Int32, start: Int, count: Int, isText: Bool) {
            self.index = index
            self.start = start
            self.count = count
            self.isText = isText
        }
    }

    // Inlined into the caller's loop (one call per parameter of many rows): the binders
    // below are @inlinable, and so what they touch is @usableFromInline.
    @usableFromInline let statement: SQLiteStatement
    @usableFromInline let database: OpaquePointer
    @usableFromInline var bytes: [UInt8]
    @usableFromInline var borrowed: [Borrowed]

    init(statement: SQLiteStatement, database: OpaquePointer) {
        self.statement = statement
        self.database = database
        bytes = statement.borrowedBytes
        borrowed = statement.borrowedValues
        statement.borrowedBytes = []
        statement.borrowedValues = []
    }

    /// Binds an integer to parameter `index`, counted from 1.
    @inlinable public mutating func bindInteger(_ value: Int64, at index: Int) throws(SQLiteError) {
        try statement.checkBinding(statement.bindInt64Status(value, at: Int32(clamping: index)), index: index, database: database)
    }

    /// Binds an `Int` (as a 64-bit integer) to parameter `index`, counted from 1.
    @inlinable public mutating func bindInteger(_ value: Int, at index: Int) throws(SQLiteError) {
        try bindInteger(Int64(value), at: index)
    }

    /// Binds NULL to parameter `index`, counted from 1.
    @inlinable public mutating func bindNull(at index: Int) throws(SQLiteError) {
        try statement.checkBinding(statement.bindNullStatus(at: Int32(clamping: index)), index: index, database: database)
    }

    /// Binds UTF-8 text to parameter `index`, counted from 1, for this run.
    @inlinable public mutating func bindText(_ text: String, at index: Int) {
        let start = bytes.count
        if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: text.utf8)
        }
        borrowed.append(Borrowed(index: Int32(clamping: index), start: start, count: bytes.count - start, isText: true))
    }

    /// Binds bytes as a blob to parameter `index`, counted from 1, for this run; an empty
    /// array binds an empty blob, not NULL.
    @inlinable public mutating func bindBlob(_ blob: [UInt8], at index: Int) {
        let start = bytes.count
        bytes.append(contentsOf: blob)
        borrowed.append(Borrowed(index: Int32(clamping: index), start: start, count: blob.count, isText: false))
    }
}

extension SQLiteStatement {
    // The C calls of the inlined binders (CSQLite is an internal import), returning
    // SQLite's status for `checkBinding`.
    @usableFromInline func bindInt64Status(_ value: Int64, at index: Int32) -> Int32 { sqlite3_bind_int64(handle, index, value) }
    @usableFromInline func bindNullStatus(at index: Int32) -> Int32 { sqlite3_bind_null(handle, index) }

    /// Throws for a binder's status other than `SQLITE_OK`.
    @inlinable func checkBinding(_ status: Int32, index: Int, database db: OpaquePointer) throws(SQLiteError) {
        guard status != 0 else { return }  // SQLITE_OK
        try check(status, index: index, database: db)
    }

    /// Binds through `bind`, runs the statement to completion (ignoring any rows) and
    /// resets it, as `run` does, with its text and blob parameters read in place rather
    /// than copied by SQLite: such a copy is an allocation and a free per value, most of
    /// a parameter's cost in a statement of many rows. They are bound NULL again before
    /// this returns, so no binding outlives the bytes it reads; the integers and NULLs
    /// stay bound, as with `run`.
    public func runBorrowing(_ bind: (inout SQLiteBorrowingBinder) throws(SQLiteError) -> Void) throws(SQLiteError) {
        let db = try database.open(for: sql)
        reset()
        defer { reset() }
        var binder = SQLiteBorrowingBinder(statement: self, database: db)
        defer {
            binder.bytes.removeAll(keepingCapacity: true)
            binder.borrowed.removeAll(keepingCapacity: true)
            borrowedBytes = binder.bytes
            borrowedValues = binder.borrowed
        }
        try bind(&binder)
        // The buffer no longer grows: its address holds until the unbinding below.
        // (`withUnsafeBytes` rethrows untyped errors: the outcome comes out as a Result.)
        let outcome = binder.bytes.withUnsafeBytes { buffer -> Result<Void, SQLiteError> in
            defer {
                // Binding is refused between a step and a reset: reset first.
                reset()
                for value in binder.borrowed { sqlite3_bind_null(handle, value.index) }
            }
            do throws(SQLiteError) {
                for value in binder.borrowed {
                    let status: Int32
                    if let base = buffer.baseAddress, value.count > 0 {
                        let start = base + value.start
                        status = value.isText
                            ? eventide_sqlite3_bind_text(handle, value.index, start.assumingMemoryBound(to: CChar.self), UInt64(value.count), 0)
                            : eventide_sqlite3_bind_blob(handle, value.index, start, UInt64(value.count), 0)
                    } else {
                        // Empty: text binds "", a blob an empty blob (a null pointer binds NULL).
                        status = value.isText
                            ? eventide_sqlite3_bind_text(handle, value.index, "", 0, 1) : sqlite3_bind_zeroblob(handle, value.index, 0)
                    }
                    try check(status, index: Int(value.index), database: db)
                }
                while try step() {}
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }
}
