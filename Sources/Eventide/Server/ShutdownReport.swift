/// How a server's shutdown ended.
public struct ShutdownReport: Sendable {
    /// Names of background tasks that had not finished at the shutdown deadline.
    public let unfinishedTasks: [String]
    /// Background task counts at the end.
    public let statistics: BackgroundTaskStatistics

    /// True when every accepted background task finished: exit with success.
    public var drainedCompletely: Bool { unfinishedTasks.isEmpty }
}
