import EventideUVLoop

/// The workers of one queue (or of every queue without its own) in this process: runs up
/// to `capacity` tasks at a time, each in a Swift task, stores how each ended, and claims
/// more when it has room and tasks may be waiting: after a wake-up (tasks stored here
/// that it did not take at once, a run ended while a backlog waits) or after the poll
/// interval (tasks stored by another process, or due now).
///
/// Tasks this process stores while the runner has a free slot and no backlog skip the
/// claim: they are stored running for it (`reserve`, then `adopt`). Its timeouts are
/// kept by the runner's own loop, which cancels a run past its deadline, rather than by
/// a timer task per run.
final class QueueRunner: Sendable {
    let queues: TaskQueueSelection
    let capacity: Int
    let signal = WakeSignal()
    /// Strong: a queue dropped without `shutdown()` keeps its workers (and itself) alive
    /// rather than leaving them a dangling owner; `shutdown()` ends the cycle.
    private let owner: TaskQueue

    private struct Run {
        /// The Swift task of an async run (once started); nil for a blocking one.
        var task: Task<Void, Never>?
        /// Runs on the blocking pool: cannot be cancelled, only asked to stop.
        let blocking: Bool
        let attempt: Int
        let started: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        let timeout: Duration
        var timedOut = false
    }

    private struct State {
        var running: [Int64: Run] = [:]
        /// Slots promised to tasks being stored by this process.
        var reserved = 0
        var stopping = false
        /// Whether due tasks may be waiting in the store (the last claim filled every
        /// free slot, or tasks were stored that nobody took). True at start: a restart
        /// finds what a dead run left.
        var backlog = true
        var loop: Task<Void, Never>?
        var lastCleanup: Int64 = 0
        /// When the last house-keeping pass ran (milliseconds on the store's clock).
        var lastHouseKeeping: Int64 = 0
        /// When the gauges of tasks per queue and state are next read from the store.
        var nextStates: Int64 = 0
        /// Results the store refused (a full disk): stored again at each poll, so the task
        /// does not stay `running` until the next start.
        var unsaved: [TaskResult] = []
        /// Tasks stored running for this runner while every slot was taken: each starts
        /// when a run ends, in order (at most `capacity` of them, see `reserve`), from
        /// the thread where that run ended (so straight to the pool, not through a loop's
        /// batch).
        var waiting: [ClaimedTask] = []
        /// The metrics of the kind that last started here (a queue's runs are mostly of one
        /// kind): reused without the metrics' own lock and lookup.
        var lastMetrics: (queue: String, kind: String, handles: DurableTaskMetrics.RunHandles)?

        /// Slots neither running, promised nor spoken for by a waiting task.
        func free(of capacity: Int) -> Int { capacity - running.count - reserved - waiting.count }
    }
    private let state = Locked(State())

    /// The fewest free slots a claim waits for while tasks run (a quarter of capacity).
    var claimBatch: Int { max(1, capacity / 4) }

    /// Whether this runner does the queue's chores (one runner per process does).
    let doesChores: Bool

