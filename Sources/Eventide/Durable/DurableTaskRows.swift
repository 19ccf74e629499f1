/// A task to store: what `tasks.add(durable:)` and `TaskQueue.enqueue` hand a store.
/// Times are milliseconds since the Unix epoch.
package struct NewDurableTask: Sendable, Equatable {
    /// The registered kind (`DurableTask.name`).
    package var kind: String
    package var queue: String
    /// The task's arguments, JSON-encoded.
    package var arguments: [UInt8]
    /// Lower runs first.
    package var priority: Int
    /// Not before this time.
    package var runAt: Int64
    package var maxAttempts: Int
    /// While a task with this key is scheduled, available, running or retryable, no
    /// second one with it is stored.
    package var uniqueKey: String?
    /// When set and the task is due at once, it is stored already `running` for this
    /// worker (attempt 1): the process that stores it runs it without claiming it.
    package var claimedBy: String?
    /// How long one run may take, in milliseconds (nil: the queue's default).
    package var timeout: Int64?
    /// The task `arguments` were encoded from, when this process made the row (not
    /// stored): handed straight to this process's worker, it runs without being decoded.
    package var encodedFrom: EncodedTask?

    package init(
        kind: String, queue: String = "default", arguments: [UInt8], priority: Int = 0, runAt: Int64, maxAttempts: Int = 20,
        uniqueKey: String? = nil, claimedBy: String? = nil, timeout: Int64? = nil, encodedFrom: EncodedTask? = nil
    ) {
        self.kind = kind
        self.queue = queue
        self.arguments = arguments
        self.priority = priority
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.uniqueKey = uniqueKey
        self.claimedBy = claimedBy
        self.timeout = timeout
        self.encodedFrom = encodedFrom
    }
}

/// A task value beside the arguments encoded from it, within one process: what a worker
/// of the process that stored the task runs instead of decoding the arguments again
/// (the same value, by `Codable`'s round trip). Rows compare by what is stored, so this
/// carrier compares equal to any other. A class: rows are copied on their way to the
/// store, and a reference copies cheaper than an existential.
package final class EncodedTask: Sendable, Equatable {
    package let task: any DurableTask
    /// How it runs on the queue's blocking pool (nil: an async task), known here once
    /// rather than found per run.
    package let runBlocking: BlockingRun?

    package init(_ task: any DurableTask, runBlocking: BlockingRun?) {
        self.task = task
        self.runBlocking = runBlocking
    }

    package static func == (_: EncodedTask, _: EncodedTask) -> Bool { true }
}

/// What storing one task did.
package enum EnqueueOutcome: Sendable, Equatable {
    /// Stored with this id (`running` for its `claimedBy` worker when that was set and
    /// the task was due: see `claimed`).
    case inserted(Int64)
    /// Stored `running` with this id for the task's `claimedBy` worker.
    case claimed(Int64)
    /// Not stored: the task with this id holds its unique key.
    case duplicate(of: Int64)

    /// The id of the task that will run: the new one or the one that won the key.
    package var id: Int64 {
        switch self {
        case .inserted(let id), .claimed(let id), .duplicate(of: let id): id
        }
    }
}

/// A task a worker took: it is `running` with `attempt` counted.
package struct ClaimedTask: Sendable, Equatable {
    package var id: Int64
    package var kind: String
    package var queue: String
    package var arguments: [UInt8]
    package var priority: Int
    /// 1 on the first run.
    package var attempt: Int
    package var maxAttempts: Int
    /// When it was due (its wait before this run started is measured from here).
    package var runAt: Int64
    /// How long this run may take, in milliseconds (nil: the queue's default).
    package var timeout: Int64?
    /// The value its arguments were encoded from, when this process stored it (see
    /// `NewDurableTask.encodedFrom`); nil for a task claimed from the store.
    package var encodedFrom: EncodedTask?

    /// The task `row` became when it was stored with `id`, running for its `claimedBy`.
    package init(stored row: NewDurableTask, id: Int64) {
        self.init(
            id: id, kind: row.kind, queue: row.queue, arguments: row.arguments, priority: row.priority, attempt: 1,
            maxAttempts: row.maxAttempts, runAt: row.runAt, timeout: row.timeout)
        encodedFrom = row.encodedFrom
    }

    package init(
        id: Int64, kind: String, queue: String, arguments: [UInt8], priority: Int, attempt: Int, maxAttempts: Int, runAt: Int64,
        timeout: Int64?
    ) {
        self.id = id
        self.kind = kind
        self.queue = queue
        self.arguments = arguments
        self.priority = priority
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.runAt = runAt
        self.timeout = timeout
    }
}

/// How a run ended, as the store records it.
package enum TaskResolution: Sendable, Equatable {
    case completed
    /// Failed; runs again at `at`.
    case retry(at: Int64, error: String)
    /// Failed for good (last attempt, or a task that cannot run): kept with its error.
    case discard(error: String)
    /// Stopped by the task itself or by `cancel`.
    case cancel(reason: String)
    /// Postponed by the task itself to `until`, without spending an attempt.
    case snooze(until: Int64)
    /// Interrupted by a shutdown: available again at once, without spending an attempt.
    case putBack
}

/// One task as stored, for `TaskQueue.task(id)` and the dashboard.
public struct DurableTaskRecord: Sendable, Equatable {
    /// The task's id in its store.
    public var id: Int64
    /// Its registered kind (`DurableTask.name`).
    public var kind: String
    /// The queue it runs in.
    public var queue: String
    /// Its arguments as stored: the task's fields encoded as JSON text (what `run` gets
    /// decoded), for showing or inspecting; decode them with `JSONDecoder` into the task's type.
    public var arguments: String
    /// Where it is in its life.
    public var state: DurableTaskState
    /// Lower runs first.
    public var priority: Int
    /// Runs started so far.
    public var attempt: Int
    /// Runs allowed in all.
    public var maxAttempts: Int
    /// The key that keeps a second such task out while this one waits or runs.
    public var uniqueKey: String?
    /// When it was stored, in milliseconds since the Unix epoch (as every time here).
    public var createdAt: Int64
    /// When it is or was due.
    public var runAt: Int64
    /// When its last run started.
    public var attemptedAt: Int64?
    /// When it reached a final state.
    public var finishedAt: Int64?
    /// The errors of its failed runs, oldest first.
    public var errors: [DurableTaskFailure]
}

/// One failed run of a durable task.
public struct DurableTaskFailure: Sendable, Equatable, Codable {
    /// Which run (1 = the first).
    public var attempt: Int
    /// When it failed, in milliseconds since the Unix epoch.
    public var at: Int64
    /// What the run threw (its description).
    public var error: String

    /// A failed run `attempt` at `at` (milliseconds since the Unix epoch) with `error`.
    public init(attempt: Int, at: Int64, error: String) {
        self.attempt = attempt
        self.at = at
        self.error = error
    }
}
