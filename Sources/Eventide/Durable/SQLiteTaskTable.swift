import EventideSQLite

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The durable-task table in one SQLite database, operated through one connection:
/// the SQL behind the SQLite task store. Every method runs synchronously on the calling
/// thread (the store's writer thread, never a loop thread) and changes rows in batches,
/// each batch in one transaction: group commit is the caller's batching.
///
/// Times are milliseconds since the Unix epoch, passed in (the store's clock), so the
/// rules can be tested without waiting.
package final class SQLiteTaskTable {
    package let connection: SQLiteConnection
    /// Rows that count against `maxQueued`, kept as rows change (nil: count them again).
    private var unfinishedCount: Int?
    /// The paused queues (`eventide_queues`), read at open: this connection is the only
    /// writer, so it knows every change.
    private(set) var paused: Set<String> = []

    /// The schema version this code writes; `migrate` brings older files up to it.
    package static let schemaVersion = 5

    /// The states that count against `maxQueued` and hold a unique key, as SQL: one
    /// comparison of the state's code (see `DurableTaskState.sqliteCode`).
    ///
    /// SQLite tests the partial indexes' WHERE clauses on every row it inserts or
    /// updates. A query uses a partial index only when its WHERE repeats the index's
    /// expression, so queries use these same strings.
    package static let unfinishedStates = "(state < \(DurableTaskState.completed.sqliteCode))"
    /// The states a claim takes tasks from, as SQL (see `unfinishedStates`).
    package static let dueStates = "(state < \(DurableTaskState.running.sqliteCode))"

    /// The task table's indexes (created by `migrate`; version 5 rebuilt them).
    private static let indexes = """
        CREATE UNIQUE INDEX IF NOT EXISTS eventide_tasks_unique_key ON eventide_tasks (unique_key)
            WHERE unique_key IS NOT NULL AND \(unfinishedStates);
        CREATE INDEX IF NOT EXISTS eventide_tasks_due ON eventide_tasks (queue, priority, run_at, id)
            WHERE \(dueStates);
        CREATE INDEX IF NOT EXISTS eventide_tasks_due_any_queue ON eventide_tasks (priority, run_at, id)
            WHERE \(dueStates);
        CREATE INDEX IF NOT EXISTS eventide_tasks_finished ON eventide_tasks (state, finished_at)
            WHERE finished_at IS NOT NULL;
        """

    /// The task table's columns, as `CREATE TABLE`.
    private static func createTasks(named name: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(name) (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            queue TEXT NOT NULL,
            arguments BLOB NOT NULL,
            state INTEGER NOT NULL,
            priority INTEGER NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            unique_key TEXT,
            created_at INTEGER NOT NULL,
            run_at INTEGER NOT NULL,
            attempted_at INTEGER,
            finished_at INTEGER,
            worker TEXT,
            errors TEXT NOT NULL DEFAULT '[]',
            timeout_ms INTEGER
        );
        """
    }

    /// Version 5: copies the tasks into a table whose state is a code (a column's type
    /// cannot change in place), with the same ids, and keeps the AUTOINCREMENT sequence
    /// where it was (ids of deleted tasks are never given again); then its indexes.
    private func rebuildWithStateCodes() throws {
        let columns = "id, kind, queue, arguments, state, priority, attempt, max_attempts, unique_key, created_at, run_at, "
            + "attempted_at, finished_at, worker, errors, timeout_ms"
        let copied = columns.replacing("state,", with: "\(DurableTaskState.sqliteCode(fromName: "state")),")
        try connection.execute("""
            \(Self.createTasks(named: "eventide_tasks_v5"))
            INSERT INTO eventide_tasks_v5 (\(columns)) SELECT \(copied) FROM eventide_tasks;
            DELETE FROM sqlite_sequence WHERE name = 'eventide_tasks_v5';
            INSERT INTO sqlite_sequence (name, seq)
                SELECT 'eventide_tasks_v5', max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'eventide_tasks'), 0),
                                                coalesce((SELECT max(id) FROM eventide_tasks), 0));
            DROP TABLE eventide_tasks;
            ALTER TABLE eventide_tasks_v5 RENAME TO eventide_tasks;
            \(Self.indexes)
            """)
    }

    /// When a commit counts as durable (SQLite's `synchronous` in WAL mode).
    package enum Durability: Sendable {
        /// Each commit is fsynced before it returns: survives a power cut (default).
        case full
        /// Commits reach the WAL file but are fsynced at checkpoints: survives a crash of
        /// the process, not of the machine; several times the commits per second.
        case normal
    }

    /// Opens (creating) the database at `path` in WAL mode with `durability`.
    package init(path: String, durability: Durability = .full) throws {
        do {
            connection = try SQLiteConnection(path: path, mode: .readWriteCreate)
            connection.busyTimeout = .seconds(5)
            // SQLite opens a file it cannot write read-only without a word, for good: a
            // store that could never take a task must not start.
            guard !connection.isReadOnly else { throw SQLiteTaskTableError.cannotOpen(path: path, reason: "read-only") }
            _ = try connection.setJournalMode(.wal)
            // The log keeps the size of its largest transaction unless told otherwise.
            try connection.execute("PRAGMA journal_size_limit = 16777216")
        } catch let error as SQLiteError {
            throw SQLiteTaskTableError.cannotOpen(path: path, reason: "\(error)")
        }
        try connection.setSynchronous(durability == .full ? .full : .normal)
        try migrate()
    }

    /// A read-only view of the store at `path` (made by a writer already): queries only,
    /// on a connection of its own, so they run beside the writer's transactions (WAL).
    package init(readingFrom path: String) throws {
        connection = try SQLiteConnection(path: path, mode: .readOnly)
        connection.busyTimeout = .seconds(5)
    }

    /// `body` as one unit of work: a savepoint inside the caller's open transaction (the
    /// store's turn, which commits many units with one fsync), else a transaction of its own.
    private func write<Result>(_ body: () throws -> Result) throws -> Result {
        if connection.isInTransaction { return try connection.savepoint(body) }
        return try connection.transaction(.immediate, body)
    }

    /// Creates the table and its indexes when missing (idempotent).
    private func migrate() throws {
        try write {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS eventide_schema (version INTEGER NOT NULL);
                \(Self.createTasks(named: "eventide_tasks"))
                \(Self.indexes)
                CREATE TABLE IF NOT EXISTS eventide_periodic (
                    name TEXT PRIMARY KEY,
                    schedule TEXT NOT NULL,
                    next_run_at INTEGER
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS eventide_queues (
                    name TEXT PRIMARY KEY,
                    paused INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                """)
            let versions = try connection.query("SELECT version FROM eventide_schema") { $0.int(at: 0) }
            if versions.isEmpty {
                try connection.run("INSERT INTO eventide_schema (version) VALUES (?)", [SQLiteValue(Self.schemaVersion)])
            } else if let version = versions.first, version > Self.schemaVersion {
                throw SQLiteTaskTableError.newerSchema(found: version, supported: Self.schemaVersion)
            } else if let version = versions.first, version < Self.schemaVersion {
                // Version 2: a task's own timeout (`DurableTaskOptions.timeout`).
                if version < 2 { try connection.execute("ALTER TABLE eventide_tasks ADD COLUMN timeout_ms INTEGER") }
                // Versions 3 and 4: eventide_periodic and eventide_queues (created above).
                // Version 5: the state as a code, which rebuilds the table and its indexes.
                if version < 5 { try rebuildWithStateCodes() }
                try connection.run("UPDATE eventide_schema SET version = ?", [SQLiteValue(Self.schemaVersion)])
            }
            paused = Set(try connection.query("SELECT name FROM eventide_queues WHERE paused = 1") { $0.string(at: 0) ?? "" })
        }
    }

    /// Pauses (no task of `queue` starts: none is claimed, none stored running) or resumes
    /// `queue`.
    package func setPaused(_ isPaused: Bool, queue: String) throws {
        try write {
            try connection.run(
                "INSERT INTO eventide_queues (name, paused) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET paused = ?2",
                [.text(queue), .integer(isPaused ? 1 : 0)])
        }
        if isPaused { paused.insert(queue) } else { paused.remove(queue) }
    }

    /// Stores `tasks` in one transaction, in order. A task whose unique key is held is
    /// not stored; its outcome names the holder (the unique index decides, not a check
    /// before the insert). A due task with `claimedBy` is stored `running` for it.
    ///
    /// Ids are given here, in order, from the table's AUTOINCREMENT sequence: the write
    /// lock is held (no other connection, in this process or another, inserts meanwhile),
    /// and inserting an id above the sequence moves it on, so ids still never repeat.
    /// Knowing the ids lets tasks without a unique key (which cannot conflict) go in
    /// statements of many rows: SQLite's cost per statement (its start and end, the
    /// sequence's update) was most of a one-row insert's.
    package func insert(_ tasks: [NewDurableTask], now: Int64) throws -> [EnqueueOutcome] {
        try write {
            var nextID = try lastUsedID() + 1
            var outcomes: [EnqueueOutcome] = []
            outcomes.reserveCapacity(tasks.count)
            var keyless: [InsertRow] = []
            keyless.reserveCapacity(tasks.count)
            for (index, task) in tasks.enumerated() {
                let claimed = task.claimedBy != nil && task.runAt <= now && !paused.contains(task.queue)
                let row = InsertRow(id: nextID, index: index, claimed: claimed)
                nextID += 1
                if task.uniqueKey == nil {
                    keyless.append(row)
                    outcomes.append(claimed ? .claimed(row.id) : .inserted(row.id))
                } else {
                    outcomes.append(try insertKeyed(row, of: tasks, now: now))
                }
            }
            var start = 0
            while start < keyless.count {
                // Statements of 64, 32, ... 1 rows: a few cached statements cover any count.
                let size = Self.chunkSizes.first { $0 <= keyless.count - start } ?? 1
                try insertKeyless(keyless[start..<start + size], of: tasks, now: now)
                start += size
            }
            adjustUnfinished(by: outcomes.count { if case .duplicate = $0 { false } else { true } })
            return outcomes
        }
    }

    /// The id a task (at `index` of the tasks inserted) is stored with, and whether it is
    /// stored running for its worker.
    private struct InsertRow {
        let id: Int64
        let index: Int
        let claimed: Bool
    }

    /// The state a row is stored in, as SQL over the parameters that hold its claim flag
    /// (1: stored running for its worker), its due time and the store's time: running when
    /// claimed, else scheduled until due, else available.
    private static func stateSQL(claimed: String, runAt: String, now: String) -> String {
        "CASE WHEN \(claimed) = 1 THEN \(DurableTaskState.running.sqlite) "
            + "WHEN \(runAt) > \(now) THEN \(DurableTaskState.scheduled.sqlite) ELSE \(DurableTaskState.available.sqlite) END"
    }

    /// The highest id ever given (the AUTOINCREMENT sequence, or the table's highest id
    /// when the sequence has no row yet).
    private func lastUsedID() throws -> Int64 {
        let statement = try connection.cached("""
            SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'eventide_tasks'), 0),
                       coalesce((SELECT max(id) FROM eventide_tasks), 0))
            """)
        return try statement.query { $0.int64(at: 0) }.first ?? 0
    }

    /// The row sizes of the multi-row insert statements, largest first.
    private static let chunkSizes = [64, 32, 16, 8, 4, 2, 1]
    /// The multi-row insert statements by size (see `chunkSizes`), prepared on first use.
    private var keylessStatements: [Int: SQLiteStatement] = [:]
    /// Parameters per row of a multi-row insert (`now` is ?1, shared).
    private static let keylessParameters = 10

    /// Inserts rows without a unique key (they cannot conflict: their ids are new and the
    /// unique index holds only keys) in one statement.
    private func insertKeyless(_ rows: ArraySlice<InsertRow>, of tasks: [NewDurableTask], now: Int64) throws {
        let statement = try keylessStatement(rows: rows.count)
        // Text and blobs bound in place: SQLite's own copy of each was an allocation and a
        // free, about 2,000 instructions per row.
        try statement.runBorrowing { binder throws(SQLiteError) in
            try binder.bindInteger(now, at: 1)
            var index = 2
            for row in rows {
                let task = tasks[row.index]
                // Every parameter is bound for every row: none keeps an earlier turn's value.
                try binder.bindInteger(row.id, at: index)
                binder.bindText(task.kind, at: index + 1)
                binder.bindText(task.queue, at: index + 2)
                binder.bindBlob(task.arguments, at: index + 3)
                try binder.bindInteger(task.priority, at: index + 4)
                try binder.bindInteger(task.maxAttempts, at: index + 5)
                try binder.bindInteger(task.runAt, at: index + 6)
                try binder.bindInteger(row.claimed ? 1 : 0, at: index + 7)
                if row.claimed { binder.bindText(task.claimedBy ?? "", at: index + 8) } else { try binder.bindNull(at: index + 8) }
                if let timeout = task.timeout { try binder.bindInteger(timeout, at: index + 9) } else { try binder.bindNull(at: index + 9) }
                index += Self.keylessParameters
            }
        }
    }

    private func keylessStatement(rows: Int) throws -> SQLiteStatement {
        if let statement = keylessStatements[rows] { return statement }
        let values = (0..<rows).map { row in
            let p = 2 + row * Self.keylessParameters
            // The state is computed in SQL from the claim flag and the due time (one
            // parameter fewer per row); attempted_at is the store time when the row is
            // stored running (attempt 1).
            let state = Self.stateSQL(claimed: "?\(p + 7)", runAt: "?\(p + 6)", now: "?1")
            return "(?\(p), ?\(p + 1), ?\(p + 2), ?\(p + 3), \(state), ?\(p + 4), ?\(p + 5), ?1, ?\(p + 6), "
                + "?\(p + 7), CASE WHEN ?\(p + 7) = 1 THEN ?1 END, ?\(p + 8), ?\(p + 9))"
        }
        let statement = try connection.prepare("""
            INSERT INTO eventide_tasks (id, kind, queue, arguments, state, priority, max_attempts, created_at, run_at,
                attempt, attempted_at, worker, timeout_ms)
            VALUES \(values.joined(separator: ", "))
            """, persistent: true)
        keylessStatements[rows] = statement
        return statement
    }

    /// Inserts a task with a unique key unless the key is held; returns what it became.
    private func insertKeyed(_ row: InsertRow, of tasks: [NewDurableTask], now: Int64) throws -> EnqueueOutcome {
        let insert = try connection.cached("""
            INSERT INTO eventide_tasks (id, kind, queue, arguments, state, priority, max_attempts, unique_key, created_at, run_at,
                attempt, attempted_at, worker, timeout_ms)
            VALUES (?12, ?1, ?2, ?3, \(Self.stateSQL(claimed: "?9", runAt: "?8", now: "?7")), ?4, ?5, ?6, ?7, ?8, ?9,
                CASE WHEN ?9 = 1 THEN ?7 END, ?10, ?11)
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND \(Self.unfinishedStates)
            DO NOTHING
            """)
        let task = tasks[row.index]
        try insert.bindText(task.kind, at: 1)
        try insert.bindText(task.queue, at: 2)
        try insert.bindBlob(task.arguments, at: 3)
        try insert.bindInteger(task.priority, at: 4)
        try insert.bindInteger(task.maxAttempts, at: 5)
        try insert.bindText(task.uniqueKey ?? "", at: 6)
        try insert.bindInteger(now, at: 7)
        try insert.bindInteger(task.runAt, at: 8)
        try insert.bindInteger(row.claimed ? 1 : 0, at: 9)
        if row.claimed { try insert.bindText(task.claimedBy ?? "", at: 10) } else { try insert.bindNull(at: 10) }
        if let timeout = task.timeout { try insert.bindInteger(timeout, at: 11) } else { try insert.bindNull(at: 11) }
        try insert.bindInteger(row.id, at: 12)
        try insert.run()
        if connection.changes == 1 { return row.claimed ? .claimed(row.id) : .inserted(row.id) }
        guard let key = task.uniqueKey, let holder = try holder(of: key) else {
            throw SQLiteTaskTableError.lostUniqueHolder(key: task.uniqueKey ?? "")
        }
        return .duplicate(of: holder)
    }

    /// Tasks scheduled, available, running or retryable: what `maxQueued` limits.
    package func unfinished() throws -> Int {
        if let unfinishedCount { return unfinishedCount }
        let count = try connection.query(
            "SELECT count(*) FROM eventide_tasks WHERE \(Self.unfinishedStates)"
        ) { $0.int(at: 0) }.first ?? 0
        unfinishedCount = count
        return count
    }

    /// Forgets the unfinished count (a savepoint was rolled back after it changed): the
    /// next `unfinished()` counts the rows again.
    package func forgetUnfinished() { unfinishedCount = nil }

    private func adjustUnfinished(by delta: Int) {
        if let count = unfinishedCount { unfinishedCount = count + delta }
    }

    private func holder(of key: String) throws -> Int64? {
        try connection.query(
            "SELECT id FROM eventide_tasks WHERE unique_key = ? AND \(Self.unfinishedStates)",
            [.text(key)]
        ) { $0.int64(at: 0) }.first
    }

    /// Takes up to `limit` due tasks of `queue` for `worker`: highest priority (lowest
    /// number) first, then the earliest due, then the oldest. They become `running` with
    /// their attempt counted.
    package func claim(queue: String, limit: Int, worker: String, now: Int64) throws -> [ClaimedTask] {
        try claim(.named(queue), limit: limit, worker: worker, now: now)
    }

    /// `claim(queue:...)` for a selection of queues.
    package func claim(_ queues: TaskQueueSelection, limit: Int, worker: String, now: Int64) throws -> [ClaimedTask] {
        guard limit > 0 else { return [] }
        var queues = queues
        switch queues {
        case .named(let name) where paused.contains(name): return []
        case .allExcept(let names) where !paused.isEmpty: queues = .allExcept(names.union(paused))
        default: break
        }
        let (filter, queueValue): (String, SQLiteValue) = switch queues {
        case .named(let name): ("queue = ?3", .text(name))
        case .allExcept(let names) where names.isEmpty:
            // No filter: the claim walks the any-queue index in its order and stops at `limit`.
            ("?3 IS NULL", .null)
        case .allExcept(let names):
            ("queue NOT IN (SELECT value FROM json_each(?3))", .text(String(decoding: try JSONBytesEncoder.encode(names.sorted()), as: UTF8.self)))
        }
        let claimed = try write {
            try connection.query("""
                UPDATE eventide_tasks SET state = \(DurableTaskState.running.sqlite), attempt = attempt + 1, attempted_at = ?1, worker = ?2
                WHERE id IN (
                    SELECT id FROM eventide_tasks
                    WHERE \(filter) AND \(Self.dueStates) AND run_at <= ?1
                    ORDER BY priority, run_at, id LIMIT ?4)
                RETURNING id, kind, queue, arguments, priority, attempt, max_attempts, run_at, timeout_ms
                """, [.integer(now), .text(worker), queueValue, SQLiteValue(limit)]
            ) { row in
                ClaimedTask(
                    id: row.int64(at: 0), kind: row.string(at: 1) ?? "", queue: row.string(at: 2) ?? "",
                    arguments: row.blob(at: 3) ?? [], priority: row.int(at: 4), attempt: row.int(at: 5), maxAttempts: row.int(at: 6),
                    runAt: row.int64(at: 7), timeout: row.isNull(at: 8) ? nil : row.int64(at: 8))
            }
        }
        // RETURNING gives no order: restore the claim's.
        return claimed.sorted { ($0.priority, $0.runAt, $0.id) < ($1.priority, $1.runAt, $1.id) }
    }

    /// Records how runs ended, all in one transaction. Only a `running` task changes:
    /// one cancelled or rescued meanwhile keeps its newer state. A result's attempt is not
    /// checked: one process uses a file, and its tasks are rescued only when it starts.
    package func resolve(_ results: [TaskResult], now: Int64) throws {
        try write {
            // The common end, completed, is one statement for the whole batch: per-row
            // statements cost more than the rows themselves.
            var completed = "["
            completed.reserveCapacity(2 + 12 * results.count)
            for result in results where result.resolution == .completed {
                if completed.utf8.count > 1 { completed += "," }
                completed += String(result.id)
            }
            if completed.utf8.count > 1 {
                try connection.run("""
                    UPDATE eventide_tasks SET state = \(DurableTaskState.completed.sqlite), finished_at = ?2, worker = NULL
                    WHERE id IN (SELECT value FROM json_each(?1)) AND state = \(DurableTaskState.running.sqlite)
                    """, [.text(completed + "]"), .integer(now)])
                adjustUnfinished(by: -connection.changes)
            }
            for result in results {
                let id = result.id
                switch result.resolution {
                case .completed: continue
                case .retry(let at, let error):
                    try connection.run("""
                        UPDATE eventide_tasks SET state = \(DurableTaskState.retryable.sqlite), run_at = ?2, worker = NULL,
                            errors = json_insert(errors, '$[#]', json_object('attempt', attempt, 'at', ?3, 'error', ?4))
                        WHERE id = ?1 AND state = \(DurableTaskState.running.sqlite)
                        """, [.integer(id), .integer(at), .integer(now), .text(error)])
                case .discard(let error), .cancel(reason: let error):
                    let state: DurableTaskState = if case .discard = result.resolution { .discarded } else { .cancelled }
                    try connection.run("""
                        UPDATE eventide_tasks SET state = ?2, finished_at = ?3, worker = NULL,
                            errors = json_insert(errors, '$[#]', json_object('attempt', attempt, 'at', ?3, 'error', ?4))
                        WHERE id = ?1 AND state = \(DurableTaskState.running.sqlite)
                        """, [.integer(id), SQLiteValue(state.sqliteCode), .integer(now), .text(error)])
                    adjustUnfinished(by: -connection.changes)
                case .putBack:
                    try connection.run("""
                        UPDATE eventide_tasks SET state = \(DurableTaskState.available.sqlite), run_at = ?2, attempt = attempt - 1, worker = NULL
                        WHERE id = ?1 AND state = \(DurableTaskState.running.sqlite)
                        """, [.integer(id), .integer(now)])
                case .snooze(let until):
                    try connection.run("""
                        UPDATE eventide_tasks SET state = \(DurableTaskState.scheduled.sqlite), run_at = ?2, attempt = attempt - 1, worker = NULL
                        WHERE id = ?1 AND state = \(DurableTaskState.running.sqlite)
                        """, [.integer(id), .integer(until)])
                }
            }
        }
    }

    /// Adds the due runs of `schedules` and moves their next runs on (see
    /// `TaskStore.enqueueDue`). Returns how many tasks were added.
    package func enqueueDue(_ schedules: [PeriodicTask], now: Int64) throws -> Int {
        try write {
            var added = 0
            for periodic in schedules {
                let spec = periodic.schedule.description
                let stored = try connection.query(
                    "SELECT schedule, next_run_at FROM eventide_periodic WHERE name = ?", [.text(periodic.name)]
                ) { ($0.string(at: 0) ?? "", $0.isNull(at: 1) ? nil : $0.int64(at: 1)) }.first
                guard let stored, stored.0 == spec else {
                    // New or changed: the first run is the schedule's next after now.
                    try connection.run("""
                        INSERT INTO eventide_periodic (name, schedule, next_run_at) VALUES (?1, ?2, ?3)
                        ON CONFLICT (name) DO UPDATE SET schedule = ?2, next_run_at = ?3
                        """, [.text(periodic.name), .text(spec), periodic.schedule.next(after: now).map { .integer($0) } ?? .null])
                    continue
                }
                guard let due = stored.1, due <= now else { continue }
                let (runs, next) = periodic.runs(due: due, now: now)
                added += try insert(runs, now: now).count { if case .duplicate = $0 { false } else { true } }
                try connection.run(
                    "UPDATE eventide_periodic SET next_run_at = ?2 WHERE name = ?1", [.text(periodic.name), next.map { .integer($0) } ?? .null])
            }
            return added
        }
    }

    /// Makes tasks left `running` by workers other than `alive` available again, their
    /// attempt kept counted (at least once: the run may have happened) and their due
    /// time kept (their place in the queue). Returns how many.
    package func rescue(keeping alive: Set<String>, now: Int64) throws -> Int {
        try write {
            let running = try connection.query("SELECT id, worker FROM eventide_tasks WHERE state = \(DurableTaskState.running.sqlite)") {
                ($0.int64(at: 0), $0.string(at: 1) ?? "")
            }
            var rescued = 0
            for (id, worker) in running where !alive.contains(worker) {
                try connection.run(
                    "UPDATE eventide_tasks SET state = \(DurableTaskState.available.sqlite), worker = NULL WHERE id = ?1 AND state = \(DurableTaskState.running.sqlite)", [.integer(id)])
                rescued += connection.changes
            }
            return rescued
        }
    }

    /// Cancels a task that is not running yet; returns its state afterwards (nil: no
    /// such task). A running task keeps running (its worker cancels it).
    package func cancel(id: Int64, now: Int64) throws -> DurableTaskState? {
        try write {
            try connection.run("""
                UPDATE eventide_tasks SET state = \(DurableTaskState.cancelled.sqlite), finished_at = ?2
                WHERE id = ?1 AND \(Self.dueStates)
                """, [.integer(id), .integer(now)])
            adjustUnfinished(by: -connection.changes)
            return try record(id: id)?.state
        }
    }

    /// Makes a finished or waiting task available now, with one more attempt allowed if
    /// it had used them all. Returns its state afterwards (nil: no such task).
    package func retry(id: Int64, now: Int64) throws -> DurableTaskState? {
        try write {
            let before = try record(id: id)?.state
            try connection.run("""
                UPDATE eventide_tasks SET state = \(DurableTaskState.available.sqlite), run_at = ?2, finished_at = NULL,
                    max_attempts = max(max_attempts, attempt + 1)
                WHERE id = ?1 AND state <> \(DurableTaskState.available.sqlite) AND state <> \(DurableTaskState.running.sqlite)
                """, [.integer(id), .integer(now)])
            if connection.changes == 1, let before, before.isFinal { adjustUnfinished(by: 1) }
            return try record(id: id)?.state
        }
    }

    /// One task as stored.
    package func record(id: Int64) throws -> DurableTaskRecord? {
        try connection.query("SELECT \(Self.recordColumns) FROM eventide_tasks WHERE id = ?", [.integer(id)], Self.record).first
    }

    /// Up to `limit` tasks in `state` (of `queue` only, when given), the newest first:
    /// for a final state the last to finish, for the others the last stored.
    ///
    /// A final state's list walks the `(state, finished_at)` index; the others walk the
    /// table from its newest row until `limit` match (a state rare among many rows costs
    /// a longer walk).
    package func records(in state: DurableTaskState, queue: String?, limit: Int) throws -> [DurableTaskRecord] {
        // `finished_at IS NOT NULL` lets SQLite use the partial index eventide_tasks_finished.
        let order = state.isFinal ? "AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC" : "ORDER BY id DESC"
        return try connection.query("""
            SELECT \(Self.recordColumns) FROM eventide_tasks
            WHERE state = ?1 AND (?2 IS NULL OR queue = ?2) \(order) LIMIT ?3
            """, [SQLiteValue(state.sqliteCode), queue.map { .text($0) } ?? .null, .integer(Int64(max(0, limit)))], Self.record)
    }

    /// Deletes task `id` unless it is running (its worker would record a result for a row
    /// that is gone). Returns the state it had: the one it was deleted in, `running` when
    /// it was left alone, nil when there is no such task.
    package func delete(id: Int64) throws -> DurableTaskState? {
        try write {
            let deleted = try connection.query(
                "DELETE FROM eventide_tasks WHERE id = ?1 AND state <> \(DurableTaskState.running.sqlite) RETURNING state", [.integer(id)]
            ) { $0.int(at: 0) }.first
            guard let deleted else { return try record(id: id)?.state }
            let state = DurableTaskState(sqliteCode: deleted) ?? .discarded
            if !state.isFinal { adjustUnfinished(by: -1) }
            return state
        }
    }

    /// The columns `record` reads, in its order.
    private static let recordColumns = """
        id, kind, queue, state, priority, attempt, max_attempts, unique_key, created_at, run_at, attempted_at, finished_at,
            errors, arguments
        """

    /// A row of `recordColumns`.
    private static func record(_ row: SQLiteStatement) -> DurableTaskRecord {
        DurableTaskRecord(
            id: row.int64(at: 0), kind: row.string(at: 1) ?? "", queue: row.string(at: 2) ?? "",
            arguments: String(decoding: row.blob(at: 13) ?? [], as: UTF8.self),
            state: DurableTaskState(sqliteCode: row.int(at: 3)) ?? .discarded, priority: row.int(at: 4),
            attempt: row.int(at: 5), maxAttempts: row.int(at: 6), uniqueKey: row.string(at: 7), createdAt: row.int64(at: 8),
            runAt: row.int64(at: 9), attemptedAt: row.isNull(at: 10) ? nil : row.int64(at: 10),
            finishedAt: row.isNull(at: 11) ? nil : row.int64(at: 11), errors: failures(row.string(at: 12) ?? "[]"))
    }

    /// How many tasks each queue has in each state (absent: none).
    package func counts() throws -> [String: [DurableTaskState: Int]] {
        var counts: [String: [DurableTaskState: Int]] = [:]
        for (queue, state, count) in try connection.query("SELECT queue, state, count(*) FROM eventide_tasks GROUP BY queue, state", [], {
            ($0.string(at: 0) ?? "", $0.int(at: 1), $0.int(at: 2))
        }) {
            if let state = DurableTaskState(sqliteCode: state) { counts[queue, default: [:]][state] = count }
        }
        return counts
    }

    /// Deletes completed tasks finished before `completedBefore`, and discarded and
    /// cancelled ones finished before `othersBefore`. Returns how many.
    package func deleteFinished(completedBefore: Int64, othersBefore: Int64, limit: Int = .max) throws -> Int {
        try write {
            // At most `limit` rows per call: a large delete holds the one writer (and every
            // request's commit behind it) for as long as it runs.
            try connection.run("""
                DELETE FROM eventide_tasks WHERE id IN (
                    SELECT id FROM eventide_tasks WHERE state = \(DurableTaskState.completed.sqlite) AND finished_at < ?1 LIMIT ?2)
                """, [.integer(completedBefore), .integer(Int64(limit))])
            var deleted = connection.changes
            guard deleted < limit else { return deleted }
            try connection.run("""
                DELETE FROM eventide_tasks WHERE id IN (
                    SELECT id FROM eventide_tasks WHERE state IN (\(DurableTaskState.discarded.sqlite), \(DurableTaskState.cancelled.sqlite)) AND finished_at < ?1 LIMIT ?2)
                """, [.integer(othersBefore), .integer(Int64(limit - deleted))])
            deleted += connection.changes
            return deleted
        }
    }

    /// The `errors` column: a JSON array written by `resolve`.
    private static func failures(_ json: String) -> [DurableTaskFailure] {
        (try? JSONBytesDecoder.decode([DurableTaskFailure].self, from: Array(json.utf8))) ?? []
    }
}

/// Why the task table cannot be used.
package enum SQLiteTaskTableError: Error, Equatable {
    /// The file was written by a newer Eventide.
    case newerSchema(found: Int, supported: Int)
    /// A unique key blocked an insert but no task holds it (cannot happen with one writer).
    case lostUniqueHolder(key: String)
    /// The file cannot be opened for writing (its directory, permissions, a read-only or
    /// full file system).
    case cannotOpen(path: String, reason: String)
}

extension SQLiteTaskTableError: CustomStringConvertible {
    package var description: String {
        switch self {
        case .newerSchema(let found, let supported):
            "the task store was written by a newer Eventide (schema \(found); this one reads up to \(supported))"
        case .lostUniqueHolder(let key): "no task holds unique key \"\(key)\" although the index says one does"
        case .cannotOpen(let path, let reason): "the task store \(path) cannot be opened for writing: \(reason)"
        }
    }
}
