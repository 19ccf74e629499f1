internal import CLibUV

/// Collects the blocking jobs one loop submits during an iteration and hands them to a
/// `WorkerPool` together when the iteration's I/O callbacks are done (a `uv_check`
/// handle, started only while jobs wait).
///
/// Why: a pool thread woken for each job preempts the loop each time (on a busy or
/// pinned core, one context switch per request). Handing over an iteration's jobs at
/// once costs one lock and one wake-up. The jobs start in the same iteration, after the
/// loop's reads and writes.
///
/// Loop-bound: create, use and close it on the loop's thread.
public final class PoolSubmissionQueue {
    private let pool: WorkerPool
    private let handle: UnsafeMutablePointer<uv_check_t>
    // why: loop-bound, touched only by this queue's methods; exclusivity checks cost 0.53% instructions per notification (Benchmarks/instructions.py).
    @exclusivity(unchecked) private var waiting: [QueuedJob] = []
    /// Storage handed back and forth with `waiting` so a flush does not allocate.
    private var spare: [QueuedJob] = []
    private var armed = false
    private var closed = false

    /// Creates an idle queue on `loop` feeding `pool`.
    public init(loop: EventLoop, pool: WorkerPool) {
        self.pool = pool
        handle = .allocate(capacity: 1)
        uv_check_init(loop.rawLoop, handle)
        // Retained until the close callback releases it.
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Queues `job` for the end of this iteration. After `close()`, or when the pool has
    /// shut down by the time the batch is handed over, the job is called with
    /// `cancelled: true` on the loop thread instead.
    public func submit(_ job: @escaping WorkerPool.Job) {
        guard !closed else {
            job(true)
            return
        }
        waiting.append(QueuedJob(job))
        guard !armed else { return }
        armed = true
        uv_check_start(handle) { PoolSubmissionQueue.from($0).flush() }
    }

    /// Hands every waiting job to the pool now.
    public func flush() {
        if armed {
            armed = false
            uv_check_stop(handle)
        }
        guard !waiting.isEmpty else { return }
        var batch = spare
        swap(&batch, &waiting)
        if !pool.submit(batch: batch) {
            for job in batch { job.run(true) }
        }
        batch.removeAll(keepingCapacity: true)
        spare = batch
    }

    /// Flushes, then closes the handle; its memory is freed in the close callback.
    public func close() {
        guard !closed else { return }
        flush()
        closed = true
        uv_close(eventide_handle(handle)) { raw in
            let check = raw!.withMemoryRebound(to: uv_check_t.self, capacity: 1) { $0 }
            Unmanaged<PoolSubmissionQueue>.fromOpaque(check.pointee.data).release()
            check.deallocate()
        }
    }

    private static func from(_ check: UnsafeMutablePointer<uv_check_t>?) -> PoolSubmissionQueue {
        Unmanaged<PoolSubmissionQueue>.fromOpaque(check!.pointee.data).takeUnretainedValue()
    }
}
