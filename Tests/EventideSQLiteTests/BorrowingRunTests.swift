import EventideSQLite
import Testing

/// `SQLiteStatement.runBorrowing`: text and blobs read in place by SQLite, unbound before
/// the run ends.
@Suite struct BorrowingRunTests {
    @Test func rowsOfTextBlobsIntegersAndNullsComeBackAsBound() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, b BLOB, n)")
        let insert = try connection.prepare("INSERT INTO t (id, s, b, n) VALUES (?1, ?2, ?3, ?4), (?5, ?6, ?7, ?8)")
        // Lengths that differ from run to run: the buffer is reused, each run its own bytes.
        let runs: [[(String, [UInt8])]] = [
            [("héllo ✓", [0, 1, 255]), ("", [])],
            [(String(repeating: "long ", count: 200), Array(repeating: 7, count: 5_000)), ("nul\u{0}inside", [0])],
        ]
        var id: Int64 = 0
        for rows in runs {
            try insert.runBorrowing { binder throws(SQLiteError) in
                for (offset, (text, blob)) in rows.enumerated() {
                    id += 1
                    try binder.bindInteger(id, at: 4 * offset + 1)
                    binder.bindText(text, at: 4 * offset + 2)
                    binder.bindBlob(blob, at: 4 * offset + 3)
                    try binder.bindNull(at: 4 * offset + 4)
                }
            }
        }
        let stored = try connection.query("SELECT s, b, typeof(s), typeof(b), typeof(n) FROM t ORDER BY id") { row in
            (row.string(at: 0) ?? "?", row.blob(at: 1) ?? [], row.string(at: 2) ?? "", row.string(at: 3) ?? "", row.string(at: 4) ?? "")
        }
        #expect(stored.map(\.0) == runs.flatMap { $0.map(\.0) })
        #expect(stored.map(\.1) == runs.flatMap { $0.map(\.1) })
        // An empty text is text and an empty blob a blob, not NULL.
        #expect(stored.allSatisfy { $0.2 == "text" && $0.3 == "blob" && $0.4 == "null" })
    }

    @Test func borrowedParametersAreUnboundWhenTheRunEnds() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (id INTEGER, s TEXT)")
        let insert = try connection.prepare("INSERT INTO t (id, s) VALUES (?1, ?2)")
        try insert.runBorrowing { binder throws(SQLiteError) in
            try binder.bindInteger(1, at: 1)
            binder.bindText("borrowed", at: 2)
        }
        // Run again on the bindings left: the integer stayed, the text is NULL (its bytes
        // were the last run's).
        try insert.run()
        let rows = try connection.query("SELECT id, s FROM t ORDER BY rowid") { "\($0.int(at: 0)) \($0.string(at: 1) ?? "NULL")" }
        #expect(rows == ["1 borrowed", "1 NULL"])
    }

    @Test func aBadParameterThrowsAndLeavesNothingBorrowed() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (s TEXT)")
        let insert = try connection.prepare("INSERT INTO t (s) VALUES (?1)")
        #expect(throws: SQLiteError.self) {
            try insert.runBorrowing { binder throws(SQLiteError) in
                binder.bindText("fine", at: 1)
                binder.bindText("no such parameter", at: 2)
            }
        }
        #expect(try connection.query("SELECT count(*) FROM t") { $0.int(at: 0) } == [0])
        try insert.run()
        #expect(try connection.query("SELECT s IS NULL FROM t") { $0.int(at: 0) } == [1])
    }
}
