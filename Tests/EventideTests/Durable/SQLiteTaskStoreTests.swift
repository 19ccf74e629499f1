import Eventide
import Foundation
import Testing

/// The SQLite store's writer thread and group commit, on a real file.
@Suite struct SQLiteTaskStoreTests {
    func withStore<Result>(maxQueued: Int? = nil, _ body: (SQLiteTaskStore, String) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tasks.db").path
        let store = try SQLiteTaskStore(path: path, maxQueued: maxQueued, clock: { 1_000 })
        defer { store.close() }
        return try await body(store, path)
    }

    func task(_ name: String, uniqueKey: String? = nil) -> NewDurableTask {
        NewDurableTask(kind: "send", arguments: Array(name.utf8), runAt: 0, uniqueKey: uniqueKey)
    }

    @Test func enqueuesWaitingForOneCommitShareIt() async throws {
        try await withStore { store, _ in
            // Hold the writer inside a job, so the enqueues below all wait for the same turn.
            let entered = Gate()
            let gate = Gate()
            let holding = Task {
                try await store.perform { _, _ in
                    entered.open()
                    _ = gate.wait(timeout: 30)
                }
            }
            #expect(await entered.wait(timeout: 30))
            let outcomes = try await withThrowingTaskGroup(of: [EnqueueOutcome].self) { group in
                for i in 0..<50 { group.addTask { try await store.enqueue([self.task("t\(i)"), self.task("u\(i)")]) } }
                // Every enqueue reaches the store before the writer goes on (no sleep: a turn of
                // the cooperative pool per check until the 50 jobs are queued).
                while store.pendingJobs < 50 { await Task.yield() }
                gate.open()
                return try await group.reduce(into: []) { $0 += $1 }
            }
            try await holding.value
            #expect(outcomes.count == 100)
            #expect(Set(outcomes.map(\.id)).count == 100)
            #expect(store.insertCommits == 1)  // 50 callers, one transaction
            let available = try await store.perform { table, _ in try table.counts()["default"]?[.available] }
            #expect(available == 100)
        }
    }

    @Test func queriesRunBesideTheWritersTransaction() async throws {
        try await withStore { store, _ in
            _ = try await store.enqueue([task("before")])
            // The writer holds a transaction with an insert not committed yet.
            let entered = Gate()
            let gate = Gate()
            let holding = Task {
                try await store.perform { table, now in
                    _ = try table.insert([self.task("uncommitted")], now: now)
                    entered.open()
                    _ = gate.wait(timeout: 30)
                }
            }
            #expect(await entered.wait(timeout: 30))
            // Answered while the writer waits, from the last commit.
            #expect(try await store.counts()["default"]?[.available] == 1)
            #expect(try await store.record(id: 1)?.state == .available)
            gate.open()
            try await holding.value
            #expect(try await store.counts()["default"]?[.available] == 2)
        }
    }

    @Test func aCallersOutcomesAreItsOwnInOrder() async throws {
        try await withStore { store, _ in
            let first = try await store.enqueue([task("a", uniqueKey: "k"), task("b")])
            let second = try await store.enqueue([task("c"), task("d", uniqueKey: "k")])
            #expect(first == [.inserted(1), .inserted(2)])
            #expect(second == [.inserted(3), .duplicate(of: 1)])
        }
    }

    @Test func aFailedCommitWritesNothingOfAnyBatchAndTheStoreGoesOn() async throws {
        try await withStore { store, _ in
            // A page limit the next batch cannot fit in stands in for a full disk.
            try await store.perform { table, _ in
                let pages = try table.connection.query("PRAGMA page_count") { $0.int(at: 0) }.first ?? 1
                try table.connection.execute("PRAGMA max_page_count = \(pages)")
            }
            let big = (0..<200).map { NewDurableTask(kind: "send", arguments: Array(repeating: 7, count: 4096), runAt: 0, uniqueKey: "big\($0)") }
            await #expect(throws: (any Error).self) { try await store.enqueue(big) }
            #expect(try await store.perform { table, _ in try table.counts() }.isEmpty)
            try await store.perform { table, _ in try table.connection.execute("PRAGMA max_page_count = 1073741823") }
            #expect(try await store.enqueue([task("after")]) == [.inserted(1)])
        }
    }

    @Test func aClosedStoreRefusesWork() async throws {
        try await withStore { store, _ in
            store.close()
            await #expect(throws: SQLiteTaskStoreError.closed) { try await store.enqueue([self.task("late")]) }
        }
    }

