import Logging

/// What a running background task knows about the request that added it: visible
/// through `BackgroundTaskContext.current` in both blocking and `async` tasks.
public struct BackgroundTaskContext: Sendable {
    /// The request that added the task.
    public let requestID: RequestID
    /// The task's name.
    public let taskName: String
    let baseLogger: Logger

    /// The request's logger, with `request-id` and `task` metadata (built on access, so
    /// tasks that do not log pay nothing for it).
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "request-id"] = "\(requestID)"
        logger[metadataKey: "task"] = "\(taskName)"
        return logger
    }

    /// The context of the background task running on this thread or in this task;
    /// nil outside background tasks.
    @TaskLocal public static var current: BackgroundTaskContext?
}
