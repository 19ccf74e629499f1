extension SQLiteConnection {
    /// How the database keeps its rollback journal (`PRAGMA journal_mode`).
    public enum JournalMode: String, Sendable {
        /// The default: a rollback journal deleted at each commit.
        case delete
        /// A rollback journal truncated to zero at each commit.
        case truncate
        /// A rollback journal whose header is zeroed at each commit.
        case persist
        /// The journal kept in memory (a crash mid-transaction may corrupt the file).
        case memory
        /// A write-ahead log: readers and one writer run at the same time.
        case wal
        /// No journal: no rollback, no atomic commit.
        case off
    }

    /// When SQLite waits for the disk (`PRAGMA synchronous`).
    public enum Synchronous: Int, Sendable {
        /// Never: a power loss may corrupt the database.
        case off = 0
        /// Under WAL, at checkpoints only: a power loss may lose the last commits but not
        /// corrupt the database.
        case normal = 1
        /// At every commit: a committed transaction survives a power loss.
        case full = 2
        /// Like `full`, and also syncs the directory after deleting a rollback journal.
        case extra = 3
    }

    /// Switches the journal mode and returns the mode now in effect, which may differ from
    /// the one asked for: an in-memory database cannot use WAL, and a read-only connection
    /// cannot change the mode. WAL is a property of the file and stays on for later
    /// connections.
    public func setJournalMode(_ mode: JournalMode) throws(SQLiteError) -> JournalMode {
        try readJournalMode("PRAGMA journal_mode = \(mode.rawValue)")
    }

    /// The journal mode in effect.
    public func journalMode() throws(SQLiteError) -> JournalMode {
        try readJournalMode("PRAGMA journal_mode")
    }

    /// Sets when this connection waits for the disk. The setting belongs to the
    /// connection, not the file: each connection sets its own.
    public func setSynchronous(_ level: Synchronous) throws(SQLiteError) {
        try execute("PRAGMA synchronous = \(level.rawValue)")
    }

    /// When this connection waits for the disk.
    public func synchronous() throws(SQLiteError) -> Synchronous {
        let sql = "PRAGMA synchronous"
        let statement = try prepare(sql)
        guard try statement.step(), let level = Synchronous(rawValue: statement.int(at: 0)) else {
            throw .misuse("unexpected answer to \(sql)", sql: sql)
        }
        return level
    }

    private func readJournalMode(_ sql: String) throws(SQLiteError) -> JournalMode {
        let statement = try prepare(sql)
        guard try statement.step(), let name = statement.string(at: 0), let mode = JournalMode(rawValue: name.lowercased()) else {
            throw .misuse("unexpected answer to \(sql)", sql: sql)
        }
        return mode
    }
}
