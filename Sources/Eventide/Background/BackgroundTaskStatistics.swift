import Metrics
import Synchronization

/// Counts of background tasks since the server started (rule 12). Also exported
/// through swift-metrics (`BackgroundTaskCounters` lists the names).
///
/// Every task added ends in exactly one of succeeded, failed, skipped or cancelled, or is
/// still unfinished: `added == succeeded + failed + skipped + cancelled + unfinished`.
/// Printed, it is the line the server logs when it stops:
/// `tasks: 2 added, 2 succeeded, 0 failed, 0 skipped, 0 cancelled, 0 rejected, 0 unfinished`.
public struct BackgroundTaskStatistics: Sendable, Hashable, CustomStringConvertible {
    /// Accepted by `add` (or attached to a response), whatever became of them since.
    public var added: Int
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

    /// Added and not finished yet (waiting for their response's write, queued or running).
    public var unfinished: Int { added - succeeded - failed - skipped - cancelled }

    /// The former name of `added`.
    @available(*, deprecated, renamed: "added")
    public var queued: Int { added }

    /// The former name of `unfinished`.
    @available(*, deprecated, renamed: "unfinished")
    public var pending: Int { unfinished }

    public var description: String {
        "tasks: \(added) added, \(succeeded) succeeded, \(failed) failed, \(skipped) skipped, \(cancelled) cancelled, "
            + "\(rejected) rejected, \(unfinished) unfinished"
    }
}

/// The live counters behind `BackgroundTaskStatistics`, plus their swift-metrics twins:
///
/// | Metric | Type | Dimensions |
/// |---|---|---|
/// | `eventide_background_tasks_total` | counter | `event`: `added`, `started`, `succeeded`, `failed`, `skipped`, `rejected`, `cancelled` |
/// | `eventide_background_tasks_running` | gauge | |
/// | `eventide_background_task_duration_seconds` | timer (a histogram) | |
/// | `eventide_background_task_wait_seconds` | timer: added to started | |
/// | `eventide_loop_stalls_total` | counter | |
package final class BackgroundTaskCounters: Sendable {
    private let added = Atomic<Int>(0)
    private let running = Atomic<Int>(0)
    private let succeeded = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let skipped = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let cancelled = Atomic<Int>(0)
    private let stalls = Atomic<Int>(0)
    private let metrics: MetricHandles

    /// Counters whose swift-metrics twins go to `factory` (nil: `MetricsSystem.factory`).
    package init(factory: (any MetricsFactory)? = nil) {
        metrics = MetricHandles(factory: factory ?? MetricsSystem.factory)
    }

    private struct MetricHandles: Sendable {
        let added, started, succeeded, failed, skipped, rejected, cancelled: Counter
        let running: Gauge
        let duration, wait: Metrics.Timer
        let stalls: Counter

        init(factory: any MetricsFactory) {
            func tasks(_ event: String) -> Counter {
                Counter(label: "eventide_background_tasks_total", dimensions: [("event", event)], factory: factory)
            }
            (added, started, succeeded, failed) = (tasks("added"), tasks("started"), tasks("succeeded"), tasks("failed"))
            (skipped, rejected, cancelled) = (tasks("skipped"), tasks("rejected"), tasks("cancelled"))
            running = Gauge(label: "eventide_background_tasks_running", factory: factory)
            duration = Metrics.Timer(label: "eventide_background_task_duration_seconds", factory: factory)
            wait = Metrics.Timer(label: "eventide_background_task_wait_seconds", factory: factory)
            stalls = Counter(label: "eventide_loop_stalls_total", factory: factory)
        }
    }

    var pending: Int {
        added.load(ordering: .relaxed) - succeeded.load(ordering: .relaxed) - failed.load(ordering: .relaxed)
            - skipped.load(ordering: .relaxed) - cancelled.load(ordering: .relaxed)
    }

    /// Admits one task unless `limit` are pending.
    func admit(limit: Int) -> Bool {
        // Optimistic: count first, undo if over the limit (never loses an accepted task).
        let accepted = added.add(1, ordering: .relaxed).newValue
        if accepted - finishedCount > limit {
            added.subtract(1, ordering: .relaxed)
            rejected.add(1, ordering: .relaxed)
            metrics.rejected.increment()
            return false
        }
        metrics.added.increment()
        return true
    }

    private var finishedCount: Int {
        succeeded.load(ordering: .relaxed) + failed.load(ordering: .relaxed) + skipped.load(ordering: .relaxed)
            + cancelled.load(ordering: .relaxed)
    }

    /// Undoes an `admit` whose task was never accepted after all.
    func retract() {
        // The swift-metrics counter cannot go down; it may overcount by these.
        added.subtract(1, ordering: .relaxed)
    }

    /// A task starts `waitedNanoseconds` after it was added.
    func started(waitedNanoseconds: UInt64) {
        let now = running.add(1, ordering: .relaxed).newValue
        metrics.running.record(now)
        metrics.started.increment()
        metrics.wait.recordNanoseconds(Int64(clamping: waitedNanoseconds))
    }

    func finished(_ state: BackgroundTaskState, durationNanoseconds: UInt64) {
        let now = running.subtract(1, ordering: .relaxed).newValue
        metrics.running.record(now)
        metrics.duration.recordNanoseconds(Int64(clamping: durationNanoseconds))
        record(state)
    }

    /// Ends a task that never ran (`.skipped` or `.cancelled`): counted first, so whoever
    /// awaits its `completion()` sees it in the statistics.
    package func drop(_ handle: BackgroundTaskHandle, as state: BackgroundTaskState) {
        record(state)
        handle.finish(state)
    }

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
        // The ends first, `added` last: a task added and finished between the loads then
        // shows as added, never as more finished than added (`unfinished` below zero).
        let (succeeded, failed, skipped, cancelled) = (
            succeeded.load(ordering: .acquiring), failed.load(ordering: .acquiring), skipped.load(ordering: .acquiring),
            cancelled.load(ordering: .acquiring)
        )
        return BackgroundTaskStatistics(
            added: added.load(ordering: .acquiring), running: running.load(ordering: .relaxed), succeeded: succeeded,
            failed: failed, skipped: skipped, rejected: rejected.load(ordering: .relaxed), cancelled: cancelled,
            loopStalls: stalls.load(ordering: .relaxed))
    }
}
