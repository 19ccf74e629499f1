internal import CLibUV

/// A fixed set of threads that run blocking jobs off the event loops.
///
/// Why not libuv's `uv_queue_work`: its pool is process-wide, sized once by the
/// `UV_THREADPOOL_SIZE` environment variable, and shared with libuv's own file-system
/// and DNS work, so a burst of slow tasks would stall those. A dedicated pool is sized
/// per server, can report and cancel what is still queued at shutdown, and measured no
/// slower (`Benchmarks/pool-choice/pool_choice.c`: 0.3-1.2 µs vs 0.7-0.8 µs per empty
/// job, 1.5-2.3 µs vs 2.2-2.5 µs per file append, median of 3 runs on 2 cores).
///
/// Wake-ups are counted: a submission signals a sleeping thread only when no signal is
/// already on its way to every sleeper, and a thread that takes a job and sees more
/// queued wakes one more. A burst of jobs (`submit(contentsOf:)`, one loop iteration's
/// worth) so costs one signal and at most one context switch per thread, not one per job.
///
/// Completions go back to a loop with `EventLoop.execute`, whose wake-ups coalesce.
/// Thread-safe.
public final class WorkerPool: Sendable {
    /// The number of threads.
    public let threadCount: Int
    /// Wraps each thread's whole life (see `init`).
    private let threadScope: ThreadScope
    /// What the threads and the submitters share, behind one mutex.
    private let jobs = JobQueue()

    /// Runs its argument, a worker thread's job loop, and returns when it returns.
    public typealias ThreadScope = @Sendable (_ body: () -> Void) -> Void

    /// Starts `threads` worker threads (at least 1). Each runs its jobs inside
    /// `threadScope`, which can set up per-thread state that then lasts across jobs.
    public init(threads: Int, threadScope: @escaping ThreadScope = { $0() }) {
        threadCount = max(1, threads)
        self.threadScope = threadScope
        for _ in 0..<threadCount {
            var id = uv_thread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            uv_thread_create(&id, { context in
                let pool = Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue()
                pool.threadScope { pool.work() }
            }, context)
            jobs.adopt(id)
        }
    }

    /// A job; its argument is true when the job is dropped at shutdown instead of run
    /// (it is then called on the thread calling `shutdown`, to release what it holds).
    public typealias Job = @Sendable (_ cancelled: Bool) -> Void

    /// Queues `job`. Returns false (and does not call it) once `shutdown` has begun.
    @discardableResult
    public func submit(_ job: @escaping Job) -> Bool {
        jobs.append(contentsOf: CollectionOfOne(QueuedJob(job)))
    }

    /// Queues every job of `jobs`, in order, with one lock and at most one signal.
    /// Returns false (and calls none of them) once `shutdown` has begun.
    @discardableResult
    public func submit(contentsOf jobs: [Job]) -> Bool {
        submit(batch: jobs.map(QueuedJob.init))
    }

    /// `submit(contentsOf:)` for jobs already wrapped (no conversion per job).
    func submit(batch: [QueuedJob]) -> Bool {
        jobs.append(contentsOf: batch)
    }

    /// Jobs queued and not yet started, plus jobs running now.
    public var load: (queued: Int, running: Int) { jobs.load }

    /// Stops accepting jobs. Jobs already queued still run unless `dropQueued` is
    /// true; then each is called with `cancelled: true` here and their count returned.
    /// With `join` it waits for the threads to exit (so for running jobs to finish);
    /// without, the threads are detached and exit after their current job.
    @discardableResult
    public func shutdown(dropQueued: Bool = false, join: Bool = true) -> Int {
        let (dropped, threads) = jobs.close(dropQueued: dropQueued)
        for job in dropped { job.run(true) }
        for var id in threads {
            if join { uv_thread_join(&id) } else { eventide_detach_thread(id) }
        }
        return dropped.count
    }

    private func work() {
        while let job = jobs.next() {
            job.run(false)
            jobs.finished()
        }
    }
}

