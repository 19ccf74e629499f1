import Eventide
import EventideSQLite
import Foundation
import Testing

/// Files written by earlier versions of the SQLite store, opened by this one: real files
/// made with the old schema's own SQL.
@Suite struct SQLiteTaskTableMigrationTests {
    /// The task table as versions 1 to 4 wrote it: the state as its name (version 1: no
    /// `timeout_ms`).
    static func oldSchema(version: Int) -> String {
        let unfinished = "(state = 'scheduled' OR state = 'available' OR state = 'running' OR state = 'retryable')"
        let due = "(state = 'scheduled' OR state = 'available' OR state = 'retryable')"
        return """
            CREATE TABLE eventide_schema (version INTEGER NOT NULL);
            INSERT INTO eventide_schema (version) VALUES (\(version));
            CREATE TABLE eventide_tasks (
                id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, queue TEXT NOT NULL, arguments BLOB NOT NULL,
                state TEXT NOT NULL, priority INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                unique_key TEXT, created_at INTEGER NOT NULL, run_at INTEGER NOT NULL, attempted_at INTEGER, finished_at INTEGER,
                worker TEXT, errors TEXT NOT NULL DEFAULT '[]'\(version >= 2 ? ", timeout_ms INTEGER" : ""));
            CREATE UNIQUE INDEX eventide_tasks_unique_key ON eventide_tasks (unique_key) WHERE unique_key IS NOT NULL AND \(unfinished);
            CREATE INDEX eventide_tasks_due ON eventide_tasks (queue, priority, run_at, id) WHERE \(due);
            CREATE INDEX eventide_tasks_due_any_queue ON eventide_tasks (priority, run_at, id) WHERE \(due);
            CREATE INDEX eventide_tasks_finished ON eventide_tasks (state, finished_at) WHERE finished_at IS NOT NULL;
            """
    }

    /// A file of schema `version` holding `rows` (`(name, state, run_at, unique key)`; the
    /// name is the task's arguments), in a fresh directory removed afterwards.
    func withOldFile<Result>(
        version: Int, rows: [(String, String, Int64, String?)], sequence: Int64? = nil, _ body: (String) throws -> Result
    ) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-old-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tasks.db").path
        let old = try SQLiteConnection(path: path, mode: .readWriteCreate)
        try old.execute(Self.oldSchema(version: version))
        for (name, state, runAt, key) in rows {
            try old.run("""
                INSERT INTO eventide_tasks (kind, queue, arguments, state, priority, max_attempts, unique_key, created_at, run_at,
                    attempt, worker, finished_at)
                VALUES ('send', 'default', ?1, ?2, 0, 3, ?3, 0, ?4, 0, CASE WHEN ?2 = 'running' THEN 'gone' END,
                    CASE WHEN ?2 IN ('completed', 'discarded', 'cancelled') THEN 5 END)
                """, [.blob(Array(name.utf8)), .text(state), key.map { .text($0) } ?? .null, .integer(runAt)])
        }
        if let sequence { try old.run("UPDATE sqlite_sequence SET seq = ? WHERE name = 'eventide_tasks'", [.integer(sequence)]) }
        try old.close()
        return try body(path)
    }

    func task(_ name: String, uniqueKey: String? = nil) -> NewDurableTask {
        NewDurableTask(kind: "send", arguments: Array(name.utf8), runAt: 0, uniqueKey: uniqueKey)
    }

    @Test func aVersion1FileIsMigratedAndKeepsItsTasks() throws {
        try withOldFile(version: 1, rows: [("old", "available", 0, nil)]) { path in
            let migrated = try SQLiteTaskTable(path: path)
            #expect(try migrated.connection.query("SELECT version FROM eventide_schema") { $0.int(at: 0) } == [SQLiteTaskTable.schemaVersion])
            var timed = task("new")
            timed.timeout = 250
            _ = try migrated.insert([timed], now: 2)
            let claimed = try migrated.claim(.named("default"), limit: 10, worker: "w", now: 3)
            #expect(claimed.map { String(decoding: $0.arguments, as: UTF8.self) } == ["old", "new"])
            #expect(claimed.map(\.timeout) == [nil, 250])
        }
    }

    @Test func aVersion4FileGetsStateCodesAndKeepsItsTasksIDsAndKeys() throws {
        let rows: [(String, String, Int64, String?)] = [
            ("later", "scheduled", 1_000, nil), ("due", "available", 0, nil), ("again", "retryable", 0, nil),
            ("busy", "running", 0, "held"), ("done", "completed", 0, nil), ("dead", "discarded", 0, nil),
            ("stopped", "cancelled", 0, nil), ("odd", "no-such-state", 0, nil),
        ]
        try withOldFile(version: 4, rows: rows, sequence: 100) { path in
            let table = try SQLiteTaskTable(path: path)
            #expect(try table.connection.query("SELECT DISTINCT typeof(state) FROM eventide_tasks") { $0.string(at: 0) } == ["integer"])
            let states = try (1...8).map { try table.record(id: Int64($0))?.state }
            #expect(states == [.scheduled, .available, .retryable, .running, .completed, .discarded, .cancelled, .discarded])
            let indexes = try table.connection.query(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'eventide_tasks' AND name LIKE 'eventide%' ORDER BY name"
            ) { $0.string(at: 0) ?? "" }
            #expect(indexes == ["eventide_tasks_due", "eventide_tasks_due_any_queue", "eventide_tasks_finished", "eventide_tasks_unique_key"])
            // Ids go on from the old sequence (the tasks above 8 were deleted, their ids not
            // given again); the running task still holds its unique key.
            let outcomes = try table.insert([task("fresh"), task("copy", uniqueKey: "held")], now: 10)
            #expect(outcomes == [.inserted(101), .duplicate(of: 4)])
            let claimed = try table.claim(.named("default"), limit: 10, worker: "w", now: 10)
            #expect(claimed.map { String(decoding: $0.arguments, as: UTF8.self) } == ["due", "again", "fresh"])
            #expect(try table.unfinished() == 5)  // later, busy and the three claimed
            // The finished ones with a finish time (the unknown state's row has none).
            #expect(try table.deleteFinished(completedBefore: 6, othersBefore: 6) == 3)
        }
    }
}

