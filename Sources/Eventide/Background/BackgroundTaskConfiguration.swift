/// Limits and behaviour of background tasks. Every field has a documented default.
public struct BackgroundTaskConfiguration: Sendable {
    /// Threads of the blocking pool, separate from the event loops. Default 4.
    public var threadPoolSize: Int
    /// Tasks accepted and not yet finished, server-wide. Beyond it `add` throws
    /// `BackgroundTaskRejected` (503 + `Retry-After`). Default 10,000.
    public var maxPendingTasks: Int
    /// The `Retry-After` seconds of a 503 for a full queue. Default 1.
    public var retryAfterSeconds: Int
    /// A loop task holding its loop longer than this in one go is logged by name and
    /// counted as a loop stall. Default 100 ms.
    public var loopStallThreshold: Duration
    /// Starlette's behaviour: the first failing task skips the request's later tasks.
    /// Default false (later tasks still run).
    public var stopOnFirstError: Bool
    /// Called once for every task that threw, on the thread that runs the request's task
    /// list: a pool thread when all the request's tasks are blocking ones on the pool, else
    /// the request's loop (also for a task of that list that itself ran off the loop).
    /// Keep it short and non-blocking.
    public var onFailure: (@Sendable (BackgroundTaskFailure) -> Void)?

    /// A configuration; every argument has the default documented on its field.
    public init(
        threadPoolSize: Int = 4,
        maxPendingTasks: Int = 10_000,
        retryAfterSeconds: Int = 1,
        loopStallThreshold: Duration = .milliseconds(100),
        stopOnFirstError: Bool = false,
        onFailure: (@Sendable (BackgroundTaskFailure) -> Void)? = nil
    ) {
        self.threadPoolSize = threadPoolSize
        self.maxPendingTasks = maxPendingTasks
        self.retryAfterSeconds = retryAfterSeconds
        self.loopStallThreshold = loopStallThreshold
        self.stopOnFirstError = stopOnFirstError
        self.onFailure = onFailure
    }
}

/// A task that threw, as reported to `BackgroundTaskConfiguration.onFailure`.
public struct BackgroundTaskFailure: Sendable {
    /// The task's name.
    public let taskName: String
    /// The request that added it.
    public let requestID: RequestID
    /// What it threw.
    public let error: any Error
}
