import EventideUVLoop
import Logging
import Synchronization

/// Owns a background task's life on one loop, from its request to done: admission of the
/// tasks a response carries, the outcome rule (a failed request runs only `always`
/// tasks), the start once the response was written, running on the loop or the pool with
/// the failure policy (`BackgroundTaskRunner`), the statistics, and the drain and
/// cancellation at shutdown. The connection and the server core talk to nothing else
/// about tasks; what the loops share (capacity, ids, counters, the blocking pool) is its
/// nested `Shared`, one per server. Loop-bound.
///
/// A list made only of blocking pool tasks (the common case) runs as one pool job; the
/// pool thread reports it finished through `PoolSide`, in batches: one `execute` onto
/// the loop per batch of finished lists, not one per list. Any other list runs in a
/// Swift task on the loop.
package final class BackgroundTaskLifecycle {
    package typealias Entry = (task: BackgroundTask, handle: BackgroundTaskHandle)

    /// A list started and not finished yet; its task when it runs in a Swift task.
    private struct Running {
        let entries: [Entry]
        var task: Task<Void, Never>?
    }

    let loop: EventLoop
    let service: BackgroundTaskLifecycle.Shared

    /// Running lists, by slot; a finished list's slot goes to `freeSlots` for reuse.
    // why: loop-bound, never passed inout across a call that reaches it again; exclusivity checks cost 0.63% instructions per notification (Benchmarks/instructions.py).
    @exclusivity(unchecked) private var running: [Running?] = []
    // why: as `running`; exclusivity checks cost 0.63% instructions per notification (Benchmarks/instructions.py).
    @exclusivity(unchecked) private var freeSlots: [Int] = []
    private var runningCount = 0
    private let poolSide: PoolSide
    /// Storage handed back and forth with `PoolSide`'s list so collecting does not allocate.
    private var finishedBatch: [Int] = []
    /// Pool-only lists started during one loop iteration go to the pool together.
    private var poolQueue: PoolSubmissionQueue?
    /// Blocking durable tasks handed over during one loop iteration go to the task
    /// queue's pool together.
    private var durablePoolQueue: PoolSubmissionQueue?
    /// Requests' durable tasks handed over during this loop iteration (`commitDurable`),
    /// committed together when its callbacks are done: one job for the store's writer,
    /// one answer back to the loop.
    private var pendingCommits: [PendingCommit] = []
    private var commitAtIterationEnd: IterationEnd?
    private var closed = false
    /// Called when the last running list finished (shutdown waits for it).
    var onIdle: (() -> Void)?
    /// Sees every request's task list before it starts, and says whether it runs
    /// (`TestClient` records them; in `.captured` mode they do not run).
    package var observer: TaskObserver?
    private let logger: Logger

    package init(loop: EventLoop, service: BackgroundTaskLifecycle.Shared) {
        self.loop = loop
        self.service = service
        self.logger = service.logger
        self.poolSide = PoolSide(service: service)
        service.register(self)
    }

    // MARK: A request's tasks

    /// Admits the tasks a response carries; nil when the queue is full (the response
    /// then becomes a 503 and none of them was accepted).
    func admit(_ tasks: [BackgroundTask]) -> [Entry]? {
        guard !tasks.isEmpty else { return [] }
        return service.admitAll(tasks)
    }

    /// The 503 answered when a response's own tasks cannot be accepted.
    func rejectionResponse() -> Response { service.rejectionResponse() }

    /// Ends a request: the tasks that should run once its response is written, in order
    /// (its own, then those its response carried); a failed request's others are skipped.
    func finishRequest(_ context: RequestContext, carried: [Entry]?, failed: Bool, status: HTTPResponse.Status) -> [Entry] {
        let entries = service.entriesToRun(context, carried: carried, failed: failed, status: status)
        // A failed request's skipped tasks end here without reaching `start`: the observer
        // still hears of it (an empty list), so whoever waits for the tasks to settle wakes.
        if let observer, failed || status.code >= 400, entries.isEmpty { _ = observer([], context.requestID) }
        return entries
    }

    /// Starts a request's tasks: its response was written (or its connection closed).
    func start(_ entries: [Entry], requestID: RequestID) {
        if let observer, !observer(entries, requestID) { return }
        run(entries, requestID: requestID)
    }

    var isIdle: Bool { runningCount == 0 }

    /// The tasks of the lists started and not finished yet, in the order they run.
    var unfinishedTasks: [BackgroundTaskHandle] {
        running.flatMap { $0?.entries.lazy.map(\.handle).filter { !$0.state.isFinal } ?? [] }
    }

    /// Names of the tasks not finished yet.
    var unfinishedTaskNames: [String] { unfinishedTasks.map(\.name) }

    /// Runs `entries` now, one after another.
    private func run(_ entries: [Entry], requestID: RequestID) {
        let logger = self.logger
        guard !entries.isEmpty else { return }
        let slot = register(entries)
        let this = LoopBound(self, loop: loop)
        if BackgroundTaskRunner.poolOnly(entries) {
            let poolSide = self.poolSide
            submitToPool { cancelled in
                // Dropped at the shutdown deadline (or the pool already closed): every
                // task is marked cancelled and nothing runs.
                let runner = BackgroundTaskRunner(service: poolSide.service, requestID: requestID, logger: logger)
                runner.runOnPool(entries, dropped: cancelled, cancelled: poolSide.cancelled)
                if poolSide.finished(slot) {
                    this.loop.execute { this.value.collectFinished() }
                }
            }
            return
        }
        let runner = BackgroundTaskRunner(service: service, requestID: requestID, logger: logger)
        let executor = makeExecutor(requestID: requestID, logger: logger)
        // The task's first job is enqueued on the loop: it cannot finish before this returns.
        running[slot]?.task = Task(executorPreference: executor) {
            await runner.run(entries, executor: executor)
            this.value.listFinished(slot)
        }
    }

    private func register(_ entries: [Entry]) -> Int {
        runningCount += 1
        if let slot = freeSlots.popLast() {
            running[slot] = Running(entries: entries)
            return slot
        }
        running.append(Running(entries: entries))
        return running.count - 1
    }

    private func submitToPool(_ job: @escaping WorkerPool.Job) {
        guard !closed else { return job(true) }
        if let poolQueue { return poolQueue.submit(job) }
        let queue = PoolSubmissionQueue(loop: loop, pool: service.pool)
        poolQueue = queue
        queue.submit(job)
    }

    /// Starts the durable tasks a request committed for this process's workers (its
    /// response was written, or its connection closed): blocking ones go to the task
    /// queue's pool with the others of this loop iteration.
    func startDurable(_ handOff: DurableHandOff) {
        guard !handOff.isEmpty else { return }
        handOff.start { [self] job in
            guard !closed, let queue = service.taskQueue else { return job(true) }
            if durablePoolQueue == nil { durablePoolQueue = PoolSubmissionQueue(loop: loop, pool: queue.blockingPool) }
            durablePoolQueue?.submit(job)
        }
    }

    /// A request's durable tasks waiting for the end of the loop iteration, and what to
    /// call (on the loop) once they are committed or not.
    private struct PendingCommit: Sendable {
        let rows: [NewDurableTask]
        let completion: @Sendable (Result<TaskQueue.Committed, any Error>) -> Void
    }

    /// Commits a request's durable tasks to the server's task queue together with the
    /// other requests of this loop iteration, once its callbacks are done. `completion` is
    /// called on this loop; if the loop has stopped by then, the committed tasks start
    /// anyway and `completion` is not called.
    func commitDurable(_ rows: [NewDurableTask], completion: @escaping @Sendable (Result<TaskQueue.Committed, any Error>) -> Void) {
        pendingCommits.append(PendingCommit(rows: rows, completion: completion))
        guard !closed else { return commitPending() }
        if commitAtIterationEnd == nil {
            commitAtIterationEnd = IterationEnd(loop: loop) { [weak self] in self?.commitPending() }
        }
        commitAtIterationEnd?.arm()
    }

    /// Hands this iteration's requests' durable tasks to the task queue as one batch.
    private func commitPending() {
        guard !pendingCommits.isEmpty else { return }
        let batch = pendingCommits
        pendingCommits = []
        guard let queue = service.taskQueue else {
            for pending in batch { pending.completion(.failure(DurableTaskUnavailable.noTaskQueue)) }
            return
        }
        let loop = self.loop
        queue.commit(batch: batch.map(\.rows)) { results in
            let answered = loop.execute {
                for (pending, result) in zip(batch, results) { pending.completion(result) }
            }
            // The loop has stopped: nobody is left to answer, but what was committed runs.
            guard !answered else { return }
            for case .success(let committed) in results { committed.handOff.start() }
        }
    }

    /// Hands queued pool jobs over and releases the loop handles used for that. Called
    /// when the server stops on this loop; later pool lists are cancelled.
    package func close() {
        service.unregister(self)
        closed = true
        poolQueue?.close()
        poolQueue = nil
        durablePoolQueue?.close()
        durablePoolQueue = nil
        commitAtIterationEnd?.close()
        commitAtIterationEnd = nil
        commitPending()
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

    /// Takes the pool lists reported finished since the last call.
    private func collectFinished() {
        poolSide.takeFinished(into: &finishedBatch)
        for slot in finishedBatch { listFinished(slot) }
        finishedBatch.removeAll(keepingCapacity: true)
    }

    private func listFinished(_ slot: Int) {
        running[slot] = nil
        freeSlots.append(slot)
        runningCount -= 1
        if runningCount == 0 { onIdle?() }
    }

    /// Shutdown deadline: no new task is accepted, tasks not started are cancelled,
    /// running `async` ones get a cancellation request. Returns the names of the tasks
    /// that had not finished.
    func cancelAtDeadline() -> [String] {
        let names = cancelAll()
        service.close()
        return names
    }

    private func cancelAll() -> [String] {
        let names = unfinishedTaskNames
        // Pool lists check the flag before each task (lists started later would be
        // cancelled too; none is: the lifecycle closes right after).
        poolSide.cancelled.store(true, ordering: .relaxed)
        for case let entry? in running { entry.task?.cancel() }
        return names
    }
}

extension BackgroundTaskLifecycle {
    /// What pool threads share with the lifecycle: the shutdown flag, and the slots of
    /// finished pool lists waiting to be collected on the loop.
    final class PoolSide: Sendable {
        let service: BackgroundTaskLifecycle.Shared
        /// Set at the shutdown deadline: tasks not started yet are cancelled.
        let cancelled = Atomic<Bool>(false)
        private let state = Locked(Finished())

        private struct Finished {
            var slots: [Int] = []
            /// A collection is on its way to the loop.
            var scheduled = false
        }

        init(service: BackgroundTaskLifecycle.Shared) { self.service = service }

        /// Reports the list in `slot` finished. Returns true when the caller must
        /// schedule a collection on the loop (none is on its way yet).
        func finished(_ slot: Int) -> Bool {
            state.withLock { state in
                state.slots.append(slot)
                defer { state.scheduled = true }
                return !state.scheduled
            }
        }

        /// Moves the slots reported since the last call into `batch` (empty, its
        /// storage reused). On the loop.
        func takeFinished(into batch: inout [Int]) {
            state.withLock { state in
                state.scheduled = false
                swap(&batch, &state.slots)
            }
        }
    }
}

/// Sees a request's task list when it is about to start (its response was written, or its
/// connection closed first), and returns whether it runs; a failed request whose tasks
/// were all skipped is seen as an empty list. A list that does not run must be ended by
/// the observer (`BackgroundTaskCounters.drop(_:as:)`).
package typealias TaskObserver = @Sendable (_ entries: [BackgroundTaskLifecycle.Entry], _ requestID: RequestID) -> Bool
