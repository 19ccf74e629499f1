import EventideHTTP1
import EventideUVLoop
import Logging
import Metrics
import Synchronization

extension BackgroundTaskLifecycle {
    /// The part of the task lifecycle every loop shares: admission against the capacity,
    /// ids, counters, the blocking thread pool, and the durable-task queue. One per server.
    package final class Shared: Sendable {
        let configuration: BackgroundTaskConfiguration
        /// Where `tasks.add(durable:)` stores its tasks (nil: durable tasks refused).
        package let taskQueue: TaskQueue?
        package let counters: BackgroundTaskCounters
        let logger: Logger
        private let nextID = Atomic<UInt64>(0)
        private let closed = Atomic<Bool>(false)
        private let poolStorage: Locked<WorkerPool?> = Locked(nil)
        /// Each loop's lifecycle (weakly: a lifecycle holds this object), so `unfinishedTasks`
        /// can ask every loop for its tasks in progress.
        private let lifecycles = Locked<[(id: ObjectIdentifier, entry: LoopBound<WeakLifecycle>)]>([])

        /// A lifecycle not kept alive by the list it is in.
        final class WeakLifecycle {
            weak var lifecycle: BackgroundTaskLifecycle?
            init(_ lifecycle: BackgroundTaskLifecycle) { self.lifecycle = lifecycle }
        }

        /// `metricsFactory`: where the counters' swift-metrics twins go (nil: `MetricsSystem.factory`).
        package init(
            configuration: BackgroundTaskConfiguration, logger: Logger, taskQueue: TaskQueue? = nil,
            metricsFactory: (any MetricsFactory)? = nil
        ) {
            counters = BackgroundTaskCounters(factory: metricsFactory)
            self.configuration = configuration
            self.logger = logger
            self.taskQueue = taskQueue
        }

        /// The blocking pool, started on first use so servers without blocking tasks
        /// start no threads.
        var pool: WorkerPool {
            poolStorage.withLock { pool in
                if let pool { return pool }
                let created = WorkerPool(threads: configuration.threadPoolSize) { jobs in
                    // An outer binding for the thread's life: outside a Swift task, the
                    // runtime allocates the thread's task-local storage on the first push
                    // and frees it on the last pop, two allocations per task without it.
                    BackgroundTaskContext.$current.withValue(nil) { jobs() }
                }
                pool = created
                return created
            }
        }

        /// Accepts one more task or explains why not.
        func admit() throws(BackgroundTaskRejected) -> UInt64 {
            guard !closed.load(ordering: .acquiring) else {
                throw BackgroundTaskRejected(reason: .shuttingDown, retryAfterSeconds: configuration.retryAfterSeconds)
            }
            guard counters.admit(limit: configuration.maxPendingTasks) else {
                logger.warning("background task rejected: queue full", metadata: ["limit": "\(configuration.maxPendingTasks)"])
                throw BackgroundTaskRejected(
                    reason: .capacity(limit: configuration.maxPendingTasks), retryAfterSeconds: configuration.retryAfterSeconds)
            }
            return nextID.add(1, ordering: .relaxed).newValue
        }

        /// Admits every task a response carries, or none of them.
        package func admitAll(_ tasks: [BackgroundTask]) -> [BackgroundTaskLifecycle.Entry]? {
            var entries: [BackgroundTaskLifecycle.Entry] = []
            for task in tasks {
                do {
                    entries.append((task, BackgroundTaskHandle(id: try admit(), name: task.name)))
                } catch {
                    for _ in entries { counters.retract() }
                    return nil
                }
            }
            return entries
        }

        /// The tasks of a finished request that should run, in order: its own, then those
        /// its response carried (rule 7). After a failed handler or an error status only
        /// `always` tasks run; the rest are skipped and logged at debug (rule 6).
        package func entriesToRun(
            _ context: RequestContext, carried: [BackgroundTaskLifecycle.Entry]?, failed: Bool, status: HTTPResponse.Status
        ) -> [BackgroundTaskLifecycle.Entry] {
            var entries = context.seal()
            // Appending an empty list to the shared empty array still went through the
            // array's copy-on-write path on every request without tasks.
            if let carried, !carried.isEmpty { entries += carried }
            guard failed || status.code >= 400, !entries.isEmpty else { return entries }
            let skipped = entries.filter { !$0.task.options.always }
            for entry in skipped { counters.drop(entry.handle, as: .skipped) }
            if !skipped.isEmpty {
                logger.debug("background tasks skipped: request failed", metadata: [
                    "request-id": "\(context.requestID)", "status": "\(status.code)", "tasks": "\(skipped.map(\.handle.name))",
                ])
            }
            return entries.filter { $0.task.options.always }
        }

        /// The 503 sent when a response's own tasks cannot be accepted.
        package func rejectionResponse() -> Response {
            let rejection = BackgroundTaskRejected(
                reason: .capacity(limit: configuration.maxPendingTasks), retryAfterSeconds: configuration.retryAfterSeconds)
            var response = Response.text(rejection.body, status: rejection.status)
            response.headers[.retryAfter] = "\(rejection.retryAfterSeconds)"
            return response
        }

        /// Lists `lifecycle` (created on its loop's thread) among those `unfinishedTasks` asks.
        func register(_ lifecycle: BackgroundTaskLifecycle) {
            let entry = LoopBound(WeakLifecycle(lifecycle), loop: lifecycle.loop)
            lifecycles.withLock { $0.append((ObjectIdentifier(lifecycle), entry)) }
        }

        /// Takes `lifecycle` off the list (its loop stopped serving).
        func unregister(_ lifecycle: BackgroundTaskLifecycle) {
            lifecycles.withLock { $0.removeAll { $0.id == ObjectIdentifier(lifecycle) } }
        }

        /// The tasks accepted and not finished yet on every loop (waiting for their
        /// response's write, queued, or running), by id: the lists each loop keeps for its
        /// shutdown report, read on that loop. A loop that has stopped has none.
        package func unfinishedTasks() async -> [BackgroundTaskHandle] {
            let entries = lifecycles.withLock { $0.map(\.entry) }
            var handles: [BackgroundTaskHandle] = []
            for entry in entries {
                handles += (try? await entry.loop.submit { entry.value.lifecycle?.unfinishedTasks ?? [] }) ?? []
            }
            return handles.sorted { $0.id < $1.id }
        }

        /// After the shutdown deadline: refuse new tasks, drop queued pool jobs, and stop
        /// the pool's threads without waiting for jobs still running.
        func close() {
            closed.store(true, ordering: .releasing)
            poolStorage.withLock { $0 }?.shutdown(dropQueued: true, join: false)
        }

        /// Stops the pool after a complete drain, waiting for its threads.
        package func stopPool() {
            poolStorage.withLock { pool in
                defer { pool = nil }
                return pool
            }?.shutdown(dropQueued: false, join: true)
        }
    }
}
