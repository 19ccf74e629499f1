import EventideSQLite
import Testing

@Suite struct ConnectionTests {
    @Test func walAndSynchronousReadBack() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/wal.sqlite"
            let connection = try SQLiteConnection(path: path)
            #expect(try connection.journalMode() == .delete)
            #expect(try connection.setJournalMode(.wal) == .wal)
            #expect(try connection.journalMode() == .wal)
            try connection.setSynchronous(.full)
            #expect(try connection.synchronous() == .full)
            try connection.setSynchronous(.normal)
            #expect(try connection.synchronous() == .normal)

            // WAL belongs to the file; synchronous to each connection.
            let other = try SQLiteConnection(path: path)
            #expect(try other.journalMode() == .wal)
            try other.setSynchronous(.full)
            #expect(try connection.synchronous() == .normal)
        }
    }

    @Test func anInMemoryDatabaseReportsTheModeItKept() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        #expect(try connection.setJournalMode(.wal) == .memory)
    }

    @Test func openingAMissingFileWithoutCreateFails() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/missing.sqlite"
            let error = #expect(throws: SQLiteError.self) { try SQLiteConnection(path: path, mode: .readWrite) }
            #expect(error?.primaryCode == 14)  // SQLITE_CANTOPEN
            #expect(error?.message.hasSuffix(path) == true)
        }
    }

    @Test func writingThroughAReadOnlyConnectionIsReadOnly() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/read-only.sqlite"
            let writer = try SQLiteConnection(path: path)
            try writer.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            try writer.close()

            let reader = try SQLiteConnection(path: path, mode: .readOnly)
            #expect(try reader.query("SELECT x FROM t") { $0.int(at: 0) } == [1])
            let error = #expect(throws: SQLiteError.self) { try reader.run("INSERT INTO t VALUES (2)") }
            #expect(error?.isReadOnly == true)
            #expect(error?.isConstraint == false)
            #expect(error?.sql == "INSERT INTO t VALUES (2)")
        }
    }

    @Test func theCacheReturnsOneStatementPerSQLText() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        let first = try connection.cached("SELECT 1")
        #expect(try connection.cached("SELECT 1") === first)
        #expect(try connection.cached("SELECT 2") !== first)
        #expect(try connection.prepare("SELECT 1") !== first)
    }

    @Test func aCachedStatementComesBackResetWithNoBindings() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);")
        let select = try connection.cached("SELECT x FROM t WHERE x >= ?1 ORDER BY x")
        try select.bind(2, at: 1)
        #expect(try select.step())
        #expect(select.int(at: 0) == 2)

        let again = try connection.cached("SELECT x FROM t WHERE x >= ?1 ORDER BY x")
        #expect(try !again.step())  // x >= NULL: no rows, from the start
    }

    @Test func prepareTakesOneStatement() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        _ = try connection.prepare("SELECT 1;  -- a comment\n ; ")
        let error = #expect(throws: SQLiteError.self) { try connection.prepare("SELECT 1; SELECT 2") }
        #expect(error?.primaryCode == 21)  // SQLITE_MISUSE
        #expect(throws: SQLiteError.self) { try connection.prepare("  -- nothing ") }
        let syntax = #expect(throws: SQLiteError.self) { try connection.prepare("SELEC 1") }
        #expect(syntax?.primaryCode == 1)  // SQLITE_ERROR
        #expect(syntax?.message.contains("syntax error") == true)
        let second = #expect(throws: SQLiteError.self) { try connection.prepare("SELECT 1; SELEC 2") }
        #expect(second?.message.contains("syntax error") == true)
    }

    @Test func aStatementOutlivingItsConnectionThrows() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        let statement = try connection.prepare("SELECT 1")
        try connection.close()
        try connection.close()
        #expect(!connection.isOpen)
        let error = #expect(throws: SQLiteError.self) { try statement.step() }
        #expect(error?.primaryCode == 21)  // SQLITE_MISUSE
        #expect(throws: SQLiteError.self) { try connection.execute("SELECT 1") }
    }

    @Test func changesAndLastInsertRowID() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)")
        try connection.run("INSERT INTO t (x) VALUES (?1)", [10])
        #expect(connection.lastInsertRowID == 1)
        try connection.run("INSERT INTO t (x) VALUES (?1)", [20])
        #expect(connection.lastInsertRowID == 2)
        try connection.run("UPDATE t SET x = x + 1")
        #expect(connection.changes == 2)
    }

    @Test func busyTimeoutKeepsWholeMilliseconds() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        #expect(connection.busyTimeout == .zero)
        connection.busyTimeout = .milliseconds(1500) + .microseconds(700)
        #expect(connection.busyTimeout == .milliseconds(1500))
        #expect(try connection.query("PRAGMA busy_timeout") { $0.int(at: 0) } == [1500])
    }
}
