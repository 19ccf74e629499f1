@testable import Eventide
import Foundation
import Testing

/// `TaskQueue.tasks(in:queue:limit:)` and `TaskQueue.delete(id:)`, the same checks on a real
/// SQLite file and a real PostgreSQL database.
@Suite struct TaskListingTests {
    /// Arguments with markup in them: stored and listed as they are.
    static let arguments = #"{"text":"<script>alert(1)</script>"}"#

    static func row(queue: String = "default", key: String? = nil) -> NewDurableTask {
        NewDurableTask(kind: "note", queue: queue, arguments: Array(arguments.utf8), runAt: 0, maxAttempts: 3, uniqueKey: key)
    }

    /// Stores tasks, makes some running and discarded through the store (the queue runs
    /// nothing: `workers: .none`), then lists and deletes.
    static func listAndDelete(_ queue: TaskQueue) async throws {
        let store = queue.store
        let ids = try await store.enqueue([row(), row(), row(), row(queue: "mail")]).map(\.id)
        let (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3])
        let claimed = try await store.claim(.named("default"), limit: 2, worker: queue.workerID)
        #expect(claimed.map(\.id) == [a, b])
        try await store.resolve([TaskResult(id: a, attempt: 1, .discard(error: "first <failure>"))])
        try await store.resolve([TaskResult(id: b, attempt: 1, .discard(error: "second"))])

        // Final states: the last to finish first (a tie on the time: the newer task first).
        let discarded = try await queue.tasks(in: .discarded)
        #expect(discarded.map(\.id) == [b, a])
        #expect(discarded.map(\.state) == [.discarded, .discarded])
        #expect(discarded.last?.arguments == arguments)
        #expect(discarded.last?.errors.map(\.error) == ["first <failure>"])
        #expect(discarded.last?.attempt == 1 && discarded.last?.maxAttempts == 3 && discarded.last?.finishedAt != nil)
        #expect(try await queue.tasks(in: .discarded, limit: 1).map(\.id) == [b])
        #expect(try await queue.tasks(in: .discarded, queue: "mail").isEmpty)
        // Waiting states: the last stored first, per queue when asked.
        #expect(try await queue.tasks(in: .available).map(\.id) == [d, c])
        #expect(try await queue.tasks(in: .available, queue: "mail").map(\.id) == [d])
        #expect(try await queue.tasks(in: .completed).isEmpty)
        #expect(try await queue.task(id: c)?.arguments == arguments)

        // A running task is not deleted.
        #expect(try await store.claim(.named("default"), limit: 1, worker: queue.workerID).map(\.id) == [c])
        await #expect(throws: DurableTaskRunning(id: c)) { try await queue.delete(id: c) }
        #expect(try await queue.task(id: c)?.state == .running)
        // Others are, once.
        #expect(try await queue.delete(id: b) == .discarded)
        #expect(try await queue.task(id: b) == nil)
        #expect(try await queue.delete(id: b) == nil)
        #expect(try await queue.delete(id: d) == .available)
        let counts = try await queue.counts()
        #expect(counts["default"] == [.discarded: 1, .running: 1])
        #expect(counts["mail"] == nil)

        // Deleting a waiting task frees its unique key.
        let keyed = try await store.enqueue([row(key: "k")])[0].id
        #expect(try await store.enqueue([row(key: "k")])[0] == .duplicate(of: keyed))
        #expect(try await queue.delete(id: keyed) == .available)
        guard case .inserted = try await store.enqueue([row(key: "k")])[0] else {
            Issue.record("the key should be free once its holder was deleted")
            return
        }
    }

    @Test func sqliteListsTheNewestTasksOfAStateAndDeletesAnyButARunningOne() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-listing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try TaskQueue(store: .sqlite(path: directory.appendingPathComponent("tasks.db").path), tasks: [], workers: .none)
        try await Self.listAndDelete(queue)
        await queue.shutdown()
    }

    @Test func postgresListsTheNewestTasksOfAStateAndDeletesAnyButARunningOne() async throws {
        let url = try await PostgresTestDatabase.fresh()
        // Not started: it registers with the fleet (claims need that) and runs nothing.
        let queue = try TaskQueue(store: .postgres(url), tasks: [], workers: .none)
        try await Self.listAndDelete(queue)
        await queue.shutdown()
    }
}
