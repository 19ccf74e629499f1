import Eventide

/// A durable task that always throws, for the fault tests (`Benchmarks/faults/durable_failing.py`):
/// `POST /durable-failing/{name}` stores one with 3 attempts, so it is retried twice with the
/// queue's backoff (Sidekiq's by default: 15-24 s, then 16-34 s) and then `discarded`
/// with its three errors kept.
struct DurableFailing: DurableTask {
    static let name = "durable_failing"
    /// The attempts `POST /durable-failing/{name}` gives it.
    static let attempts = 3
    var label: String

    func run(_ context: DurableTaskContext) async throws {
        throw FailedOnPurpose(label: label, attempt: context.attempt, maxAttempts: context.maxAttempts)
    }

    struct FailedOnPurpose: Error, CustomStringConvertible {
        let label: String
        let attempt: Int
        let maxAttempts: Int
        var description: String { "durable-failing \(label) fails on purpose (attempt \(attempt) of \(maxAttempts))" }
    }
}
