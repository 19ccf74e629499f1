import EventideUVLoop
import Synchronization

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
///
/// The state is one atomic byte, so a task's progress costs no lock and no allocation;
/// only `completion()` on an unfinished task takes a lock (a process-wide table of
/// waiters, keyed by handle).
public final class BackgroundTaskHandle: Sendable, CustomStringConvertible {
    /// Unique within the server process.
    public let id: UInt64
    /// The task's name.
    public let name: String
    /// When `add` accepted it (`EventLoop.monotonicNanoseconds`), for the wait metric.
    let addedAt = EventLoop.monotonicNanoseconds
    /// The state's kind (`Kind`), plus `hasWaiters` once `completion()` registered one.
    private let word = Atomic<UInt8>(Kind.pending)
    /// The error's description of a `.failed` state (locked only by a failed task and by
    /// reading a failed state).
    private let failure = Locked("")

    /// Continuations of `completion()` calls made before their task finished.
    private static let waiters = Locked<[ObjectIdentifier: [CheckedContinuation<BackgroundTaskState, Never>]]>([:])

    private enum Kind {
        static let pending: UInt8 = 0
        static let running: UInt8 = 1
        static let succeeded: UInt8 = 2
        static let failed: UInt8 = 3
        static let skipped: UInt8 = 4
        static let cancelled: UInt8 = 5
        static let hasWaiters: UInt8 = 0x80
    }

    init(id: UInt64, name: String) {
        self.id = id
        self.name = name
    }

    /// The current state.
    public var state: BackgroundTaskState { decode(word.load(ordering: .acquiring)) }

    /// Waits until the task reached a final state and returns it.
    public func completion() async -> BackgroundTaskState {
        let current = state
        if current.isFinal { return current }
        return await withCheckedContinuation { continuation in
            let finished: BackgroundTaskState? = Self.waiters.withLock { table in
                var word = self.word.load(ordering: .acquiring)
                while true {
                    let state = decode(word)
                    if state.isFinal { return state }
                    let (exchanged, original) = self.word.compareExchange(
                        expected: word, desired: word | Kind.hasWaiters, ordering: .acquiringAndReleasing)
                    if exchanged { break }
                    word = original
                }
                // `finish` sees the flag and takes this lock after us: it finds the continuation.
                table[ObjectIdentifier(self), default: []].append(continuation)
                return nil
            }
            if let finished { continuation.resume(returning: finished) }
        }
    }

    func markRunning() {
        // pending (0) becomes running (1); a waiter's flag is kept.
        word.bitwiseOr(Kind.running, ordering: .releasing)
    }

    /// Records the final `state` and resumes the waiters. Called once per task, by
    /// whoever runs, skips or cancels it.
    package func finish(_ state: BackgroundTaskState) {
        if case .failed(let message) = state { failure.withLock { $0 = message } }
        let previous = word.exchange(Self.kind(of: state), ordering: .acquiringAndReleasing)
        guard previous & Kind.hasWaiters != 0 else { return }
        let waiting = Self.waiters.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) } ?? []
        for waiter in waiting { waiter.resume(returning: state) }
    }

    public var description: String { "\(name)#\(id)" }

    /// How many `completion()` calls wait for this task now (for tests).
    var waiterCount: Int { Self.waiters.withLock { $0[ObjectIdentifier(self)]?.count ?? 0 } }

    private func decode(_ word: UInt8) -> BackgroundTaskState {
        switch word & ~Kind.hasWaiters {
        case Kind.pending: return .pending
        case Kind.running: return .running
        case Kind.succeeded: return .succeeded
        case Kind.failed: return .failed(failure.withLock { $0 })
        case Kind.skipped: return .skipped
        default: return .cancelled
        }
    }

    private static func kind(of state: BackgroundTaskState) -> UInt8 {
        switch state {
        case .pending: return Kind.pending
        case .running: return Kind.running
        case .succeeded: return Kind.succeeded
        case .failed: return Kind.failed
        case .skipped: return Kind.skipped
        case .cancelled: return Kind.cancelled
        }
    }
}
