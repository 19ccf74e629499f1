internal import CLibUV
import Synchronization

/// A libuv event loop: either owned (created, run and closed by Eventide) or borrowed
/// from a host application that runs it itself.
///
/// Thread contract: `execute(_:)`, `inEventLoop` and `executor` may be used from any
/// thread. Everything else in UVLoop (timers, listeners, connections) is loop-bound:
/// create and use it only on the loop's thread.
public final class EventLoop: Sendable {
    /// Whether this object created the `uv_loop_t` (and so must close and free it).
    public var ownsLoop: Bool { memory.ownsLoop }
    private let memory: LoopMemory
    private let pending = Locked(PendingWork())
    private let loopThread = Atomic<UInt>(0)
    private let executorReference = AtomicLazyReference<EventLoopExecutor>()

    var rawLoop: UnsafeMutablePointer<uv_loop_t> { memory.loop }

    /// The scratch buffer every connection of this loop reads into; reads are consumed
    /// synchronously in the read callback, so one buffer per loop is enough.
    var readBuffer: UnsafeMutableRawBufferPointer { memory.readBuffer }

    /// The executor that runs Swift concurrency jobs on this loop's thread.
    public var executor: EventLoopExecutor {
        executorReference.load() ?? executorReference.storeIfNil(EventLoopExecutor(loop: self))
    }

    private struct PendingWork {
        var jobs: [@Sendable () -> Void] = []
        var wakeupScheduled = false
        var accepting = true
    }

    /// Creates a loop that Eventide owns. The creating thread counts as the loop thread
    /// until another thread calls `run()` or `runOnce(wait:)`.
    public convenience init() throws(UVError) {
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let status = uv_loop_init(loop)
        guard status == 0 else {
            loop.deallocate()
            throw UVError(code: status)
        }
        try self.init(loop: loop, owned: true)
        bindToCurrentThread()
    }

    /// Wraps a `uv_loop_t` that a host application created and runs. Call this on the
    /// thread that runs that loop; the host keeps ownership and closes it itself.
    ///
    /// - Parameter rawLoop: a pointer to the host's initialised `uv_loop_t`.
    public convenience init(borrowing rawLoop: UnsafeMutableRawPointer) throws(UVError) {
        try self.init(loop: rawLoop.assumingMemoryBound(to: uv_loop_t.self), owned: false)
        bindToCurrentThread()
    }

