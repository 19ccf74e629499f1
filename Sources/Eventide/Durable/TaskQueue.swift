import EventideUVLoop
import Foundation
import Logging
import Metrics

/// Durable background tasks: stored before the response that added them leaves, run at
/// least once by this process's workers (or another process's), retried with backoff,
/// unique by key, cancellable. Works with a `Server` (`ServerConfiguration.taskQueue`,
/// `tasks.add(durable:)`) or without one (`enqueue` from a script, a CLI, a test).
///
/// ```swift
/// let queue = try TaskQueue(store: .sqlite(path: "tasks.db"), tasks: [SendWelcome.self])
/// queue.start()                                   // a Server starts it for you
/// let receipt = try await queue.enqueue(SendWelcome(email: "a@b.c"))
/// print(try await queue.task(id: receipt.id)?.state ?? .available)
/// ```
public final class TaskQueue: Sendable {
    /// Where the tasks are stored.
    public enum Store: Sendable {
        /// An SQLite file (created when missing), in WAL mode. One process runs the
        /// workers of a file: tasks it finds `running` at start are a dead run's.
        case sqlite(path: String, durability: Durability = .full)
        /// A PostgreSQL database (a libpq connection string or URI, such as
        /// `postgres://user:secret@db.internal:5432/app`) shared by a fleet: web processes
        /// store tasks, worker processes on any machine run them. Commits are durable when
        /// PostgreSQL's are (`synchronous_commit`).
        case postgres(_ connection: String, settings: PostgresStoreSettings = PostgresStoreSettings())
    }

    /// When a commit counts as durable.
    public enum Durability: Sendable {
        /// Each commit is on disk before the response leaves (SQLite `synchronous=FULL`):
        /// survives a power cut. The default.
        case full
        /// Commits are in the write-ahead log, flushed at checkpoints (`synchronous=NORMAL`):
        /// survives a crash of the process, not of the machine; several times faster.
        case normal
    }

    /// Who runs the tasks.
    public enum Workers: Sendable {
        /// This process, in Swift tasks: up to `concurrency` at a time per queue (default
        /// 100: tasks mostly wait on I/O; CPU-bound work goes through `runBlocking`), or the
        /// count `queues` names for a queue. With `concurrency` 0 only the queues named run
        /// here (a worker process dedicated to some queues).
        case local(concurrency: Int = 100, queues: [String: Int] = [:])
        /// No one here: this process only stores tasks (other processes run them).
        case none
    }

    /// Timing rules of the queue. Every field has a default.
    public struct Configuration: Sendable {
        /// The wait before retry `attempt` + 1 after failed run `attempt` (1 = the first).
        /// Default: Sidekiq's `n⁴ + 15 s + random(0..<10) × (n + 1) s` with `n = attempt − 1`
        /// (15 s to 24 s after the first failure, 16 s to 34 s after the second, about
        /// 1.8 h after the tenth).
        public var retryBackoff: @Sendable (_ attempt: Int) -> Duration
        /// How long one run may take unless its options say otherwise. Default 15 minutes.
        public var timeout: Duration
        /// How often idle workers look for due tasks (stored by another process, or
        /// scheduled for later); tasks stored by this process wake them at once. Default 1 s.
        public var pollInterval: Duration
        /// How long `shutdown` lets running tasks finish before it cancels them and puts
        /// them back (no attempt spent). Default 25 s.
        public var shutdownTimeout: Duration
        /// How long completed tasks are kept. Default 24 hours.
        public var keepCompleted: Duration
        /// How long discarded and cancelled tasks are kept. Default 7 days.
        public var keepFailed: Duration
        /// Threads of the pool `DurableTaskContext.runBlocking` uses. Default 4.
        public var blockingThreads: Int
        /// The `Retry-After` seconds of the 503 answered when a commit fails. Default 1.
        public var retryAfterSeconds: Int
        /// The most unfinished tasks (scheduled, available, running or retryable) the
        /// store holds: a request whose durable tasks would pass it is answered `503` with
        /// `Retry-After`, and `enqueue` throws `TaskStoreFull`; nothing of it is stored.
        /// Default 1,000,000; nil: no limit.
        public var maxQueued: Int?
        /// Whether the store's writer thread and the blocking pool's threads are batch
        /// threads (Linux `SCHED_BATCH`): they get their share of the CPU but do not preempt
        /// the server's loops that wake them, so on a busy core a commit takes more
        /// requests at once and requests wait less behind background work. Default true;
        /// false: ordinary threads. No effect on other systems.
        public var batchThreads: Bool