    @Test func maxQueuedRefusesTheCallerThatWouldPassIt() async throws {
        try await withStore(maxQueued: 3) { store, path in
            #expect(try await store.enqueue([task("a"), task("b")]) == [.inserted(1), .inserted(2)])
            await #expect(throws: TaskStoreFull(maxQueued: 3)) { try await store.enqueue([self.task("c"), self.task("d")]) }
            #expect(try await store.counts()["default"]?[.available] == 2)  // nothing of the refused call
            #expect(try await store.enqueue([task("c")]) == [.inserted(3)])
            await #expect(throws: TaskStoreFull(maxQueued: 3)) { try await store.enqueue([self.task("d")]) }
            // A finished task frees its place.
            let claimed = try await store.claim(.named("default"), limit: 1, worker: "w")
            try await store.resolve([TaskResult(id: claimed[0].id, attempt: 1, .completed)])
            #expect(try await store.enqueue([task("d")]) == [.inserted(4)])
            // A new store on the file counts what the file holds.
            store.close()
            let reopened = try SQLiteTaskStore(path: path, maxQueued: 3, clock: { 1_000 })
            defer { reopened.close() }
            await #expect(throws: TaskStoreFull(maxQueued: 3)) { try await reopened.enqueue([self.task("e")]) }
            #expect(try await reopened.cancel(id: 4) == .cancelled)
            #expect(try await reopened.enqueue([task("e")]) == [.inserted(5)])
            #expect(try await reopened.retry(id: 4) == .available)  // back among the unfinished: past the limit, but a retry is not refused
            await #expect(throws: TaskStoreFull(maxQueued: 3)) { try await reopened.enqueue([self.task("f")]) }
        }
    }

    @Test func aBatchOfCallersIsAnsweredPerCallerInOrder() async throws {
        try await withStore(maxQueued: 4) { store, _ in
            let results = await withCheckedContinuation { continuation in
                store.enqueue(batch: [
                    [task("a"), task("b", uniqueKey: "k")],
                    [task("c"), task("d"), task("e")],  // would pass maxQueued: refused alone
                    [task("f", uniqueKey: "k")],  // the key is held by the first caller's task
                    [task("g")],
                ]) { continuation.resume(returning: $0) }
            }
            #expect(results.count == 4)
            let (first, third, fourth) = (try results[0].get(), try results[2].get(), try results[3].get())
            #expect(first == [.inserted(1), .inserted(2)])
            #expect(throws: TaskStoreFull(maxQueued: 4)) { try results[1].get() }
            #expect(third == [.duplicate(of: 2)])
            #expect(fourth == [.inserted(4)])
            #expect(try await store.counts()["default"]?[.available] == 3)  // nothing of the refused caller
        }
    }

    #if os(Linux)
    /// The scheduling policies (`/proc/self/task/*/stat` field 41) of this process's store
    /// writer threads.
    func writerPolicies() -> [Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { tid in
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == "eventide-tasks",
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name start at field 3 (state).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 38 ? Int(fields[38]) : nil
        }
    }

    @Test func theWriterIsABatchThreadUnlessAskedNotTo() async throws {
        try await withStore { _, _ in
            #expect(writerPolicies().contains(3))  // SCHED_BATCH
            #expect(!writerPolicies().contains(0))  // every store of these tests is a batch one
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let ordinary = try SQLiteTaskStore(path: directory.appendingPathComponent("tasks.db").path, batchThread: false)
            #expect(writerPolicies().contains(0))  // SCHED_OTHER
            ordinary.close()
        }
    }
    #endif

    @Test func aTaskStoredForItsWorkerIsRunningAtOnce() async throws {
        try await withStore { store, _ in
            var due = task("now")
            due.claimedBy = "me"
            var later = task("later")
            later.claimedBy = "me"
            later.runAt = 5_000
            #expect(try await store.enqueue([due, later]) == [.claimed(1), .inserted(2)])
            let running = try #require(try await store.record(id: 1))
            #expect(running.state == .running)
            #expect(running.attempt == 1)
            #expect(running.attemptedAt == 1_000)
            #expect(try await store.record(id: 2)?.state == .scheduled)
            // Nobody else can claim it; a restart of another worker rescues it.
            #expect(try await store.claim(.named("default"), limit: 10, worker: "other").isEmpty)
            #expect(try await store.rescue(keeping: ["other"]) == 1)
            #expect(try await store.claim(.named("default"), limit: 10, worker: "other").map(\.attempt) == [2])
        }
    }

    @Test func anUnusableFileIsReportedAtOpen() throws {
        #expect(throws: (any Error).self) { _ = try SQLiteTaskStore(path: "/nonexistent-dir/tasks.db") }
    }
}