    private init(loop: UnsafeMutablePointer<uv_loop_t>, owned: Bool) throws(UVError) {
        eventide_ignore_sigpipe()
        let wakeup = UnsafeMutablePointer<uv_async_t>.allocate(capacity: 1)
        let status = uv_async_init(loop, wakeup) { handle in
            EventLoop.from(handle!.pointee.data).runPendingWork()
        }
        guard status == 0 else {
            wakeup.deallocate()
            if owned {
                uv_loop_close(loop)
                loop.deallocate()
            }
            throw UVError(code: status)
        }
        memory = LoopMemory(loop: loop, ownsLoop: owned, wakeup: wakeup)
        // Unretained: the loop object outlives its wake-up handle (closed in `closeWakeup`).
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// The raw `uv_loop_t *`, for hosts that embed Eventide.
    public var uvLoop: UnsafeMutableRawPointer { UnsafeMutableRawPointer(rawLoop) }

    /// Records the calling thread as the loop thread.
    private func bindToCurrentThread() {
        loopThread.store(UInt(bitPattern: Int(bitPattern: uv_thread_self())), ordering: .releasing)
    }

    /// Forgets the loop thread until `run()` names a new one (a loop handed to a thread).
    func unbindThread() {
        loopThread.store(0, ordering: .releasing)
    }

    /// True when called on the thread that runs this loop.
    public var inEventLoop: Bool {
        loopThread.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: uv_thread_self()))
    }

    /// Runs `work` on the loop thread soon. Safe from any thread; wake-ups coalesce so a
    /// burst of calls costs one `uv_async_send`.
    ///
    /// - Returns: false when the loop no longer accepts work (its wake-up handle closed);
    ///   `work` is then dropped.
    @discardableResult
    public func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        let needsWakeup: Bool? = pending.withLock { state in
            guard state.accepting else { return nil }
            state.jobs.append(work)
            if state.wakeupScheduled { return false }
            state.wakeupScheduled = true
            return true
        }
        guard let needsWakeup else { return false }
        if needsWakeup { uv_async_send(memory.wakeup) }
        return true
    }

    private func runPendingWork() {
        // A local batch: a job may drain again (e.g. `closeWakeup()` from inside a job),
        // and must not see or keep this batch's jobs.
        var batch = memory.spareBatch
        memory.spareBatch = []
        pending.withLock { state in
            swap(&state.jobs, &batch)
            state.wakeupScheduled = false
        }
        for job in batch { job() }
        batch.removeAll(keepingCapacity: true)
        memory.spareBatch = batch
    }

    /// Runs an owned loop on the calling thread until no active handles remain (after
    /// `closeWakeup()` and every other handle has closed).
    public func run() {
        precondition(ownsLoop, "a borrowed loop is run by its host")
        bindToCurrentThread()
        uv_run(rawLoop, UV_RUN_DEFAULT)
    }

    /// Runs one iteration of an owned loop. With `wait` false it never blocks (step mode).
    ///
    /// - Returns: true while the loop still has active handles or requests.
    @discardableResult
    public func runOnce(wait: Bool) -> Bool {
        precondition(ownsLoop, "a borrowed loop is run by its host")
        bindToCurrentThread()
        return uv_run(rawLoop, wait ? UV_RUN_ONCE : UV_RUN_NOWAIT) != 0
    }

    /// Milliseconds until the next timer is due (-1: no timer, the host may sleep until
    /// I/O arrives; 0: work is due now). For hosts that drive the loop in step mode.
    public var nextTimeout: Int { Int(uv_backend_timeout(rawLoop)) }

    /// Closes the loop's wake-up handle after running the work already queued. Later
    /// `execute` calls return false. Loop thread only.
    public func closeWakeup() {
        precondition(inEventLoop, "closeWakeup must be called on the loop thread")
        guard !memory.wakeupClosed else { return }
        pending.withLock { $0.accepting = false }
        runPendingWork()
        memory.wakeupClosed = true
        uv_close(eventide_handle(memory.wakeup), nil)
    }

    /// Closes an owned loop after `run()` returned: fails with `.busy` while any handle is
    /// still open (a leak), leaving the loop usable so the caller can diagnose it.
    public func close() throws(UVError) {
        precondition(ownsLoop, "a borrowed loop is closed by its host")
        guard !memory.loopClosed else { return }
        // Lets close callbacks of handles closed after `run()` returned fire.
        uv_run(rawLoop, UV_RUN_NOWAIT)
        try UVError.check(uv_loop_close(rawLoop))
        memory.loopClosed = true
    }

    /// The number of handles on this loop that are open and not closing (ours and, for a
    /// borrowed loop, the host's). Loop thread only.
    public var openHandleCount: Int {
        var count = 0
        uv_walk(rawLoop, { handle, counter in
            if uv_is_closing(handle) == 0 {
                counter!.assumingMemoryBound(to: Int.self).pointee += 1
            }
        }, &count)
        return count
    }

    /// The loop's cached monotonic time in milliseconds (`uv_now`): updated once per
    /// iteration, free to read. Loop thread only.
    public var nowMilliseconds: UInt64 { uv_now(rawLoop) }

    /// A monotonic clock in nanoseconds (`uv_hrtime`), for measuring durations.
    public static var monotonicNanoseconds: UInt64 { uv_hrtime() }

    /// Seconds since 1970 from the loop's clock (`time(2)`), for the cached `Date` header.
    public static var wallClockSeconds: Int { Int(time(nil)) }

    static func from(_ data: UnsafeMutableRawPointer?) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(data!).takeUnretainedValue()
    }
}

/// The memory an `EventLoop` owns and only its thread uses: the `uv_loop_t` (when owned),
/// the wake-up handle, the read buffer and the array of drained jobs. Each part is freed
/// with the loop object, and only once libuv is done with it.
// why: touched only on the loop thread (and in deinit), except `uv_async_send(wakeup)`, which libuv makes thread-safe.
private final class LoopMemory: @unchecked Sendable {
    let loop: UnsafeMutablePointer<uv_loop_t>
    let ownsLoop: Bool
    let wakeup: UnsafeMutablePointer<uv_async_t>
    let readBuffer: UnsafeMutableRawBufferPointer = .allocate(byteCount: 64 * 1024, alignment: 16)
    /// Storage handed back and forth with the pending jobs so draining does not allocate.
    var spareBatch: [@Sendable () -> Void] = []
    var wakeupClosed = false
    var loopClosed = false

    init(loop: UnsafeMutablePointer<uv_loop_t>, ownsLoop: Bool, wakeup: UnsafeMutablePointer<uv_async_t>) {
        self.loop = loop
        self.ownsLoop = ownsLoop
        self.wakeup = wakeup
    }

    deinit {
        if ownsLoop && loopClosed { loop.deallocate() }
        if wakeupClosed {
            wakeup.deallocate()
            readBuffer.deallocate()
        }
    }
}
