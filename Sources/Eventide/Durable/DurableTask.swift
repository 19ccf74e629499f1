import EventideUVLoop
import Logging

/// A background task that survives a crash: its arguments are its stored fields, its
/// kind is `name`, and `run` is called (at least once) by a worker of the `TaskQueue`
/// that stores it, after the response that added it was committed.
///
/// ```swift
/// struct SendWelcome: DurableTask {
///     static let name = "send_welcome"
///     var email: String
///     func run(_ context: DurableTaskContext) async throws {
///         try await mailer.send(to: email, template: "welcome")
///     }
/// }
/// ```
///
/// `run` may see the same task twice (a worker killed after the work, before its result
/// was stored): `context.attempt` tells which run this is. Throwing schedules a retry;
/// throwing `DurableTaskError.cancel` or `.snooze(for:)` stops or postpones it.
public protocol DurableTask: Codable, Sendable {
    /// The stable kind stored with each task: keep it when renaming the type.
    static var name: String { get }
    /// Does the work. Runs in a Swift task; blocking work goes through
    /// `context.runBlocking`, never onto a loop thread.
    func run(_ context: DurableTaskContext) async throws
}

/// A durable task whose work blocks (file or database I/O, a synchronous client): its
/// `run` is called on the queue's blocking thread pool, as FastAPI runs a plain `def`
/// task on its thread pool, with no Swift task around it.
///
/// ```swift
/// struct WriteReport: BlockingDurableTask {
///     static let name = "write_report"
///     var month: String
///     func run(_ context: DurableTaskContext) throws {
///         try Report(month: month).write(to: "reports/\(month).csv")
///     }
/// }
/// ```
///
/// A blocking run cannot be interrupted: past its timeout, or at shutdown, it is asked
/// to stop (`context.isCancelled` turns true) and counted as timed out or put back when
/// it ends; long work should check `isCancelled` between steps.
public protocol BlockingDurableTask: DurableTask {
    /// Does the work, on a thread of the queue's blocking pool.
    func run(_ context: DurableTaskContext) throws
}

extension BlockingDurableTask {
    /// Runs the blocking `run` on the blocking pool (for callers in async code).
    public func run(_ context: DurableTaskContext) async throws {
        try await context.runBlocking { try self.run(context) }
    }

    /// Runs a value of this type handed over as `any DurableTask` (see `BlockingRun`).
    static var blockingRun: BlockingRun {
        { task, context in
            // A cast to the concrete type: one to the protocol costs a conformance lookup
            // per run (about 1,000 instructions). The value is of this type by construction
            // (`TaskQueue.RegisteredKind`); anything else is refused as not registered.
            guard let task = task as? Self else { throw DurableTaskUnavailable.unregistered(kind: Self.name) }
            try task.run(context)
        }
    }
}

/// Runs a value of one `BlockingDurableTask` type, handed over as `any DurableTask`, on the
/// calling thread (one of the blocking pool's).
package typealias BlockingRun = @Sendable (any DurableTask, DurableTaskContext) throws -> Void

/// What `run` throws to end a task other than by failing.
public enum DurableTaskError: Error, Sendable, Equatable {
    /// Stop for good: the task becomes `cancelled`, not retried.
    case cancel(reason: String)
    /// Run again after `duration`, without spending an attempt.
    case snooze(for: Duration)
}

/// What a running durable task knows about itself.
public struct DurableTaskContext: Sendable {
    /// The task's id in its store.
    public let id: Int64
    /// Which run this is: 1 the first time.
    public let attempt: Int
    /// Runs allowed in all.
    public let maxAttempts: Int
    /// The queue it runs in.
    public let queue: String
    /// The task's registered kind (`DurableTask.name`).
    public let kind: String
    /// The queue's logger with `task-id` and `task` metadata (made on each access: keep
    /// it in a variable to log many lines).
    public var logger: Logger {
        var logger = queueLogger
        logger[metadataKey: "task-id"] = "\(id)"
        logger[metadataKey: "task"] = "\(kind)"
        return logger
    }
    /// The queue's own logger: most runs never log, and metadata costs on every copy.
    let queueLogger: Logger
    let blockingPool: WorkerPool
    /// Whether the worker asked this run to stop (a blocking run has no Swift task whose
    /// cancellation could say so).
    let stopRequested: @Sendable () -> Bool

    /// Runs blocking `work` (file or database I/O, a long computation) on the queue's
    /// blocking thread pool and returns its result, without holding a loop thread or a
    /// thread of Swift's cooperative pool.
    ///
    /// - Throws: what `work` throws; `CancellationError` when the pool has stopped.
    public func runBlocking<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let context = self
            let submitted = blockingPool.submit { cancelled in
                if cancelled { return continuation.resume(throwing: CancellationError()) }  // dropped at shutdown
                continuation.resume(with: Swift.Result { try Self.$current.withValue(context) { try work() } })
            }
            if !submitted { continuation.resume(throwing: CancellationError()) }
        }
    }

    /// Whether the task was asked to stop (its timeout passed or the queue is shutting
    /// down): long work should check it, or call `Task.checkCancellation()`.
    public var isCancelled: Bool { Task.isCancelled || stopRequested() }

    /// The context of the durable task running in this Swift task (and in the work it
    /// hands to `runBlocking`), for code that `run` calls without passing it along: a
    /// logger, a metric tagged with the task id. Nil outside durable tasks.
    @TaskLocal public static var current: DurableTaskContext?
}
