import Logging

/// Runs one request's tasks in order (rules 4, 9, 11): each failure is logged once,
/// counted and reported, and later tasks still run unless `stopOnFirstError`.
struct BackgroundTaskRunner: Sendable {
    let service: BackgroundTaskService
    let executor: BackgroundTaskExecutor
    let requestID: RequestID
    let logger: Logger

    /// Runs on `executor` (the request's loop).
    func run(_ bound: LoopBound<BackgroundTaskScheduler.Sequence>) async {
        var stopped = false
        let entries = bound.value.entries
        for (index, (task, handle)) in entries.enumerated() {
            bound.value.next = index
            if stopped || Task.isCancelled {
                let state: BackgroundTaskState = stopped ? .skipped : .cancelled
                handle.finish(state)
                service.counters.dropped(state)
                continue
            }
            let state = await execute(task, handle)
            if case .failed = state, service.configuration.stopOnFirstError { stopped = true }
        }
        bound.value.next = entries.count
    }

    private func execute(_ task: BackgroundTask, _ handle: BackgroundTaskHandle) async -> BackgroundTaskState {
        executor.currentTask = task.name
        handle.markRunning()
        service.counters.started()
        let start = EventLoop.monotonicNanoseconds
        var taskLogger = logger
        taskLogger[metadataKey: "request-id"] = "\(requestID)"
        taskLogger[metadataKey: "task"] = "\(task.name)"
        let context = BackgroundTaskContext(requestID: requestID, taskName: task.name, logger: taskLogger)
        let state: BackgroundTaskState
        do {
            try await BackgroundTaskContext.$current.withValue(context) {
                try await perform(task, context: context)
            }
            state = .succeeded
        } catch is CancellationError where Task.isCancelled {
            state = .cancelled
        } catch {
            state = .failed("\(error)")
            taskLogger.error("background task failed", metadata: ["error": "\(error)"])
            service.configuration.onFailure?(BackgroundTaskFailure(taskName: task.name, requestID: requestID, error: error))
        }
        handle.finish(state)
        service.counters.finished(state, durationNanoseconds: EventLoop.monotonicNanoseconds - start)
        return state
    }

    private func perform(_ task: BackgroundTask, context: BackgroundTaskContext) async throws {
        switch task.body {
        case .blocking(let function) where task.runsOffLoop:
            try await runOnPool(function, context: context)
        case .blocking(let function):
            try function()
        case .async(let function) where task.runsOffLoop:
            try await Task.detached {
                try await BackgroundTaskContext.$current.withValue(context) { try await function() }
            }.value
        case .async(let function):
            try await function()
        }
    }

    /// Runs a blocking function on the pool; the sequence resumes on its loop after.
    private func runOnPool(_ function: @escaping @Sendable () throws -> Void, context: BackgroundTaskContext) async throws {
        let pool = service.pool
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let accepted = pool.submit {
                do {
                    try BackgroundTaskContext.$current.withValue(context) { try function() }
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            if !accepted { continuation.resume(throwing: CancellationError()) }
        }
    }
}
