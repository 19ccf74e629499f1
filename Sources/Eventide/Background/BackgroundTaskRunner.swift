import EventideUVLoop
import Logging
import Synchronization

/// Runs one request's tasks in order (rules 4, 9, 11): each failure is logged once,
/// counted and reported, and later tasks still run unless `stopOnFirstError`.
///
/// Two ways: `runOnPool` runs a list made only of blocking pool tasks on one pool
/// thread, back to back (no hop to the loop between tasks: the common case, and the
/// cheapest); `run` drives any other list from a Swift task on the request's loop.
struct BackgroundTaskRunner: Sendable {
    typealias Entry = BackgroundTaskLifecycle.Entry

    let service: BackgroundTaskLifecycle.Shared
    let requestID: RequestID
    let logger: Logger

    /// Whether `runOnPool` can take `entries`.
    static func poolOnly(_ entries: [Entry]) -> Bool {
        entries.allSatisfy { entry in
            if case .blocking = entry.task.body { return entry.task.runsOffLoop }
            return false
        }
    }

    /// Runs blocking tasks on the calling pool thread. Tasks not started yet are
    /// cancelled when the job was `dropped` or once `cancelled` (the shutdown deadline).
    func runOnPool(_ entries: [Entry], dropped: Bool, cancelled: borrowing Atomic<Bool>) {
        var stopped = false
        for (task, handle) in entries {
            if stopped || dropped || cancelled.load(ordering: .relaxed) {
                service.counters.drop(handle, as: stopped ? .skipped : .cancelled)
                continue
            }
            guard case .blocking(let call) = task.body else { continue }
            let (context, start) = begin(task, handle)
            var failure: (any Error)?
            do {
                try BackgroundTaskContext.$current.withValue(context) { _ = try call(false) }
            } catch {
                failure = error
            }
            if finish(task, handle, context: context, start: start, failure: failure, wasCancelled: false) { stopped = true }
        }
    }

    /// Runs any list on `executor` (the request's loop).
    func run(_ entries: [Entry], executor: BackgroundTaskExecutor) async {
        var stopped = false
        for (task, handle) in entries {
            if stopped || Task.isCancelled {
                service.counters.drop(handle, as: stopped ? .skipped : .cancelled)
                continue
            }
            executor.currentTask = task.name
            let (context, start) = begin(task, handle)
            var failure: (any Error)?
            do {
                try await BackgroundTaskContext.$current.withValue(context) { try await perform(task, context: context) }
            } catch {
                failure = error
            }
            let wasCancelled = failure is CancellationError && Task.isCancelled
            if finish(task, handle, context: context, start: start, failure: failure, wasCancelled: wasCancelled) { stopped = true }
        }
    }

    private func begin(_ task: BackgroundTask, _ handle: BackgroundTaskHandle) -> (BackgroundTaskContext, UInt64) {
        handle.markRunning()
        let start = EventLoop.monotonicNanoseconds
        service.counters.started(waitedNanoseconds: start &- handle.addedAt)
        return (BackgroundTaskContext(requestID: requestID, taskName: task.name, baseLogger: logger), start)
    }

    /// Records the outcome. Returns true when the rest of the list must be skipped.
    private func finish(
        _ task: BackgroundTask, _ handle: BackgroundTaskHandle, context: BackgroundTaskContext, start: UInt64,
        failure: (any Error)?, wasCancelled: Bool
    ) -> Bool {
        let state: BackgroundTaskState
        if wasCancelled {
            state = .cancelled
        } else if let failure {
            state = .failed("\(failure)")
            context.logger.error("background task failed", metadata: ["error": "\(failure)"])
            service.configuration.onFailure?(BackgroundTaskFailure(taskName: task.name, requestID: requestID, error: failure))
        } else {
            state = .succeeded
        }
        // Counted before the handle says so: whoever awaited `completion()` sees it in the statistics.
        service.counters.finished(state, durationNanoseconds: EventLoop.monotonicNanoseconds - start)
        handle.finish(state)
        if case .failed = state { return service.configuration.stopOnFirstError }
        return false
    }

    private func perform(_ task: BackgroundTask, context: BackgroundTaskContext) async throws {
        switch task.body {
        case .blocking(let call) where task.runsOffLoop:
            try await runOnPool(call, context: context)
        case .blocking(let call):
            _ = try call(false)
        case .async(let function, _) where task.runsOffLoop:
            try await Task.detached {
                try await BackgroundTaskContext.$current.withValue(context) { try await function() }
            }.value
        case .async(let function, _):
            try await function()
        }
    }

    /// One blocking function on the pool, from a loop sequence; resumes on the loop.
    private func runOnPool(
        _ call: @escaping @Sendable (_ inspect: Bool) throws -> [any Sendable], context: BackgroundTaskContext
    ) async throws {
        let pool = service.pool
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = pool.submit { cancelled in
                guard !cancelled else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                do {
                    try BackgroundTaskContext.$current.withValue(context) { _ = try call(false) }
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            if !accepted { continuation.resume(throwing: CancellationError()) }
        }
    }
}
