import Eventide
import Testing

/// Waits (polling the store every 10 ms, up to 20 s) until task `id` of `queue` is in a
/// final state, and returns it.
func settled(_ queue: TaskQueue, _ id: Int64) async throws -> DurableTaskRecord {
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline {
        if let record = try await queue.task(id: id), record.state.isFinal { return record }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw CancellationError()
}

extension TaskQueue {
    /// The queue's store as the SQLite store it is in these tests.
    var sqliteStore: SQLiteTaskStore {
        get throws { try #require(store as? SQLiteTaskStore) }
    }
}
