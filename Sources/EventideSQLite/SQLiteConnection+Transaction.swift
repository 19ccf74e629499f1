extension SQLiteConnection {
    /// How a transaction takes its locks (`BEGIN DEFERRED`, `IMMEDIATE`, `EXCLUSIVE`).
    public enum TransactionKind: Sendable {
        /// Takes a read lock at the first read and the write lock at the first write; a
        /// write may then fail with `SQLITE_BUSY` if another connection wrote meanwhile.
        case deferred
        /// Takes the write lock at `BEGIN` (waiting up to `busyTimeout`), so the body never
        /// fails for want of it: the kind for a writer.
        case immediate
        /// Like `immediate`; outside WAL mode it also keeps readers out.
        case exclusive

        var begin: String {
            switch self {
            case .deferred: "BEGIN DEFERRED"
            case .immediate: "BEGIN IMMEDIATE"
            case .exclusive: "BEGIN EXCLUSIVE"
            }
        }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws
    /// or when the commit fails, then rethrows. Transactions do not nest: `BEGIN` inside
    /// one throws.
    ///
    /// It throws `body`'s errors and `SQLiteError`s from `BEGIN` and `COMMIT`, which is
    /// why it cannot be `rethrows`.
    public func transaction<Result>(_ kind: TransactionKind = .deferred, _ body: () throws -> Result) throws -> Result {
        try cached(kind.begin).run()
        let result: Result
        do {
            result = try body()
            try cached("COMMIT").run()
        } catch {
            rollBack()
            throw error
        }
        return result
    }

    /// Runs `body` inside the open transaction as a savepoint: released when it returns,
    /// rolled back to (its changes undone, the transaction still open) when it throws. Lets
    /// one transaction hold several independent pieces of work, each of which may fail
    /// alone.
    public func savepoint<Result>(_ body: () throws -> Result) throws -> Result {
        try cached("SAVEPOINT eventide").run()
        let result: Result
        do {
            result = try body()
        } catch {
            if isInTransaction {
                try? cached("ROLLBACK TO eventide").run()
                try? cached("RELEASE eventide").run()
            }
            throw error
        }
        try cached("RELEASE eventide").run()
        return result
    }

    /// Rolls back the open transaction, if any. Some errors (SQLITE_FULL, SQLITE_IOERR,
    /// SQLITE_NOMEM...) make SQLite roll back on its own, and then there is none.
    private func rollBack() {
        guard isInTransaction else { return }
        // A failed ROLLBACK leaves nothing better to do than report the error that caused it.
        try? cached("ROLLBACK").run()
    }
}
