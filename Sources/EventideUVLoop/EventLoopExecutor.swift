/// Runs Swift concurrency jobs on an event loop's thread, so `async` handlers and tasks
/// stay on the connection's loop instead of hopping to the global pool.
///
/// Use it as a task executor preference (`Task(executorPreference: loop.executor)`) or
/// as an actor's serial executor.
public final class EventLoopExecutor: SerialExecutor, TaskExecutor {
    /// The loop whose thread runs the jobs.
    public unowned let loop: EventLoop

    init(loop: EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A job enqueued after the loop shut down is dropped: its task never resumes.
        // Servers wait for their tasks before shutting a loop down, up to a deadline.
        loop.execute { [self] in
            job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(loop.inEventLoop, "expected to run on the event loop's thread")
    }
}
