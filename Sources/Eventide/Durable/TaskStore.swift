import EventideUVLoop

/// Where a `TaskQueue` keeps its durable tasks: an SQLite file (`SQLiteTaskStore`) on
/// one machine, PostgreSQL for many. Every change is made for a batch of tasks at a time
/// (insert many, claim many, resolve many), because group commit is what makes durable
/// tasks cheap: a store takes the calls that arrive while one commit is in flight into
/// the next one. A call returns once what it changed is committed.
///
/// Times are milliseconds since the Unix epoch on the store's clock (`now()`), so every
/// process of a fleet agrees on what is due.
package protocol TaskStore: Sendable {
    /// The store's time.
    func now() -> Int64

    /// Stores `tasks` in one transaction (all or none), in order, and returns what each
    /// became: a new row, or the id of the task already holding its unique key. A task
    /// with `claimedBy` set and due now is stored `running` for that worker (the process
    /// that stored it runs it at once: no claim needed).
    ///
    /// `completion` gets the outcomes once the transaction is committed (or the error:
    /// `TaskStoreFull` when the store holds `maxQueued` unfinished tasks already, and
    /// nothing is stored), on a thread of the store's: a request's commit goes back to
    /// its loop from there without a Swift task of its own.
    func enqueue(_ tasks: [NewDurableTask], completion: @escaping EnqueueCompletion)

    /// `enqueue` for several callers at once (a loop iteration's requests): each caller's
    /// tasks are stored all or none, in order, and refused or failed alone; `completion`
    /// gets one result per caller, in their order, on a thread of the store's. One
    /// hand-over and one answer for all of them instead of one each.
    func enqueue(batch: [[NewDurableTask]], completion: @escaping BatchEnqueueCompletion)

    /// Takes up to `limit` due tasks of `queues` for `worker`: the lowest priority number
    /// first, then the earliest due, then the oldest. They become `running` with their
    /// attempt counted, and are returned in that order.
    func claim(_ queues: TaskQueueSelection, limit: Int, worker: String) async throws -> [ClaimedTask]

    /// Records how runs ended, without waiting: `completion` is called once that is
    /// committed (with nil) or failed (with the error), on a thread of the store's. Only a
    /// task still `running` changes (one cancelled or rescued meanwhile keeps its newer
    /// state). Workers call it from wherever a run ended, a blocking pool thread included.
    func resolve(_ results: [TaskResult], completion: @escaping @Sendable ((any Error)?) -> Void)

    /// Makes the tasks left `running` by workers not in `alive` available again, their
    /// attempt kept counted (the run may have happened). Returns how many.
    func rescue(keeping alive: Set<String>) async throws -> Int

    /// The task `id` as stored (nil: none).
    func record(id: Int64) async throws -> DurableTaskRecord?

    /// Up to `limit` tasks in `state` (of `queue` only, when given), the newest first: for
    /// a final state the last to finish, for the others the last stored.
    func records(in state: DurableTaskState, queue: String?, limit: Int) async throws -> [DurableTaskRecord]

    /// Deletes task `id` unless it is running. Returns the state it had: the one it was
    /// deleted in, `running` when it was left alone, nil when there is no such task.
    func delete(id: Int64) async throws -> DurableTaskState?

    /// Cancels task `id` unless it is running or finished; returns its state afterwards.
    func cancel(id: Int64) async throws -> DurableTaskState?

    /// Makes task `id` available now unless it is running, with one more attempt allowed
    /// if it had used them all; returns its state afterwards.
    func retry(id: Int64) async throws -> DurableTaskState?

    /// Pauses `queue` (no task of it starts, in any process, until it is resumed; running
    /// ones finish) or resumes it. Kept in the store: a restart keeps it paused.
    func setPaused(_ paused: Bool, queue: String) async throws

    /// How many tasks each queue holds in each state.
    func counts() async throws -> [String: [DurableTaskState: Int]]

    /// Deletes up to `limit` completed tasks finished before `completedBefore`, and
    /// discarded and cancelled ones finished before `othersBefore`. Returns how many (the
    /// caller calls again while it gets `limit`: one short transaction each, between
    /// other work).
    func deleteFinished(completedBefore: Int64, othersBefore: Int64, limit: Int) async throws -> Int

    /// Adds a run of each periodic task whose next run is due (one for all the runs missed
    /// while no worker was running, or each of them for a schedule that catches up), and
    /// moves its next run on; a schedule seen for the first time, or changed, gets its
    /// next run counted from now. One transaction: a run is added exactly once per period,
    /// across restarts. Returns how many tasks were added.
    func enqueueDue(_ schedules: [PeriodicTask]) async throws -> Int

    /// Finishes the calls in flight and releases the store; later calls throw.
    func close() async

    /// Whether this process does the store-wide chores: adding periodic tasks, deleting
    /// finished ones past their retention. True for a store only one process uses (an
    /// SQLite file); a store shared by a fleet elects one process.
    var isCoordinator: Bool { get }

    /// Calls `handler` with a queue's name when another process stored tasks due now in
    /// it, or with nil when tasks of any queue may have been stored unannounced (after a
    /// lost connection). Nothing for a store only this process writes: it wakes its
    /// workers itself.
    func onTasksAvailable(_ handler: @escaping @Sendable (String?) -> Void)
}