        /// The defaults, changed where given.
        public init(
            retryBackoff: @escaping @Sendable (_ attempt: Int) -> Duration = TaskQueue.Configuration.sidekiqBackoff,
            timeout: Duration = .seconds(15 * 60), pollInterval: Duration = .seconds(1), shutdownTimeout: Duration = .seconds(25),
            keepCompleted: Duration = .seconds(24 * 3600), keepFailed: Duration = .seconds(7 * 24 * 3600), blockingThreads: Int = 4,
            retryAfterSeconds: Int = 1, maxQueued: Int? = 1_000_000, batchThreads: Bool = true
        ) {
            self.retryBackoff = retryBackoff
            self.timeout = timeout
            self.pollInterval = pollInterval
            self.shutdownTimeout = shutdownTimeout
            self.keepCompleted = keepCompleted
            self.keepFailed = keepFailed
            self.blockingThreads = max(1, blockingThreads)
            self.retryAfterSeconds = retryAfterSeconds
            self.maxQueued = maxQueued.map { max(0, $0) }
            self.batchThreads = batchThreads
        }

        /// `n⁴ + 15 + random(0..<10) × (n + 1)` seconds, `n = attempt − 1` (Sidekiq counts
        /// its retries from 0).
        public static let sidekiqBackoff: @Sendable (Int) -> Duration = { attempt in
            let base = min(max(attempt - 1, 0), 100)
            return .seconds(base * base * base * base + 15 + Int.random(in: 0..<10) * (base + 1))
        }
    }

    /// What storing a task did.
    public struct Receipt: Sendable, Equatable {
        /// The id of the task that will run: the new one, or the one holding its unique key.
        public let id: Int64
        /// Whether a task holding the same unique key was there already (nothing was added).
        public let isDuplicate: Bool
    }

    package let store: any TaskStore
    /// Every registered kind by name.
    let kinds: [String: RegisteredKind]

    /// A registered kind's type, and how a `BlockingDurableTask` of it runs on the pool
    /// (nil: an async task, run in a Swift task): found once here rather than by a
    /// conformance check per task.
    struct RegisteredKind: Sendable {
        let type: any DurableTask.Type
        let runBlocking: BlockingRun?

        init(_ type: any DurableTask.Type) {
            self.type = type
            self.runBlocking = (type as? any BlockingDurableTask.Type)?.blockingRun
        }
    }
    let workers: Workers
    let configuration: Configuration
    let logger: Logger
    let blockingPool: WorkerPool
    /// This process's workers, by queue (empty until `start`).
    let runners = Locked<[String: QueueRunner]>([:])
    /// The swift-metrics side of the queue (see Documentation/DurableTasks.md).
    let metrics: DurableTaskMetrics
    /// The periodic tasks `schedule` registered.
    let periodicTasks = Locked<[PeriodicTask]>([])
    /// Whether `shutdown` ran (it runs once).
    let shutDown = Locked(false)
    /// Names this process's runs in the store, so a restart (or the fleet) can tell a dead
    /// run's rows.
    let workerID: String

