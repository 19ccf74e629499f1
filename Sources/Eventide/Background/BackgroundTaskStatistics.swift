import Metrics
import Synchronization

/// Counts of background tasks since the server started (rule 12). Also exported
/// through swift-metrics as `eventide_background_tasks{state=...}`,
/// `eventide_background_task_duration` and `eventide_loop_stalls`.
public struct BackgroundTaskStatistics: Sendable, Hashable {
    /// Accepted by `add` (or attached to a response).
    public var queued: Int
    /// Running now.
    public var running: Int
    /// Finished without error.
    public var succeeded: Int
    /// Threw.
    public var failed: Int
    /// Not run because the handler failed (or `stopOnFirstError`).
    public var skipped: Int
    /// Refused because the queue was full.
    public var rejected: Int
    /// Not run or interrupted at the shutdown deadline.
    public var cancelled: Int
    /// Loop tasks that held their loop longer than the stall threshold.
    public var loopStalls: Int

    /// Accepted and not finished.
    public var pending: Int { queued - succeeded - failed - skipped - cancelled }
}

/// The live counters behind `BackgroundTaskStatistics`, plus their swift-metrics twins.
package final class BackgroundTaskCounters: Sendable {
    private let queued = Atomic<Int>(0)
    private let running = Atomic<Int>(0)
    private let succeeded = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let skipped = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let cancelled = Atomic<Int>(0)
    private let stalls = Atomic<Int>(0)
    private let metrics = MetricHandles()

    private struct MetricHandles: Sendable {
        let queued = Counter(label: "eventide_background_tasks", dimensions: [("state", "queued")])
        let succeeded = Counter(label: "eventide_background_tasks", dimensions: [("state", "succeeded")])
        let failed = Counter(label: "eventide_background_tasks", dimensions: [("state", "failed")])
        let skipped = Counter(label: "eventide_background_tasks", dimensions: [("state", "skipped")])
        let rejected = Counter(label: "eventide_background_tasks", dimensions: [("state", "rejected")])
        let cancelled = Counter(label: "eventide_background_tasks", dimensions: [("state", "cancelled")])
        let running = Gauge(label: "eventide_background_tasks_running")
        let duration = Metrics.Timer(label: "eventide_background_task_duration")
        let stalls = Counter(label: "eventide_loop_stalls")
    }

    var pending: Int {
        queued.load(ordering: .relaxed) - succeeded.load(ordering: .relaxed) - failed.load(ordering: .relaxed)
            - skipped.load(ordering: .relaxed) - cancelled.load(ordering: .relaxed)
    }

    /// Admits one task unless `limit` are pending.
    func admit(limit: Int) -> Bool {
        // Optimistic: count first, undo if over the limit (never loses an accepted task).
        let accepted = queued.add(1, ordering: .relaxed).newValue
        if accepted - finishedCount > limit {
            queued.subtract(1, ordering: .relaxed)
            rejected.add(1, ordering: .relaxed)
            metrics.rejected.increment()
            return false
        }
        metrics.queued.increment()
        return true
    }

    private var finishedCount: Int {
        succeeded.load(ordering: .relaxed) + failed.load(ordering: .relaxed) + skipped.load(ordering: .relaxed)
            + cancelled.load(ordering: .relaxed)
    }

    /// Undoes an `admit` whose task was never accepted after all.
    func retract() {
        // The swift-metrics counter cannot go down; it may overcount by these.
        queued.subtract(1, ordering: .relaxed)
    }

    func started() {
        let now = running.add(1, ordering: .relaxed).newValue
        metrics.running.record(now)
    }

    func finished(_ state: BackgroundTaskState, durationNanoseconds: UInt64) {
        let now = running.subtract(1, ordering: .relaxed).newValue
        metrics.running.record(now)
        metrics.duration.recordNanoseconds(Int64(clamping: durationNanoseconds))
        record(state)
    }

    /// A task that never started (skipped or cancelled).
    package func dropped(_ state: BackgroundTaskState) { record(state) }

    private func record(_ state: BackgroundTaskState) {
        switch state {
        case .succeeded:
            succeeded.add(1, ordering: .relaxed)
            metrics.succeeded.increment()
        case .failed:
            failed.add(1, ordering: .relaxed)
            metrics.failed.increment()
        case .skipped:
            skipped.add(1, ordering: .relaxed)
            metrics.skipped.increment()
        case .cancelled:
            cancelled.add(1, ordering: .relaxed)
            metrics.cancelled.increment()
        case .pending, .running:
            break
        }
    }

    func loopStalled() {
        stalls.add(1, ordering: .relaxed)
        metrics.stalls.increment()
    }

    package var snapshot: BackgroundTaskStatistics {
        BackgroundTaskStatistics(
            queued: queued.load(ordering: .relaxed), running: running.load(ordering: .relaxed),
            succeeded: succeeded.load(ordering: .relaxed), failed: failed.load(ordering: .relaxed),
            skipped: skipped.load(ordering: .relaxed), rejected: rejected.load(ordering: .relaxed),
            cancelled: cancelled.load(ordering: .relaxed), loopStalls: stalls.load(ordering: .relaxed))
    }
}