extension TaskStore {
    package var isCoordinator: Bool { true }
    package func onTasksAvailable(_ handler: @escaping @Sendable (String?) -> Void) {}
}

/// What a store calls when an `enqueue` is committed or failed.
package typealias EnqueueCompletion = @Sendable (Result<[EnqueueOutcome], any Error>) -> Void

extension TaskStore {
    /// Stores `tasks` in one transaction and returns what each became once committed.
    package func enqueue(_ tasks: [NewDurableTask]) async throws -> [EnqueueOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(tasks) { continuation.resume(with: $0) }
        }
    }

    /// Records how runs ended and returns once that is committed.
    package func resolve(_ results: [TaskResult]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            resolve(results) { error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }
}

/// Which queues a claim takes from.
package enum TaskQueueSelection: Sendable, Hashable {
    /// This queue.
    case named(String)
    /// Every queue but these (the workers of the queues nobody named).
    case allExcept(Set<String>)
}

/// How one run of a task ended, for `TaskStore.resolve`.
package struct TaskResult: Sendable, Equatable {
    package var id: Int64
    /// The run's attempt number: a store shared by many processes changes the task only
    /// while this run still holds it (a rescued task claimed again has a newer attempt).
    package var attempt: Int
    package var resolution: TaskResolution

    package init(id: Int64, attempt: Int, _ resolution: TaskResolution) {
        self.id = id
        self.attempt = attempt
        self.resolution = resolution
    }
}

/// A store refused new tasks: it holds its `maxQueued` unfinished tasks already.
public struct TaskStoreFull: Error, Sendable, Equatable, CustomStringConvertible {
    /// The limit (`TaskQueue.Configuration.maxQueued`).
    public let maxQueued: Int

    package init(maxQueued: Int) { self.maxQueued = maxQueued }

    public var description: String { "the task store holds its limit of \(maxQueued) unfinished tasks" }
}

/// What a store calls when an `enqueue(batch:completion:)` is committed or failed: a
/// result per caller, in order.
package typealias BatchEnqueueCompletion = @Sendable ([Result<[EnqueueOutcome], any Error>]) -> Void

extension TaskStore {
    /// One `enqueue` per caller (a store that groups calls on its own, as PostgreSQL's
    /// batcher does), answered together once all are.
    package func enqueue(batch: [[NewDurableTask]], completion: @escaping BatchEnqueueCompletion) {
        guard !batch.isEmpty else { return completion([]) }
        let gathered = Locked((results: [Result<[EnqueueOutcome], any Error>?](repeating: nil, count: batch.count), left: batch.count))
        for (index, tasks) in batch.enumerated() {
            enqueue(tasks) { result in
                let all = gathered.withLock { state -> [Result<[EnqueueOutcome], any Error>]? in
                    state.results[index] = result
                    state.left -= 1
                    return state.left == 0 ? state.results.compactMap { $0 } : nil
                }
                if let all { completion(all) }
            }
        }
    }
}
