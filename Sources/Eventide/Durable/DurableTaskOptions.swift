import Foundation

/// How a durable task is stored and run.
///
/// ```swift
/// try tasks.add(durable: SendWelcome(email: email),
///               options: .init(delay: .seconds(30), maxAttempts: 10, uniqueKey: "welcome:\(email)", queue: "mail", priority: 1))
/// ```
public struct DurableTaskOptions: Sendable {
    /// Run no earlier than this long after it is stored.
    public var delay: Duration?
    /// Run no earlier than this time (wins over `delay`).
    public var at: Date?
    /// Runs allowed in all (the first included). Default 20.
    public var maxAttempts: Int
    /// While a task with this key is scheduled, available, running or retryable, adding
    /// another one with it adds nothing and answers the existing task's id.
    public var uniqueKey: String?
    /// The queue whose workers run it. Default "default".
    public var queue: String
    /// Lower runs first among due tasks of its queue. Default 0.
    public var priority: Int
    /// How long one run may take before it is cancelled and counted as failed (nil: the
    /// queue's `TaskQueue.Configuration.timeout`).
    public var timeout: Duration?
    /// Stored even when the request failed (its handler threw or answered 400 or above),
    /// as `BackgroundTaskOptions.always` for in-process tasks.
    public var always: Bool

    /// Options with the given values (every one has a default).
    public init(
        delay: Duration? = nil, at: Date? = nil, maxAttempts: Int = 20, uniqueKey: String? = nil, queue: String = "default",
        priority: Int = 0, timeout: Duration? = nil, always: Bool = false
    ) {
        self.delay = delay
        self.at = at
        self.maxAttempts = max(1, maxAttempts)
        self.uniqueKey = uniqueKey
        self.queue = queue
        self.priority = priority
        self.timeout = timeout
        self.always = always
    }

    /// When the task is due, for a task stored at `now` (milliseconds since the epoch).
    func runAt(now: Int64) -> Int64 {
        if let at { return Int64((at.timeIntervalSince1970 * 1000).rounded()) }
        if let delay { return now + Int64(delay.wholeMilliseconds) }
        return now
    }
}

/// Why `tasks.add(durable:)` refused a task.
public enum DurableTaskUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server was configured without `ServerConfiguration.taskQueue`.
    case noTaskQueue
    /// The task's type is not among the `TaskQueue`'s `tasks`.
    case unregistered(kind: String)
    /// The request's response was already committed.
    case requestFinished

    public var description: String {
        switch self {
        case .noTaskQueue: "durable task added, but the server has no ServerConfiguration.taskQueue"
        case .unregistered(let kind): "durable task kind \"\(kind)\" is not registered with the TaskQueue"
        case .requestFinished: "durable task added after the request's response was committed"
        }
    }
}
