import EventideHTTP1

/// Thrown by `BackgroundTasks.add` when the server cannot accept more work. Uncaught,
/// it answers `503 Service Unavailable` with `Retry-After`, so the client retries
/// instead of the server accepting work it would lose.
public struct BackgroundTaskRejected: HTTPResponseError, Sendable, CustomStringConvertible {
    /// Why the task was refused.
    public enum Reason: Sendable, Hashable {
        /// `maxPendingTasks` tasks are already accepted and unfinished.
        case capacity(limit: Int)
        /// The server is past its shutdown deadline.
        case shuttingDown
        /// The request's response is already complete; add tasks before returning.
        case requestFinished
    }

    /// Why the task was refused.
    public let reason: Reason
    /// Seconds sent in `Retry-After`.
    public let retryAfterSeconds: Int

    public var status: HTTPResponse.Status { .serviceUnavailable }
    public var headers: HTTPFields { [.retryAfter: "\(retryAfterSeconds)"] }
    public var body: String { "503 Service Unavailable: background task queue is full, retry later\n" }

    public var description: String {
        switch reason {
        case .capacity(let limit): return "background task rejected: \(limit) tasks already pending"
        case .shuttingDown: return "background task rejected: server shutting down"
        case .requestFinished: return "background task rejected: the response was already sent"
        }
    }
}
