import Eventide
import EventideSQLite
import Foundation
import Testing

/// The durable-task table's rules on a real SQLite file (WAL, synchronous=FULL).
@Suite struct SQLiteTaskTableTests {
    /// A table in a fresh directory, removed afterwards.
    func withTable<Result>(_ body: (SQLiteTaskTable, String) throws -> Result) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-tasks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tasks.db").path
        return try body(try SQLiteTaskTable(path: path), path)
    }

    func task(_ name: String, queue: String = "default", priority: Int = 0, runAt: Int64 = 0, uniqueKey: String? = nil) -> NewDurableTask {
        // The arguments are opaque bytes to the table: the name stands in for the JSON.
        NewDurableTask(kind: "send", queue: queue, arguments: Array(name.utf8), priority: priority, runAt: runAt, maxAttempts: 3,
                       uniqueKey: uniqueKey)
    }

    func names(_ claimed: [ClaimedTask]) -> [String] {
        claimed.map { String(decoding: $0.arguments, as: UTF8.self) }
    }

    @Test func theFileIsInWALModeWithFullSyncAndReopens() throws {
        try withTable { table, path in
            #expect(try table.connection.journalMode() == .wal)
            #expect(try table.connection.synchronous() == .full)
            _ = try table.insert([task("a")], now: 1)
            let reopened = try SQLiteTaskTable(path: path)  // migrate is idempotent
            #expect(try reopened.counts()["default"]?[.available] == 1)
        }
    }

    @Test func dueTasksAreClaimedByPriorityThenDueTimeThenAge() throws {
        try withTable { table, _ in
            _ = try table.insert([
                task("late", priority: 1, runAt: 50), task("low", priority: 5), task("first", priority: 1, runAt: 20),
                task("second", priority: 1, runAt: 20), task("early", priority: 1, runAt: 10), task("other", queue: "mail"),
                task("future", runAt: 1_000),
            ], now: 100)
            #expect(try table.record(id: 7)?.state == .scheduled)
            let claimed = try table.claim(queue: "default", limit: 10, worker: "w1", now: 100)
            #expect(names(claimed) == ["early", "first", "second", "late", "low"])
            #expect(claimed.allSatisfy { $0.attempt == 1 })
            #expect(try table.claim(queue: "default", limit: 10, worker: "w1", now: 100).isEmpty)  // taken, or not due
            #expect(names(try table.claim(queue: "default", limit: 10, worker: "w1", now: 1_000)) == ["future"])
            #expect(names(try table.claim(queue: "mail", limit: 1, worker: "w1", now: 100)) == ["other"])
            #expect(try table.counts()["default"]?[.running] == 6)
        }
    }

    @Test func aBatchOfAnySizeIsStoredInOrderAndIdsNeverRepeat() throws {
        try withTable { table, path in
            // 100 tasks: multi-row statements of 64, 32 and 4 rows, and a keyed task between.
            var batch = (0..<100).map { task("t\($0)") }
            batch[50] = task("t50", uniqueKey: "k")
            batch[1].claimedBy = "w1"  // stored running for w1
            batch[2] = task("t2", runAt: 5)  // not due yet
            let outcomes = try table.insert(batch, now: 1)
            #expect(outcomes == (1...100).map { $0 == 2 ? EnqueueOutcome.claimed(2) : EnqueueOutcome.inserted(Int64($0)) })
            let claimed = try #require(try table.record(id: 2))
            #expect(claimed.state == .running && claimed.attempt == 1 && claimed.attemptedAt == 1)
            #expect(try table.record(id: 3)?.state == .scheduled)
            let available = try #require(try table.record(id: 4))
            #expect(available.state == .available && available.attempt == 0 && available.attemptedAt == nil && available.createdAt == 1)
            for id in [1, 50, 51, 52, 65, 97, 100] {
                #expect(try table.record(id: Int64(id))?.arguments == "t\(id - 1)")
            }
            #expect(try table.record(id: 51)?.uniqueKey == "k")
            // The newest task deleted: its id is not given again, in this connection or the next.
            #expect(try table.delete(id: 100) == .available)
            #expect(try table.insert([task("after delete")], now: 2) == [.inserted(101)])
            #expect(try table.delete(id: 101) == .available)
            let reopened = try SQLiteTaskTable(path: path)
            #expect(try reopened.insert([task("after reopen")], now: 3) == [.inserted(102)])
            #expect(try table.insert([task("first connection")], now: 4) == [.inserted(103)])
        }
    }

    @Test func aHeldUniqueKeyIsNotAddedTwiceAndIsFreedByAFinalState() throws {
        try withTable { table, _ in
            let first = try table.insert([task("a", uniqueKey: "welcome:a"), task("b", uniqueKey: "welcome:a")], now: 1)
            #expect(first == [.inserted(1), .duplicate(of: 1)])
            #expect(try table.insert([task("c", uniqueKey: "welcome:a")], now: 2) == [.duplicate(of: 1)])
            let claimed = try table.claim(queue: "default", limit: 1, worker: "w", now: 3)
            #expect(try table.insert([task("d", uniqueKey: "welcome:a")], now: 4) == [.duplicate(of: 1)])  // running holds it
            try table.resolve([TaskResult(id: claimed[0].id, attempt: 1, .completed)], now: 5)
            let freed = try table.insert([task("e", uniqueKey: "welcome:a")], now: 6)
            guard case .inserted(let id) = freed.first else { Issue.record("not inserted: \(freed)"); return }
            #expect(id != claimed[0].id)
            #expect(try table.counts()["default"] == [.completed: 1, .available: 1])
        }
    }

    @Test func failuresRetryThenDiscardKeepingEveryError() throws {
        try withTable { table, _ in
            let id = try table.insert([task("a")], now: 0)[0].id
            var claimed = try table.claim(queue: "default", limit: 1, worker: "w", now: 10)
            try table.resolve([TaskResult(id: id, attempt: 1, .retry(at: 100, error: "smtp down"))], now: 11)
            #expect(try table.record(id: id)?.state == .retryable)
            #expect(try table.claim(queue: "default", limit: 1, worker: "w", now: 99).isEmpty)  // backoff not over
            claimed = try table.claim(queue: "default", limit: 1, worker: "w", now: 100)
            #expect(claimed.first?.attempt == 2)
            try table.resolve([TaskResult(id: id, attempt: 1, .discard(error: "smtp still down"))], now: 101)
            let record = try #require(try table.record(id: id))
            #expect(record.state == .discarded)
            #expect(record.attempt == 2)
            #expect(record.finishedAt == 101)
            #expect(record.errors == [
                DurableTaskFailure(attempt: 1, at: 11, error: "smtp down"), DurableTaskFailure(attempt: 2, at: 101, error: "smtp still down"),
            ])
            // A retry by hand gives it one more attempt.
            #expect(try table.retry(id: id, now: 200) == .available)
            #expect(try table.claim(queue: "default", limit: 1, worker: "w", now: 200).first?.attempt == 3)
        }
    }

    @Test func aSnoozeSpendsNoAttempt() throws {
        try withTable { table, _ in
            let id = try table.insert([task("a")], now: 0)[0].id
            _ = try table.claim(queue: "default", limit: 1, worker: "w", now: 1)
            try table.resolve([TaskResult(id: id, attempt: 1, .snooze(until: 60))], now: 2)
            let record = try #require(try table.record(id: id))
            #expect(record.state == .scheduled && record.attempt == 0 && record.runAt == 60)
        }
    }

    @Test func runningTasksOfDeadWorkersAreRescuedWithTheirAttemptCounted() throws {
        try withTable { table, _ in
            _ = try table.insert([task("a"), task("b")], now: 0)
            let mine = try table.claim(queue: "default", limit: 1, worker: "alive", now: 1)
            let theirs = try table.claim(queue: "default", limit: 1, worker: "dead", now: 1)
            #expect(try table.rescue(keeping: ["alive"], now: 5) == 1)
            #expect(try table.record(id: mine[0].id)?.state == .running)
            let rescued = try #require(try table.record(id: theirs[0].id))
            #expect(rescued.state == .available && rescued.attempt == 1)
            // A late resolution from the dead worker does not undo the rescue.
            try table.resolve([TaskResult(id: theirs[0].id, attempt: 1, .completed)], now: 6)
            #expect(try table.record(id: theirs[0].id)?.state == .available)
            #expect(try table.claim(queue: "default", limit: 1, worker: "alive", now: 7).first?.attempt == 2)
        }
    }

    @Test func cancelStopsWaitingTasksOnly() throws {
        try withTable { table, _ in
            _ = try table.insert([task("a"), task("b", runAt: 500)], now: 0)
            let running = try table.claim(queue: "default", limit: 1, worker: "w", now: 1)
            #expect(try table.cancel(id: running[0].id, now: 2) == .running)
            #expect(try table.cancel(id: 2, now: 2) == .cancelled)
            #expect(try table.cancel(id: 99, now: 2) == nil)
            #expect(try table.claim(queue: "default", limit: 5, worker: "w", now: 600).isEmpty)
        }
    }

    @Test func finishedTasksAreDeletedAfterTheirRetention() throws {
        try withTable { table, _ in
            _ = try table.insert([task("a"), task("b"), task("c")], now: 0)
            let claimed = try table.claim(queue: "default", limit: 3, worker: "w", now: 1)
            try table.resolve([TaskResult(id: claimed[0].id, attempt: 1, .completed), TaskResult(id: claimed[1].id, attempt: 1, .discard(error: "bad"))], now: 10)
            #expect(try table.deleteFinished(completedBefore: 10, othersBefore: 0) == 0)
            #expect(try table.deleteFinished(completedBefore: 11, othersBefore: 0) == 1)
            #expect(try table.deleteFinished(completedBefore: 11, othersBefore: 11) == 1)
            #expect(try table.counts()["default"] == [.running: 1])
        }
    }

    @Test func retentionDeletesInSlicesOfAtMostItsLimit() throws {
        try withTable { table, _ in
            _ = try table.insert((0..<7).map { task("t\($0)") }, now: 0)
            let claimed = try table.claim(queue: "default", limit: 7, worker: "w", now: 1)
            try table.resolve(claimed.prefix(5).map { TaskResult(id: $0.id, attempt: 1, .completed) }, now: 10)
            try table.resolve(claimed.suffix(2).map { TaskResult(id: $0.id, attempt: 1, .cancel(reason: "no")) }, now: 10)
            #expect(try table.deleteFinished(completedBefore: 11, othersBefore: 11, limit: 3) == 3)
            #expect(try table.deleteFinished(completedBefore: 11, othersBefore: 11, limit: 3) == 3)  // 2 completed, 1 cancelled
            #expect(try table.deleteFinished(completedBefore: 11, othersBefore: 11, limit: 3) == 1)
            #expect(try table.counts().isEmpty)
        }
    }

    /// A batch of completions changes only the tasks still running: one cancelled
    /// meanwhile keeps its state.
    @Test func manyCompletionsAreStoredOnlyForRunningTasks() throws {
        try withTable { table, _ in
            _ = try table.insert((0..<101).map { task("t\($0)") }, now: 0)
            let claimed = try table.claim(queue: "default", limit: 101, worker: "w", now: 1)
            #expect(claimed.count == 101)
            try table.resolve([TaskResult(id: claimed[7].id, attempt: 1, .cancel(reason: "stop"))], now: 2)
            try table.resolve(claimed.map { TaskResult(id: $0.id, attempt: 1, .completed) }, now: 3)
            #expect(try table.counts()["default"] == [.completed: 100, .cancelled: 1])
            #expect(try table.unfinished() == 0)
            #expect(try table.record(id: claimed[100].id)?.finishedAt == 3)
        }
    }

    @Test func aFileFromANewerVersionIsRefused() throws {
        try withTable { table, path in
            try table.connection.run("UPDATE eventide_schema SET version = 99")
            #expect(throws: SQLiteTaskTableError.newerSchema(found: 99, supported: SQLiteTaskTable.schemaVersion)) {
                _ = try SQLiteTaskTable(path: path)
            }
        }
    }
}
