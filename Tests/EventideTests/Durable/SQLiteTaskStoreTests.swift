import Eventide
import Foundation
import Testing

/// The SQLite store's writer thread and group commit, on a real file.
@Suite struct SQLiteTaskStoreTests {
    func withStore<Result>(_ body: (SQLiteTaskStore, String) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tasks.db").path
        let store = try SQLiteTaskStore(path: path, clock: { 1_000 })
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

    @Test func anUnusableFileIsReportedAtOpen() throws {
        #expect(throws: (any Error).self) { _ = try SQLiteTaskStore(path: "/nonexistent-dir/tasks.db") }
    }
}
