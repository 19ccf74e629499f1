import Logging
import Synchronization

/// Starts each request's task list on one loop and keeps track of what is unfinished
/// for shutdown. Loop-bound.
package final class BackgroundTaskScheduler {
    package typealias Entry = (task: BackgroundTask, handle: BackgroundTaskHandle)

    /// One request's tasks, and how to stop them at the deadline.
    final class Sequence: Sendable {
        let entries: [Entry]
        let cancelled = Atomic<Bool>(false)
        let task = Locked<Task<Void, Never>?>(nil)

        init(entries: [Entry]) { self.entries = entries }

        func cancel() {
            cancelled.store(true, ordering: .relaxed)
            task.withLock { $0 }?.cancel()
        }
    }

    let loop: EventLoop
    let service: BackgroundTaskService
    private var sequences: [UInt64: Sequence] = [:]
    private var nextSequenceID: UInt64 = 0
    /// Pool-only sequences started during one loop iteration go to the pool together.
    private var poolQueue: PoolSubmissionQueue?
    private var closed = false
    /// Called when the last running sequence finished (shutdown waits for it).
    var onIdle: (() -> Void)?

    package init(loop: EventLoop, service: BackgroundTaskService) {
        self.loop = loop
        self.service = service
    }

    var isIdle: Bool { sequences.isEmpty }

    /// Names of the tasks not finished yet.
    var unfinishedTaskNames: [String] {
        sequences.values.flatMap { $0.entries.filter { !$0.handle.state.isFinal }.map(\.handle.name) }
    }

    /// Starts `entries` now, one after another.
    package func run(_ entries: [Entry], requestID: RequestID, logger: Logger) {
        guard !entries.isEmpty else { return }
        nextSequenceID += 1
        let id = nextSequenceID
        let sequence = Sequence(entries: entries)
        sequences[id] = sequence
        let runner = BackgroundTaskRunner(service: service, requestID: requestID, logger: logger)
        let this = LoopBound(self, loop: loop)
        if BackgroundTaskRunner.poolOnly(entries) {
            submitToPool { [loop] cancelled in
                // Dropped at the shutdown deadline (or the pool already closed): every
                // task is marked cancelled and nothing runs.
                if cancelled { sequence.cancel() }
                runner.runOnPool(entries, sequence: sequence)
                loop.execute { this.value.sequenceFinished(id) }
            }
            return
        }
        let executor = makeExecutor(requestID: requestID, logger: logger)
        sequence.task.withLock { task in
            task = Task(executorPreference: executor) {
                await runner.run(entries, executor: executor)
                this.value.sequenceFinished(id)
            }
        }
    }

    private func submitToPool(_ job: @escaping WorkerPool.Job) {
        guard !closed else { return job(true) }
        if let poolQueue { return poolQueue.submit(job) }
        let queue = PoolSubmissionQueue(loop: loop, pool: service.pool)
        poolQueue = queue
        queue.submit(job)
    }

    /// Hands queued pool jobs over and releases the loop handle used for that. Called
    /// when the server stops on this loop; later pool sequences are cancelled.
    package func close() {
        closed = true
        poolQueue?.close()
        poolQueue = nil
    }

    private func makeExecutor(requestID: RequestID, logger: Logger) -> BackgroundTaskExecutor {
        let counters = service.counters
        return BackgroundTaskExecutor(loop: loop, threshold: service.configuration.loopStallThreshold) { name, nanoseconds in
            counters.loopStalled()
            logger.warning("background task held the event loop", metadata: [
                "request-id": "\(requestID)", "task": "\(name)", "ms": "\(nanoseconds / 1_000_000)",
            ])
        }
    }

    private func sequenceFinished(_ id: UInt64) {
        sequences[id] = nil
        if sequences.isEmpty { onIdle?() }
    }

    /// Shutdown deadline: tasks not started are cancelled, running `async` ones get a
    /// cancellation request. Returns the names of the tasks that had not finished.
    func cancelAll() -> [String] {
        let names = unfinishedTaskNames
        for sequence in sequences.values { sequence.cancel() }
        return names
    }
}