    /// A queue over `store` for the task types `tasks` (a stored kind not among them is
    /// discarded with an error when a worker takes it).
    ///
    /// - Throws: when the store cannot be opened (a file that cannot be created, or one
    ///   written by a newer Eventide).
    public convenience init(
        store: Store, tasks: [any DurableTask.Type], workers: Workers = .local(), configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "eventide.tasks")
    ) throws {
        try self.init(store: store, tasks: tasks, workers: workers, configuration: configuration, logger: logger, metricsFactory: nil)
    }

    /// The public initializer's work, with the metrics going to `metricsFactory` (nil:
    /// the bootstrapped `MetricsSystem`), so tests can read them without a global bootstrap.
    package init(
        store: Store, tasks: [any DurableTask.Type], workers: Workers, configuration: Configuration, logger: Logger,
        metricsFactory: (any MetricsFactory)?
    ) throws {
        self.metrics = DurableTaskMetrics(factory: metricsFactory)
        let workerID = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        self.workerID = workerID
        switch store {
        case .sqlite(let path, let durability):
            self.store = try SQLiteTaskStore(
                path: path, durability: durability == .full ? .full : .normal, maxQueued: configuration.maxQueued,
                batchThread: configuration.batchThreads)
        case .postgres(let connection, let settings):
            let runsTasks = if case .none = workers { false } else { true }
            self.store = try PostgresTaskStore(
                connection: connection, settings: settings, worker: workerID, maxQueued: configuration.maxQueued,
                coordinates: runsTasks, logger: logger)
        }
        var kinds: [String: RegisteredKind] = [:]
        for type in tasks { kinds[type.name] = RegisteredKind(type) }
        self.kinds = kinds
        self.workers = workers
        self.configuration = configuration
        self.logger = logger
        self.blockingPool = WorkerPool(threads: configuration.blockingThreads) { [batchThreads = configuration.batchThreads] work in
            if batchThreads { BatchScheduling.applyToCurrentThread() }
            work()
        }
    }

    /// Stores `task` and returns once it is durable (a script's or a test's enqueue; a
    /// handler uses `tasks.add(durable:)`, which commits with its response).
    ///
    /// - Throws: `EncodingError` when the task does not encode; `TaskStoreFull` past
    ///   `Configuration.maxQueued`; the store's error when the commit fails (nothing is
    ///   stored then).
    @discardableResult
    public func enqueue<Task: DurableTask>(_ task: Task, options: DurableTaskOptions = DurableTaskOptions()) async throws -> Receipt {
        try await enqueue([task], options: options)[0]
    }

    /// Stores `tasks` in one transaction (all or none), each with `options`, and returns
    /// a receipt per task, in order, once they are durable: a batch costs one commit.
    ///
    /// - Throws: as `enqueue(_:options:)`; nothing is stored then.
    @discardableResult
    public func enqueue(_ tasks: [any DurableTask], options: DurableTaskOptions = DurableTaskOptions()) async throws -> [Receipt] {
        let now = store.now()
        let rows = try tasks.map { task in try Self.row(for: task, options: options, now: now) }
        let (outcomes, handOff) = try await commit(rows)
        handOff.start()
        return outcomes.map(Receipt.init)
    }

    /// What a commit of durable tasks gave: what each row became (a request's commit
    /// makes no receipts of them unless asked, `commitDurable()`), and the tasks stored
    /// running for this process's workers, which the caller starts (once the response
    /// is written).
    typealias Committed = (outcomes: [EnqueueOutcome], handOff: DurableHandOff)

    /// Commits a request's durable tasks (`tasks.add(durable:)`) and returns what each
    /// row became and the tasks to hand to this process's workers. Wakes the workers of
    /// the others.
    func commit(_ rows: [NewDurableTask]) async throws -> Committed {
        try await withCheckedThrowingContinuation { continuation in
            commit(rows) { continuation.resume(with: $0) }
        }
    }

    /// `commit` for a caller that goes on without a Swift task: `completion` is called on
    /// a thread of the store's once the rows are committed (or not).
    func commit(_ rows: [NewDurableTask], completion: @escaping @Sendable (Result<Committed, any Error>) -> Void) {
        guard !rows.isEmpty else { return completion(.success(([], DurableHandOff()))) }
        commit(batch: [rows]) { completion($0[0]) }
    }

    /// `commit` for several requests at once (a loop iteration's, `BackgroundTaskLifecycle`):
    /// one hand-over to the store and one call of `completion`, with a result per request
    /// in their order, on a thread of the store's. Each request's rows are stored all or
    /// none, and refused or failed alone.
    func commit(batch: [[NewDurableTask]], completion: @escaping @Sendable ([Result<Committed, any Error>]) -> Void) {
        var batch = batch
        // Due tasks go straight to this process's workers when they have a free slot and
        // nothing waits before them: stored running, no claim needed.
        let now = store.now()
        var reserved: [[QueueRunner?]] = []
        reserved.reserveCapacity(batch.count)
        // The rows of a batch mostly share a queue: its runner is looked up once.
        var lastQueue: String?
        var lastRunner: QueueRunner?
        for request in batch.indices {
            var runners: [QueueRunner?] = []
            runners.reserveCapacity(batch[request].count)
            for index in batch[request].indices {
                let row = batch[request][index]
                guard row.runAt <= now else {
                    runners.append(nil)
                    continue
                }
                if row.queue != lastQueue {
                    lastQueue = row.queue
                    lastRunner = runner(for: row.queue)
                }
                if let runner = lastRunner, runner.reserve() {
                    batch[request][index].claimedBy = workerID
                    runners.append(runner)
                } else {
                    runners.append(nil)
                }
            }
            reserved.append(runners)
        }
        store.enqueue(batch: batch) { [self, batch, reserved] results in
            recordEnqueued(batch, results)
            completion(results.indices.map { committed(batch[$0], reserved: reserved[$0], results[$0], now: now) })
        }
    }

    /// What one request's commit gave, its reserved slots used or given back.
    private func committed(
        _ rows: [NewDurableTask], reserved: [QueueRunner?], _ result: Result<[EnqueueOutcome], any Error>, now: Int64
    ) -> Result<Committed, any Error> {
        switch result {
        case .failure(let error):
            for runner in reserved { runner?.release() }
            metrics.rejected(count: rows.count, reason: error is TaskStoreFull ? .full : .error)
            return .failure(error)
        case .success(let outcomes):
            var handOff = DurableHandOff()
            handOff.reserveCapacity(outcomes.count)
            for (index, outcome) in outcomes.enumerated() {
                switch (reserved[index], outcome) {
                case (let runner?, .claimed(let id)): handOff.append(ClaimedTask(stored: rows[index], id: id), to: runner)
                case (let runner?, _): runner.release()
                case (nil, .inserted) where rows[index].runAt <= now: wake(queue: rows[index].queue)
                case (nil, _): break
                }
            }
            return .success((outcomes, handOff))
        }
    }

    /// Counts the stored rows and duplicates of a batch's committed requests per queue: one
    /// count per run of rows of the same queue, across requests (a batch's rows mostly
    /// share one).
    private func recordEnqueued(_ batch: [[NewDurableTask]], _ results: [Result<[EnqueueOutcome], any Error>]) {
        var queue: String?
        var (stored, duplicates) = (0, 0)
        for (rows, result) in zip(batch, results) {
            guard case .success(let outcomes) = result else { continue }
            for (row, outcome) in zip(rows, outcomes) {
                if row.queue != queue {
                    if let queue { metrics.enqueued(queue: queue, count: stored, duplicates: duplicates) }
                    (queue, stored, duplicates) = (row.queue, 0, 0)
                }
                if case .duplicate = outcome { duplicates += 1 } else { stored += 1 }
            }
        }
        if let queue { metrics.enqueued(queue: queue, count: stored, duplicates: duplicates) }
    }

    /// The answer to a request whose durable tasks could not be committed.
    var commitFailureResponse: Response {
        var response = Response.text("503 Service Unavailable: the task store cannot take tasks now\n", status: .serviceUnavailable)
        response.headers[.retryAfter] = "\(configuration.retryAfterSeconds)"
        return response
    }

    /// The task with `id` as stored (nil: none, or deleted after its retention).
    public func task(id: Int64) async throws -> DurableTaskRecord? {
        try await store.record(id: id)
    }

    /// Cancels a task that has not started (a running one runs on). Returns its state
    /// afterwards, nil when there is no such task.
    @discardableResult
    public func cancel(id: Int64) async throws -> DurableTaskState? {
        try await store.cancel(id: id)
    }

    /// Makes a waiting, failed, cancelled or completed task run again now (one more
    /// attempt if it had used them all). Returns its state afterwards.
    @discardableResult
    public func retry(id: Int64) async throws -> DurableTaskState? {
        let state = try await store.retry(id: id)
        if let queue = try await task(id: id)?.queue { wake(queue: queue) }
        return state
    }

    /// Stops every worker of the store (this process's and, on PostgreSQL, the fleet's)
    /// from starting tasks of `queue` until `resume(queue:)`; running ones finish, new ones
    /// wait. Kept in the store, so it outlives a restart.
    public func pause(queue: String) async throws {
        try await store.setPaused(true, queue: queue)
    }

    /// Lets the workers start tasks of `queue` again.
    public func resume(queue: String) async throws {
        try await store.setPaused(false, queue: queue)
        wake(queue: queue)
    }

    /// How many tasks each queue holds in each state.
    public func counts() async throws -> [String: [DurableTaskState: Int]] {
        try await store.counts()
    }

    /// Up to `limit` tasks in `state`, of `queue` only when given, the newest first: for
    /// `completed`, `discarded` and `cancelled` the last to finish, for the other states
    /// the last stored. Each comes with its arguments (JSON text) and errors: what an
    /// admin page lists (`TaskDashboard`).
    ///
    /// A final state's list is read through an index on the finish time; the others are
    /// found walking back from the newest task, so a state rare among very many tasks
    /// costs a longer walk: an admin's query, not one for every request.
    public func tasks(in state: DurableTaskState, queue: String? = nil, limit: Int = 20) async throws -> [DurableTaskRecord] {
        try await store.records(in: state, queue: queue, limit: limit)
    }

    /// Deletes the task with `id` for good (whatever its state but `running`): it will not
    /// run, and its unique key is free again. A running task is left alone, as its worker
    /// would record a result for a task that is gone: cancel-and-wait or let it finish.
    ///
    /// - Returns: the state the task was deleted in; nil when there is no such task.
    /// - Throws: `DurableTaskRunning` when the task is running (nothing is deleted).
    @discardableResult
    public func delete(id: Int64) async throws -> DurableTaskState? {
        let state = try await store.delete(id: id)
        if state == .running { throw DurableTaskRunning(id: id) }
        return state
    }

    /// The row to store for `task`. `kind`: its registration, when the caller looked it up
    /// already (a request's `add(durable:)`), which spares a conformance check per task.
    static func row<Task: DurableTask>(
        for task: Task, options: DurableTaskOptions, now: Int64, kind: RegisteredKind? = nil
    ) throws -> NewDurableTask {
        // The kind's runner serves only a value of its own type (another type may use its name).
        let runBlocking = if let kind, ObjectIdentifier(kind.type) == ObjectIdentifier(Task.self) {
            kind.runBlocking
        } else {
            RegisteredKind(Task.self).runBlocking
        }
        return NewDurableTask(
            kind: Task.name, queue: options.queue, arguments: try JSONBytesEncoder.encode(task), priority: options.priority,
            runAt: options.runAt(now: now), maxAttempts: options.maxAttempts, uniqueKey: options.uniqueKey,
            timeout: options.timeout.map { Int64($0.wholeMilliseconds) }, encodedFrom: EncodedTask(task, runBlocking: runBlocking))
    }
}

extension TaskQueue.Receipt {
    init(_ outcome: EnqueueOutcome) {
        switch outcome {
        case .inserted(let id), .claimed(let id): self.init(id: id, isDuplicate: false)
        case .duplicate(of: let id): self.init(id: id, isDuplicate: true)
        }
    }
}

/// `TaskQueue.delete(id:)` refused: a worker runs the task now.
public struct DurableTaskRunning: Error, Sendable, Equatable, CustomStringConvertible {
    /// The task's id.
    public let id: Int64

    package init(id: Int64) { self.id = id }

    public var description: String { "task \(id) is running: it cannot be deleted until its run ends" }
}
