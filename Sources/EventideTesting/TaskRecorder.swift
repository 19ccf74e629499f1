import Eventide
import EventideUVLoop

/// Sees every request's task list as the server hands it over (its response written) and
/// applies the client's `TaskMode`: records what started, or captures without running.
final class TaskRecorder: Sendable {
    private struct State {
        var started: [BackgroundTaskHandle] = []
        var captured: [CapturedTask] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Task lists observed so far.
        var observed = 0
    }

    let mode: TestClient.TaskMode
    private let state = Locked(State())
    private let countersSlot = Locked<BackgroundTaskCounters?>(nil)

    /// The server's counters (set once, before the first request).
    var counters: BackgroundTaskCounters? {
        get { countersSlot.withLock { $0 } }
        set { countersSlot.withLock { $0 = newValue } }
    }

    init(mode: TestClient.TaskMode) {
        self.mode = mode
    }

    var captured: [CapturedTask] { state.withLock { $0.captured } }

    /// The server's observer: whether `entries` run.
    func observe(_ entries: [BackgroundTaskLifecycle.Entry], requestID: RequestID) -> Bool {
        let waiters = state.withLock { state in
            state.observed += 1
            if mode == .captured {
                state.captured += entries.map {
                    CapturedTask(name: $0.task.name, arguments: $0.task.arguments, options: $0.task.options, requestID: requestID)
                }
            } else {
                state.started += entries.map(\.handle)
            }
            defer { state.waiters = [] }
            return state.waiters
        }
        if mode == .captured {
            for entry in entries { counters?.drop(entry.handle, as: .skipped) }
        }
        for waiter in waiters { waiter.resume() }
        return mode != .captured
    }

    /// Waits until no accepted task is unfinished (`pending` counts them from `add` on, so
    /// a task not handed over yet is waited for too), and returns the final states of the
    /// tasks started so far, in order.
    func settle(pending: () -> Int) async -> [BackgroundTaskState] {
        var awaited = 0
        var states: [BackgroundTaskState] = []
        while true {
            let (handles, observed) = state.withLock { (Array($0.started[awaited...]), $0.observed) }
            if !handles.isEmpty {
                for handle in handles { states.append(await handle.completion()) }
                awaited += handles.count
                continue
            }
            if pending() <= 0 { return states }
            await withCheckedContinuation { continuation in
                let handedOver = state.withLock { state in
                    guard state.observed == observed else { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if handedOver { continuation.resume() }
            }
        }
    }
}
