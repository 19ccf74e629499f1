import EventideSQLite
import Testing

@Suite struct TransactionTests {
    struct Abandoned: Error {}

    @Test func aTransactionCommitsWhatItsBodyWrote() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER)")
        let inserted = try connection.transaction(.immediate) {
            #expect(connection.isInTransaction)
            try connection.run("INSERT INTO t VALUES (1), (2)")
            return connection.changes
        }
        #expect(inserted == 2)
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT count(*) FROM t") { $0.int(at: 0) } == [2])
    }

    @Test func aThrowingBodyRollsBack() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory + "/rollback.sqlite")
            try connection.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            #expect(throws: Abandoned.self) {
                try connection.transaction(.immediate) {
                    try connection.run("INSERT INTO t VALUES (2)")
                    try connection.run("DELETE FROM t WHERE x = 1")
                    throw Abandoned()
                }
            }
            #expect(!connection.isInTransaction)
            #expect(try connection.query("SELECT x FROM t") { $0.int(at: 0) } == [1])
        }
    }

    @Test func transactionsDoNotNest() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (x INTEGER)")
        #expect(throws: SQLiteError.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (1)")
                try connection.transaction {}
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT count(*) FROM t") { $0.int(at: 0) } == [0])
    }

    @Test func aReaderSeesCommittedRowsOnlyUnderWAL() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/wal.sqlite"
            let writer = try SQLiteConnection(path: path)
            #expect(try writer.setJournalMode(.wal) == .wal)
            try writer.setSynchronous(.full)
            try writer.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")

            let reader = try SQLiteConnection(path: path, mode: .readOnly)
            func readerCount() throws -> [Int] { try reader.query("SELECT count(*) FROM t") { $0.int(at: 0) } }
            #expect(try readerCount() == [1])

            try writer.transaction(.immediate) {
                try writer.run("INSERT INTO t VALUES (2), (3)")
                // The writer holds the write lock; under WAL the reader is not blocked and
                // sees the last commit.
                #expect(try readerCount() == [1])
            }
            #expect(try readerCount() == [3])

            #expect(throws: Abandoned.self) {
                try writer.transaction(.immediate) {
                    try writer.run("DELETE FROM t")
                    throw Abandoned()
                }
            }
            #expect(try readerCount() == [3])
        }
    }

    @Test func aSecondWriterIsBusy() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/busy.sqlite"
            let first = try SQLiteConnection(path: path)
            #expect(try first.setJournalMode(.wal) == .wal)
            try first.execute("CREATE TABLE t (x INTEGER)")
            let second = try SQLiteConnection(path: path)
            try first.transaction(.immediate) {
                let error = #expect(throws: SQLiteError.self) {
                    try second.transaction(.immediate) { try second.run("INSERT INTO t VALUES (1)") }
                }
                #expect(error?.isBusy == true)
                #expect(error?.sql == "BEGIN IMMEDIATE")
            }
            #expect(!second.isInTransaction)
            try second.transaction(.immediate) { try second.run("INSERT INTO t VALUES (1)") }
        }
    }

    @Test func aFullDatabaseIsFullAndRollsBack() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory + "/full.sqlite")
            try connection.execute("CREATE TABLE t (b BLOB); INSERT INTO t VALUES (x'00');")
            // The file may not grow past its current pages plus a few: a stand-in for a full disk.
            let pages = try connection.query("PRAGMA page_count") { $0.int(at: 0) }[0]
            try connection.execute("PRAGMA max_page_count = \(pages + 2)")
            let error = #expect(throws: SQLiteError.self) {
                try connection.transaction(.immediate) {
                    for _ in 0..<10 { try connection.run("INSERT INTO t VALUES (?)", [.blob(Array(repeating: 1, count: 4096))]) }
                }
            }
            #expect(error?.isFull == true)
            #expect(!connection.isInTransaction)
            #expect(try connection.query("SELECT count(*) FROM t") { $0.int(at: 0) } == [1])
        }
    }
}
