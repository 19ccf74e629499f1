/// Where a durable task is in its life (River's and Oban's states).
///
/// `scheduled` (due later) and `available` (due) wait for a worker; `running` has one;
/// `retryable` failed and waits for its next attempt; `completed`, `discarded` (failed
/// its last attempt, or could not be decoded) and `cancelled` are final.
public enum DurableTaskState: String, Sendable, CaseIterable, Codable {
    /// Waits for its due time.
    case scheduled
    /// Due: waits for a worker.
    case available
    /// A worker runs it.
    case running
    /// Failed; waits for its next attempt.
    case retryable
    /// Ran to the end.
    case completed
    /// Failed its last attempt, or cannot run (unknown kind, arguments that do not decode).
    case discarded
    /// Stopped by `cancel` or by itself.
    case cancelled

    /// Whether the task will not run again unless retried by hand.
    public var isFinal: Bool {
        switch self {
        case .completed, .discarded, .cancelled: true
        case .scheduled, .available, .running, .retryable: false
        }
    }
}