/// The partial indexes still serve the queries that need them, with the state as a code
/// (a query uses a partial index only when its WHERE implies the index's).
@Suite struct SQLiteTaskTablePlanTests {
    func plan(_ table: SQLiteTaskTable, _ sql: String) throws -> String {
        try table.connection.query("EXPLAIN QUERY PLAN " + sql) { $0.string(at: 3) ?? "" }.joined(separator: "; ")
    }

    @Test func claimsUniqueKeysAndRetentionUseTheirIndexes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let table = try SQLiteTaskTable(path: directory.appendingPathComponent("tasks.db").path)
        let due = try plan(table, """
            SELECT id FROM eventide_tasks WHERE queue = 'mail' AND \(SQLiteTaskTable.dueStates) AND run_at <= 5
            ORDER BY priority, run_at, id LIMIT 10
            """)
        #expect(due.contains("USING INDEX eventide_tasks_due "), "\(due)")
        let anyQueue = try plan(table, """
            SELECT id FROM eventide_tasks WHERE \(SQLiteTaskTable.dueStates) AND run_at <= 5 ORDER BY priority, run_at, id LIMIT 10
            """)
        #expect(anyQueue.contains("USING INDEX eventide_tasks_due_any_queue"), "\(anyQueue)")
        let holder = try plan(table, "SELECT id FROM eventide_tasks WHERE unique_key = 'k' AND \(SQLiteTaskTable.unfinishedStates)")
        #expect(holder.contains("USING INDEX eventide_tasks_unique_key"), "\(holder)")
        let expired = try plan(table, """
            SELECT id FROM eventide_tasks WHERE state = \(DurableTaskState.completed.sqliteCode) AND finished_at < 5 LIMIT 10
            """)
        #expect(expired.contains("USING COVERING INDEX eventide_tasks_finished") || expired.contains("USING INDEX eventide_tasks_finished"), "\(expired)")
    }
}
