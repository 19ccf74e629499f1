/// Where a durable task is in its life (River's and Oban's states).
///
/// `scheduled` (due later) and `available` (due) wait for a worker; `running` has one;
/// `retryable` failed and waits for its next attempt; `completed`, `discarded` (failed
/// its last attempt, or could not be decoded) and `cancelled` are final.
public enum DurableTaskState: String, Sendable, CaseIterable, Codable {
    case scheduled, available, running, retryable, completed, discarded, cancelled

    /// Whether the task will not run again unless retried by hand.
    public var isFinal: Bool {
        switch self {
        case .completed, .discarded, .cancelled: true
        case .scheduled, .available, .running, .retryable: false
        }
    }

    /// The states a unique key is held in: a second task with the key is not added while
    /// one is in any of them.
    static let holdingUniqueKey: [DurableTaskState] = [.scheduled, .available, .running, .retryable]
}