extension WorkerPool {
    /// The queue of a pool, its threads' ids and the counts behind its wake-ups.
    // why: every var is read and written with `mutex` held.
    final class JobQueue: @unchecked Sendable {
        private let mutex: UnsafeMutablePointer<uv_mutex_t> = .allocate(capacity: 1)
        private let ready: UnsafeMutablePointer<uv_cond_t> = .allocate(capacity: 1)
        // why: only touched with `mutex` held; exclusivity checks cost 0.85% instructions per notification (Benchmarks/instructions.py).
        @exclusivity(unchecked) private var queue: [QueuedJob] = []
        private var head = 0
        private var stopping = false
        private var running = 0
        /// Threads waiting on `ready`.
        private var sleeping = 0
        /// Signals sent to `ready` that no thread has woken from yet.
        private var wakesInFlight = 0
        private var threads: [uv_thread_t] = []

        init() {
            uv_mutex_init(mutex)
            uv_cond_init(ready)
        }

        deinit {
            uv_cond_destroy(ready)
            uv_mutex_destroy(mutex)
            ready.deallocate()
            mutex.deallocate()
        }

        /// Records a started thread, to join or detach at `close`.
        func adopt(_ thread: uv_thread_t) {
            uv_mutex_lock(mutex)
            threads.append(thread)
            uv_mutex_unlock(mutex)
        }

        /// Queues `jobs` in order, with one lock and at most one signal. Returns false (and
        /// queues none) once closed.
        func append(contentsOf jobs: some Collection<QueuedJob>) -> Bool {
            guard !jobs.isEmpty else { return true }
            uv_mutex_lock(mutex)
            guard !stopping else {
                uv_mutex_unlock(mutex)
                return false
            }
            queue.append(contentsOf: jobs)
            let wake = claimWake()
            uv_mutex_unlock(mutex)
            if wake { uv_cond_signal(ready) }
            return true
        }

        /// Whether the caller should signal `ready`: true when some sleeping thread has no
        /// signal on its way yet. Call with `mutex` held.
        private func claimWake() -> Bool {
            guard sleeping > wakesInFlight else { return false }
            wakesInFlight += 1
            return true
        }

        /// Jobs queued and not yet started, plus jobs running now.
        var load: (queued: Int, running: Int) {
            uv_mutex_lock(mutex)
            defer { uv_mutex_unlock(mutex) }
            return (queue.count - head, running)
        }

        /// The next job, counted as running until `finished()`; waits while the queue is
        /// empty. Nil once closed and empty: the thread then exits.
        func next() -> QueuedJob? {
            uv_mutex_lock(mutex)
            while head == queue.count && !stopping {
                sleeping += 1
                uv_cond_wait(ready, mutex)
                sleeping -= 1
                // A spurious wake-up may take another thread's count: that only costs
                // one extra signal later, never a missed one.
                wakesInFlight = max(0, wakesInFlight - 1)
            }
            if head == queue.count {
                uv_mutex_unlock(mutex)
                return nil
            }
            let job = queue[head]
            queue[head] = .consumed  // releases what the job captured once it ran
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            running += 1
            let wakeAnother = head < queue.count && claimWake()
            uv_mutex_unlock(mutex)
            if wakeAnother { uv_cond_signal(ready) }
            return job
        }

        /// A job taken by `next()` returned.
        func finished() {
            uv_mutex_lock(mutex)
            running -= 1
            uv_mutex_unlock(mutex)
        }

        /// Stops accepting jobs and wakes every thread: they run what is queued, then exit.
        /// Returns the threads, and with `dropQueued` the queued jobs, taken off the queue.
        func close(dropQueued: Bool) -> (dropped: [QueuedJob], threads: [uv_thread_t]) {
            uv_mutex_lock(mutex)
            stopping = true
            var dropped: [QueuedJob] = []
            if dropQueued {
                dropped = Array(queue[head...])
                queue.removeAll()
                head = 0
            }
            let stopped = threads
            threads = []
            uv_mutex_unlock(mutex)
            uv_cond_broadcast(ready)
            return (dropped, stopped)
        }
    }
}

/// A job as queued. A struct rather than the bare closure: an array stores a closure
/// taking arguments through a reabstraction thunk, an allocation for every job stored.
struct QueuedJob {
    let run: WorkerPool.Job

    init(_ run: @escaping WorkerPool.Job) { self.run = run }

    /// Fills the slot of a job taken off the queue.
    static let consumed = QueuedJob { _ in }
}