    init(queues: TaskQueueSelection, capacity: Int, owner: TaskQueue, doesChores: Bool) {
        self.queues = queues
        self.capacity = capacity
        self.owner = owner
        self.doesChores = doesChores
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Tasks running or waiting here for a slot (for the shutdown report).
    var taken: Int { state.withLock { $0.running.count + $0.waiting.count } }

    func start(after rescue: Task<Void, Never>) {
        let loop = Task { [self] in
            await rescue.value
            while !isStopping {
                cancelOverdueRuns()
                await houseKeepIfDue()
                let (free, busy) = state.withLock { ($0.free(of: capacity), !$0.running.isEmpty) }
                // While tasks run, slots are claimed a batch at a time, not one claim per
                // run that ends: a claim costs a round trip and an index walk (on
                // PostgreSQL past the entries of every task claimed since the last
                // vacuum), whether it takes one task or many.
                if free > 0, free >= claimBatch || !busy {
                    let claimed = await claimAndRun(limit: free)
                    state.withLock { $0.backlog = claimed == free }
                    if claimed == free { continue }  // maybe more are due
                }
                await signal.wait(timeout: untilNextCheck())
            }
        }
        state.withLock { $0.loop = loop }
    }

    // MARK: Tasks stored by this process

    /// Promises a slot to a task this process is storing; false when there is none free
    /// or due tasks may be waiting (they go first, by priority and due time).
    ///
    /// Up to `capacity` more may wait in this process for a slot, beyond the `capacity`
    /// running: group commit stores a whole turn's tasks at once (64 connections, 64
    /// tasks), and a task that waits here for a moment costs far less than one stored
    /// available and claimed back. Such a task is `running` in the store (taken by this
    /// worker) before its run starts, as one queued for a blocking pool thread is.
    func reserve() -> Bool {
        state.withLock { state in
            guard !state.stopping, !state.backlog, state.running.count + state.reserved + state.waiting.count < 2 * capacity else {
                return false
            }
            state.reserved += 1
            return true
        }
    }

    /// Gives back a slot `reserve` promised (the task was not stored running for us).
    func release() {
        state.withLock { $0.reserved -= 1 }
    }

    /// Tasks were stored that nobody here took: claim them when there is room.
    func noteWaiting() {
        state.withLock { $0.backlog = true }
        signal.fire()
    }

    /// Runs a task stored running for this runner in a slot `reserve` promised. After
    /// `stop`, puts it back instead.
    func adopt(_ task: ClaimedTask, submit: ((@escaping WorkerPool.Job) -> Void)? = nil) {
        enum Next { case run(DurableTaskMetrics.RunHandles), wait, putBack }
        let next = state.withLock { state -> Next in
            state.reserved -= 1
            if state.stopping { return .putBack }
            guard state.running.count < capacity else {
                state.waiting.append(task)
                return .wait
            }
            return .run(register(task, in: &state))
        }
        switch next {
        case .run(let metrics): launch(task, metrics, submit: submit)
        case .wait: break
        case .putBack: Task { await putBack([(task.id, task.attempt)]) }
        }
    }

    /// Gives tasks taken by this runner back to the queue, unspent (they never started, or
    /// a blocking run outlived the shutdown deadline).
    private func putBack(_ runs: [(id: Int64, attempt: Int)]) async {
        guard !runs.isEmpty else { return }
        // Left running if this fails: the next start's rescue makes it available.
        try? await owner.store.resolve(runs.map { TaskResult(id: $0.id, attempt: $0.attempt, .putBack) })
    }

    // MARK: Claiming and running

    /// Claims up to `limit` due tasks and starts them; returns how many.
    private func claimAndRun(limit: Int) async -> Int {
        let claimed: [ClaimedTask]
        do {
            claimed = try await owner.store.claim(queues, limit: limit, worker: owner.workerID)
        } catch {
            owner.logger.error("durable tasks: claim failed", metadata: ["queues": "\(queues)", "error": "\(error)"])
            return 0
        }
        let metrics = state.withLock { state in claimed.map { register($0, in: &state) } }
        for (task, metrics) in zip(claimed, metrics) { launch(task, metrics) }
        return claimed.count
    }

    /// Counts `task` as running, under the lock its removal takes: never after it, and
    /// returns its metrics. `launch` starts it, outside the lock.
    private func register(_ task: ClaimedTask, in locked: inout State) -> DurableTaskMetrics.RunHandles {
        let timeout = task.timeout.map { Duration.milliseconds($0) } ?? owner.configuration.timeout
        let blocking = owner.blockingRun(for: task) != nil
        let now = ContinuousClock.now
        locked.running[task.id] = Run(
            task: nil, blocking: blocking, attempt: task.attempt, started: now, deadline: now + timeout, timeout: timeout)
        if let last = locked.lastMetrics, last.kind == task.kind, last.queue == task.queue { return last.handles }
        let handles = owner.metrics.run(queue: task.queue, kind: task.kind)
        locked.lastMetrics = (task.queue, task.kind, handles)
        return handles
    }

    /// Starts registered `task`: a blocking one on the queue's blocking pool (through
    /// `submit` when given), decoded there too; any other in a Swift task.
    private func launch(
        _ task: ClaimedTask, _ metrics: DurableTaskMetrics.RunHandles, submit: ((@escaping WorkerPool.Job) -> Void)? = nil
    ) {
        owner.metrics.started(metrics, waitedMilliseconds: owner.store.now() - task.runAt)
        let interrupted: @Sendable () -> TaskQueue.Interruption? = { [self] in interruption(of: task.id) }
        if let run = owner.blockingRun(for: task) {
            let job: WorkerPool.Job = { [self] cancelled in
                // Dropped at shutdown before it started: back to the queue, unspent.
                guard !cancelled else { return finish(task, .putBack, metrics) }
                switch owner.prepare(task, interruption: interrupted) {
                case .ready(let work, let context):
                    finish(task, owner.run(blocking: { try run(work, context) }, context, interruption: interrupted), metrics)
                case .unusable(let resolution):
                    finish(task, resolution, metrics)
                }
            }
            if let submit { return submit(job) }
            if !owner.blockingPool.submit(job) { finish(task, .putBack, metrics) }
            return
        }
        switch owner.prepare(task, interruption: interrupted) {
        case .ready(let work, let context): start(work, context, of: task, metrics, interruption: interrupted)
        case .unusable(let resolution): finish(task, resolution, metrics)
        }
    }

    /// Runs an async task's `run` in a Swift task of its own (cancelled past its deadline).
    private func start(
        _ work: any DurableTask, _ context: DurableTaskContext, of task: ClaimedTask, _ metrics: DurableTaskMetrics.RunHandles,
        interruption: @escaping @Sendable () -> TaskQueue.Interruption?
    ) {
        let run = Task { [self] in finish(task, await owner.run(work, context, interruption: interruption), metrics) }
        state.withLock { $0.running[task.id]?.task = run }
    }

    /// Stores how run `task` ended (without waiting for the commit) and frees its slot.
    private func finish(_ task: ClaimedTask, _ resolution: TaskResolution, _ metrics: DurableTaskMetrics.RunHandles) {
        let result = TaskResult(id: task.id, attempt: task.attempt, resolution)
        owner.store.resolve([result]) { [self] error in
            guard let error else { return }
            // One line per outage, not one per task: the rest join the first, and the poll
            // that stores them says how many.
            let first = state.withLock { state in
                defer { state.unsaved.append(result) }
                return state.unsaved.isEmpty
            }
            guard first else { return }
            owner.logger.error("durable tasks: storing results failed; will try again at each poll", metadata: [
                "task-id": "\(task.id)", "error": "\(error)",
            ])
        }
        let (run, wake, next) = state.withLock { state in
            let run = state.running.removeValue(forKey: task.id)
            // A task waiting in this process takes the slot first: it was stored before any
            // the store still holds for us (none is, while tasks wait here).
            var next: (ClaimedTask, DurableTaskMetrics.RunHandles)?
            if !state.stopping, !state.waiting.isEmpty {
                let task = state.waiting.removeFirst()
                next = (task, register(task, in: &state))
            }
            return (run, state.backlog || state.stopping, next)
        }
        if let next { launch(next.0, next.1) }
        owner.metrics.finished(metrics, outcome: DurableTaskMetrics.Outcome(resolution), duration: run.map { .now - $0.started } ?? .zero)
        if wake { signal.fire() }
    }

    /// Why run `id` was cancelled, if it was.
    private func interruption(of id: Int64) -> TaskQueue.Interruption? {
        state.withLock { state in
            if let run = state.running[id], run.timedOut { return .timeout(run.timeout) }
            return state.stopping ? .shutdown : nil
        }
    }

    /// Cancels the runs past their deadline (each fails with `DurableTaskTimeout`).
    private func cancelOverdueRuns() {
        let now = ContinuousClock.now
        let overdue = state.withLock { state -> [Task<Void, Never>] in
            var overdue: [Task<Void, Never>] = []
            for (id, run) in state.running where !run.timedOut && run.deadline <= now {
                state.running[id]?.timedOut = true
                if let task = run.task { overdue.append(task) }
            }
            return overdue
        }
        for task in overdue { task.cancel() }
    }

    /// How long the loop may sleep: the poll interval, or less when a run's deadline
    /// comes first.
    private func untilNextCheck() -> Duration {
        let poll = owner.configuration.pollInterval
        let earliest = state.withLock { state in
            state.running.values.lazy.filter { !$0.timedOut }.map(\.deadline).min()
        }
        guard let earliest else { return poll }
        return max(.zero, min(poll, earliest - .now))
    }

    /// Once per poll interval, even while a backlog keeps the loop claiming: the periodic
    /// tasks due (one runner adds them for all queues), results to store again, retention.
    private func houseKeepIfDue() async {
        let now = owner.store.now()
        let interval = Int64(owner.configuration.pollInterval.wholeMilliseconds)
        let due = state.withLock { state in
            guard now - state.lastHouseKeeping >= interval else { return false }
            state.lastHouseKeeping = now
            return true
        }
        guard due else { return }
        // The store-wide chores are one process's (a fleet's elected coordinator) and
        // one runner's in it.
        let chores = doesChores && owner.store.isCoordinator
        if chores {
            await owner.enqueueDuePeriodicTasks()
            await recordStatesIfDue(now: now)
        }
        await storeUnsavedResults()
        if chores { await cleanUpIfDue() }
    }

    /// How often the gauges of tasks per queue and state are read from the store (a
    /// count over the whole table), at most.
    static let statesInterval: Int64 = 15_000
    /// The next count waits at least this many times as long as the last one took: the
    /// count walks every row kept (a day of completed tasks by default), and on a large
    /// store it is then at most 1% of a core, not a burst every 15 s (0.46 s of CPU for
    /// 1,000,000 rows on the 2-core VM).
    static let statesBackoff: Int64 = 100

    /// Reads the counts per queue and state into their gauges, every `statesInterval` or
    /// less often on a large store (see `statesBackoff`).
    private func recordStatesIfDue(now: Int64) async {
        let due = state.withLock { state in
            guard now >= state.nextStates else { return false }
            state.nextStates = now + Self.statesInterval
            return true
        }
        guard due else { return }
        let started = ContinuousClock.now
        guard let counts = try? await owner.store.counts() else { return }
        let took = Int64((ContinuousClock.now - started).wholeMilliseconds)
        state.withLock { $0.nextStates = max($0.nextStates, now + took * Self.statesBackoff) }
        owner.metrics.record(states: counts)
    }

    /// Stores the results the store refused before (once per poll while it refuses).
    private func storeUnsavedResults() async {
        let results = state.withLock { state in
            defer { state.unsaved = [] }
            return state.unsaved
        }
        guard !results.isEmpty else { return }
        do {
            try await owner.store.resolve(results)
            owner.logger.info("durable tasks: results stored after all", metadata: ["count": "\(results.count)"])
        } catch {
            // Still refused: kept for the next poll (and left running if the queue stops first:
            // the next start's rescue makes them available).
            state.withLock { $0.unsaved.insert(contentsOf: results, at: 0) }
        }
    }

    /// Deletes finished tasks past their retention, at most once a minute.
    private func cleanUpIfDue() async {
        let (keepCompleted, keepFailed) = (owner.configuration.keepCompleted, owner.configuration.keepFailed)
        let now = owner.store.now()
        let due = state.withLock { state in
            guard now - state.lastCleanup >= 60_000 else { return false }
            state.lastCleanup = now
            return true
        }
        guard due else { return }
        let (completedBefore, othersBefore) = (now - Int64(keepCompleted.wholeMilliseconds), now - Int64(keepFailed.wholeMilliseconds))
        do {
            // In slices, each its own short turn: requests' commits go between them.
            while try await owner.store.deleteFinished(
                completedBefore: completedBefore, othersBefore: othersBefore, limit: Self.cleanupSlice) == Self.cleanupSlice,
                !isStopping
            {}
        } catch {
            owner.logger.error("durable tasks: retention cleanup failed: \(error)")
        }
    }

    /// How many finished tasks one retention turn deletes at most.
    static let cleanupSlice = 2_000

    // MARK: Stopping

    /// Stops claiming and puts back the tasks waiting here for a slot; waits up to
    /// `timeout` for running tasks, then cancels the async
    /// ones (they are put back) and puts the blocking ones back without waiting (a thread
    /// cannot be interrupted; its late result no longer applies, so the task runs again).
    /// Returns how many were cut short.
    func stop(within timeout: Duration) async -> Int {
        let (loop, waiting) = state.withLock { state in
            state.stopping = true
            defer { state.waiting = [] }
            return (state.loop, state.waiting)
        }
        signal.fire()
        // Stored running for us, never started: back to the queue at once, unspent.
        await putBack(waiting.map { ($0.id, $0.attempt) })
        await loop?.value
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ !$0.running.isEmpty }), ContinuousClock.now < deadline {
            await signal.wait(timeout: min(.milliseconds(50), deadline - .now))
        }
        let (tasks, blocking) = state.withLock { state in
            (state.running.values.compactMap(\.task), state.running.filter(\.value.blocking).map { ($0.key, $0.value.attempt) })
        }
        await putBack(blocking)
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        return waiting.count + tasks.count + blocking.count
    }
}
