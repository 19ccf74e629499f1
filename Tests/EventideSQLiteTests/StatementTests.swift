import EventideSQLite
import Testing

@Suite struct StatementTests {
    @Test func everyBoundTypeComesBackAsStored() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory + "/types.sqlite")
            try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
            let values: [SQLiteValue] = [
                .integer(.min), .integer(.max), 0, SQLiteValue(-42),
                .real(3.25), .real(-0.5),
                "héllo ✓", "", .text("nul\u{0}inside"),
                .blob([0, 1, 255]), .blob([]), .blob([0]),
                nil,
            ]
            let insert = try connection.prepare("INSERT INTO t (id, v) VALUES (?, ?)")
            for (id, value) in values.enumerated() {
                try insert.run([SQLiteValue(id), value])
            }

            let rows = try connection.query("SELECT v, typeof(v) FROM t ORDER BY id") { row in
                (row.value(at: 0), row.string(at: 1))
            }
            #expect(rows.map(\.0) == values)
            // An empty blob is stored as a blob, not as NULL.
            #expect(rows.map(\.1) == [
                "integer", "integer", "integer", "integer", "real", "real",
                "text", "text", "text", "blob", "blob", "blob", "null",
            ])
        }
    }

    @Test func typedAccessorsReadEachColumn() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, e BLOB, n)")
        try connection.run("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", [7, 1.5, "seven", .blob([7, 0, 7]), .blob([]), nil])
        let statement = try connection.prepare("SELECT i, r, s, b, e, n FROM t")
        #expect(statement.columnCount == 6)
        #expect(statement.columnName(at: 2) == "s")
        #expect(try statement.step())
        #expect(statement.int64(at: 0) == 7)
        #expect(statement.int(at: 0) == 7)
        #expect(statement.double(at: 1) == 1.5)
        #expect(statement.string(at: 2) == "seven")
        #expect(statement.blob(at: 3) == [7, 0, 7])
        #expect(statement.blob(at: 4) == [])
        #expect(!statement.isNull(at: 4))
        #expect(statement.isNull(at: 5))
        #expect(statement.string(at: 5) == nil)
        #expect(statement.blob(at: 5) == nil)
        #expect(statement.int64(at: 5) == 0)
        #expect(try !statement.step())
    }

    @Test func namedParameters() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (id INTEGER, name TEXT, payload BLOB)")
        let insert = try connection.prepare("INSERT INTO t VALUES (:id, @name, $payload)")
        #expect(insert.parameterCount == 3)
        #expect(try insert.parameterIndex(named: "@name") == 2)
        try insert.bind(.blob([1, 2]), named: "$payload")
        try insert.bind("ada", named: "@name")
        try insert.bind(.integer(1), named: ":id")
        try insert.run()

        let error = #expect(throws: SQLiteError.self) { try insert.bind(1, named: ":missing") }
        #expect(error?.primaryCode == 25)  // SQLITE_RANGE

        // A name used twice is one parameter.
        let select = try connection.prepare("SELECT name FROM t WHERE id = :id AND :id > 0")
        #expect(select.parameterCount == 1)
        try select.bind(1, named: ":id")
        #expect(try select.query { $0.string(at: 0) } == ["ada"])
        #expect(try connection.query("SELECT payload FROM t") { $0.blob(at: 0) } == [[1, 2]])
    }

    @Test func bindingChecksIndexesAndCounts() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        let statement = try connection.prepare("SELECT ?, ?")
        let index = #expect(throws: SQLiteError.self) { try statement.bind(1, at: 3) }
        #expect(index?.primaryCode == 25)  // SQLITE_RANGE
        #expect(throws: SQLiteError.self) { try statement.run([1]) }
        #expect(try statement.query([1, "two"]) { [$0.value(at: 0), $0.value(at: 1)] } == [[1, "two"]])
    }

    @Test func aBindingStaysUntilClearedOrReplaced() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        let statement = try connection.prepare("SELECT ?1")
        try statement.bind(5, at: 1)
        #expect(try statement.query { $0.int(at: 0) } == [5])
        #expect(try statement.query { $0.int(at: 0) } == [5])
        statement.clearBindings()
        #expect(try statement.query { $0.isNull(at: 0) } == [true])
    }

    @Test func typedBindersStoreWhatTheValueBinderStores() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (i, j, r, s, e, b, z, n)")
        let insert = try connection.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        try insert.bindInteger(Int64.min, at: 1)
        try insert.bindInteger(42, at: 2)
        try insert.bindReal(-0.5, at: 3)
        try insert.bindText("héllo ✓", at: 4)
        try insert.bindText("", at: 5)
        try insert.bindBlob([0, 1, 255], at: 6)
        try insert.bindBlob([], at: 7)
        try insert.bindNull(at: 8)
        try insert.run()
        let rows = try connection.query("SELECT i, j, r, s, e, b, z, n, typeof(e), typeof(z) FROM t") { row in
            (0..<10).map { row.value(at: $0) }
        }
        #expect(rows == [[.integer(.min), 42, -0.5, "héllo ✓", "", .blob([0, 1, 255]), .blob([]), nil, "text", "blob"]])

        let range = #expect(throws: SQLiteError.self) { try insert.bindInteger(1, at: 9) }
        #expect(range?.primaryCode == 25)  // SQLITE_RANGE
        try connection.close()
        let closed = #expect(throws: SQLiteError.self) { try insert.bindText("late", at: 1) }
        #expect(closed?.primaryCode == 21)  // SQLITE_MISUSE
    }

    @Test func aUniqueViolationIsAConstraintError() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory + "/unique.sqlite")
            try connection.execute("CREATE TABLE t (key TEXT UNIQUE)")
            try connection.run("INSERT INTO t VALUES (?)", ["a"])
            let error = #expect(throws: SQLiteError.self) { try connection.run("INSERT INTO t VALUES (?)", ["a"]) }
            #expect(error?.isConstraint == true)
            #expect(error?.code == 2067)  // SQLITE_CONSTRAINT_UNIQUE: extended codes are on
            #expect(error?.primaryCode == 19)
            #expect(error?.message == "UNIQUE constraint failed: t.key")
            #expect(error?.sql == "INSERT INTO t VALUES (?)")
            #expect(error?.isBusy == false)
            // The statement failed, the connection did not: the same cached statement runs again.
            try connection.run("INSERT INTO t VALUES (?)", ["b"])
            #expect(try connection.query("SELECT count(*) FROM t") { $0.int(at: 0) } == [2])
        }
    }

    @Test func tenThousandRowsInOneTransactionWithOneStatement() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory + "/batch.sqlite")
            _ = try connection.setJournalMode(.wal)
            try connection.setSynchronous(.full)
            try connection.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload BLOB NOT NULL)")
            let payload = [UInt8](repeating: 0xab, count: 64)
            try connection.transaction(.immediate) {
                let insert = try connection.cached("INSERT INTO tasks (kind, payload) VALUES (?, ?)")
                for number in 0..<10_000 {
                    try insert.run([.text("kind-\(number % 7)"), .blob(payload)])
                }
            }
            #expect(try connection.query("SELECT count(*), sum(length(payload)) FROM tasks") { [$0.int(at: 0), $0.int(at: 1)] } == [[10_000, 640_000]])
        }
    }
}
