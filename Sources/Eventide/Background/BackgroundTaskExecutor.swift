import EventideUVLoop

/// The executor a request's background task sequence runs on: the request's loop,
/// with every slice of work timed so a loop task that holds the loop too long is
/// reported by name (rule 2).
// why: `currentTask` is read and written only on `loop`'s thread (by the task list, which runs on this executor, and by `enqueue`'s job).
final class BackgroundTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: EventLoop
    private let thresholdNanoseconds: UInt64
    private let onStall: @Sendable (String, UInt64) -> Void
    var currentTask = ""

    init(loop: EventLoop, threshold: Duration, onStall: @escaping @Sendable (String, UInt64) -> Void) {
        self.loop = loop
        self.thresholdNanoseconds = threshold.wholeMilliseconds * 1_000_000
        self.onStall = onStall
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { [self] in
            let start = EventLoop.monotonicNanoseconds
            job.runSynchronously(on: asUnownedTaskExecutor())
            let elapsed = EventLoop.monotonicNanoseconds - start
            if elapsed > thresholdNanoseconds { onStall(currentTask, elapsed) }
        }
    }
}
