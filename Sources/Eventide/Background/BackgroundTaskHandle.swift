/// The state of one background task.
public enum BackgroundTaskState: Sendable, Hashable {
    /// Accepted; waiting for the response to be written or for earlier tasks.
    case pending
    /// Running now.
    case running
    /// Finished without error.
    case succeeded
    /// Threw; the error's description.
    case failed(String)
    /// Not run: the handler failed, or an earlier task failed with `stopOnFirstError`.
    case skipped
    /// Not run or interrupted: the shutdown deadline passed.
    case cancelled

    /// Whether the task will not change state any more.
    public var isFinal: Bool {
        switch self {
        case .pending, .running: return false
        case .succeeded, .failed, .skipped, .cancelled: return true
        }
    }
}

/// Returned by `BackgroundTasks.add`: the task's id and name, its state, and a way to
/// await its completion.
public final class BackgroundTaskHandle: Sendable, CustomStringConvertible {
    /// Unique within the server process.
    public let id: UInt64
    /// The task's name.
    public let name: String
    private let status = Locked(Status())

    private struct Status {
        var state = BackgroundTaskState.pending
        var waiters: [CheckedContinuation<BackgroundTaskState, Never>] = []
    }

    init(id: UInt64, name: String) {
        self.id = id
        self.name = name
    }

    /// The current state.
    public var state: BackgroundTaskState { status.withLock { $0.state } }

    /// Waits until the task reached a final state and returns it.
    public func completion() async -> BackgroundTaskState {
        await withCheckedContinuation { continuation in
            let finished: BackgroundTaskState? = status.withLock { status in
                if status.state.isFinal { return status.state }
                status.waiters.append(continuation)
                return nil
            }
            if let finished { continuation.resume(returning: finished) }
        }
    }

    func markRunning() {
        status.withLock { $0.state = .running }
    }

    package func finish(_ state: BackgroundTaskState) {
        let waiters = status.withLock { status in
            status.state = state
            defer { status.waiters = [] }
            return status.waiters
        }
        for waiter in waiters { waiter.resume(returning: state) }
    }

    public var description: String { "\(name)#\(id)" }
}
