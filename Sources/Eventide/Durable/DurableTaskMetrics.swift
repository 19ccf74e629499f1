import EventideUVLoop
import Metrics

/// The swift-metrics side of durable tasks (issue 15 rule 12): what this process stored,
/// refused, started and finished, per queue and kind, and how many tasks the store holds
/// per queue and state.
///
/// | Metric | Type | Dimensions |
/// |---|---|---|
/// | `eventide_durable_tasks_enqueued_total` | counter | `queue` |
/// | `eventide_durable_tasks_duplicates_total` | counter | `queue` |
/// | `eventide_durable_tasks_rejected_total` | counter | `reason` (`full`, `error`) |
/// | `eventide_durable_tasks_started_total` | counter | `queue`, `kind` |
/// | `eventide_durable_tasks_finished_total` | counter | `queue`, `kind`, `outcome` |
/// | `eventide_durable_tasks_running` | meter (a gauge that goes up and down) | `queue` |
/// | `eventide_durable_task_wait_seconds` | timer | `queue` |
/// | `eventide_durable_task_duration_seconds` | timer | `queue`, `kind` |
/// | `eventide_durable_tasks` | gauge | `queue`, `state` |
///
/// The names are Prometheus' own: swift-prometheus 2 exports them as given, a timer as a
/// histogram in seconds (hence `_seconds`; its default buckets stop at 10 s, so waits and
/// runs longer than that want `timerHistogramBuckets` set for these two names). Each name
/// always has the same dimension names in the same order, which swift-prometheus requires.
///
/// Cardinality: `queue` and `kind` take only the values of the application's registered
/// kinds (`DurableTask.name`) and the queues its options name, so a handful of series per
/// metric, each made on its first use and kept for the life of this object.
package final class DurableTaskMetrics: Sendable {
    /// How a run ended.
    package enum Outcome: String, Sendable, CaseIterable {
        /// Ran to the end.
        case completed
        /// Failed; another attempt is scheduled.
        case retried
        /// Failed its last attempt, or cannot run.
        case discarded
        /// Stopped by `cancel` or by itself.
        case cancelled
        /// Postponed itself (`DurableTaskError.snooze`).
        case snoozed
        /// Stopped by shutdown and put back without spending the attempt.
        case interrupted
    }

    /// Why tasks were refused.
    package enum RejectionReason: String, Sendable, CaseIterable {
        /// The store held `maxQueued` unfinished tasks.
        case full
        /// The commit failed.
        case error
    }

    /// Nil: `MetricsSystem.factory` at each handle's first use.
    private let factory: (any MetricsFactory)?
    private let handles = Locked(Handles())

    private struct Handles: Sendable {
        var queues: [String: QueueHandles] = [:]
        var runs: [RunKey: RunHandles] = [:]
        var stored: [String: [DurableTaskState: Gauge]] = [:]
        var rejected: [RejectionReason: Counter] = [:]
    }

    /// The metrics dimensioned by queue alone.
    fileprivate struct QueueHandles: Sendable {
        let enqueued: Counter
        let duplicates: Counter
        let running: Meter
        let wait: Metrics.Timer
    }

    /// The metrics of the runs of one kind in one queue (with their queue's): looked up
    /// once per run, by `run(queue:kind:)`, then used for its start and its end.
    package struct RunHandles: Sendable {
        fileprivate let queue: QueueHandles
        fileprivate let started: Counter
        fileprivate let duration: Metrics.Timer
        /// By `Outcome.allCases` order.
        fileprivate let finished: [Counter]
    }

    /// Two strings, not one joined: a lookup copies references, it builds no string.
    private struct RunKey: Hashable, Sendable {
        let queue: String
        let kind: String
    }

    /// Handles made by `factory`. When nil (the default), each handle comes from
    /// `MetricsSystem.factory` when first used rather than now, so a queue made before
    /// `MetricsSystem.bootstrap` still reports to the bootstrapped backend.
    package init(factory: (any MetricsFactory)? = nil) {
        self.factory = factory
    }

    /// Tasks stored: `count` new ones in `queue`, and `duplicates` not stored because a
    /// task with their unique key was already there.
    package func enqueued(queue: String, count: Int, duplicates: Int) {
        let handles = self.handles.withLock { queueHandles(queue, in: &$0) }
        // A backend's counter may trap on a negative increment.
        if count > 0 { handles.enqueued.increment(by: count) }
        if duplicates > 0 { handles.duplicates.increment(by: duplicates) }
    }

    /// A request's or a script's `count` tasks refused, none of them stored.
    package func rejected(count: Int, reason: RejectionReason) {
        guard count > 0 else { return }
        let counter = handles.withLock { handles in
            if let counter = handles.rejected[reason] { return counter }
            let counter = Counter(
                label: "eventide_durable_tasks_rejected_total", dimensions: [("reason", reason.rawValue)], factory: resolvedFactory)
            handles.rejected[reason] = counter
            return counter
        }
        counter.increment(by: count)
    }

    /// The metrics of a run of `kind` in `queue`, for `started` and `finished`.
    package func run(queue: String, kind: String) -> RunHandles {
        handles.withLock { runHandles(queue, kind, in: &$0) }
    }

    /// A run started, `waitedMilliseconds` after its due time (for a task due at once, after
    /// it was enqueued); a negative wait (clocks of two machines) counts as 0.
    package func started(_ run: RunHandles, waitedMilliseconds: Int64) {
        run.started.increment()
        run.queue.running.increment()
        run.queue.wait.recordMilliseconds(max(0, waitedMilliseconds))
    }

    /// A run that `started` counted ended as `outcome` after `duration`.
    package func finished(_ run: RunHandles, outcome: Outcome, duration: Duration) {
        run.queue.running.decrement()
        run.finished[outcome.index].increment()
        run.duration.recordNanoseconds(duration.wholeNanoseconds)
    }

    /// The store's counts (`TaskQueue.counts()`): every state of every queue seen so far is
    /// recorded, 0 when absent from `states`, so a drained queue reads 0, not its last count.
    package func record(states: [String: [DurableTaskState: Int]]) {
        let gauges = handles.withLock { handles in
            for queue in states.keys where handles.stored[queue] == nil {
                var byState: [DurableTaskState: Gauge] = [:]
                for state in DurableTaskState.allCases {
                    byState[state] = Gauge(
                        label: "eventide_durable_tasks", dimensions: [("queue", queue), ("state", state.rawValue)],
                        factory: resolvedFactory)
                }
                handles.stored[queue] = byState
            }
            return handles.stored
        }
        for (queue, byState) in gauges {
            let counts = states[queue]
            for (state, gauge) in byState { gauge.record(counts?[state] ?? 0) }
        }
    }

    private var resolvedFactory: any MetricsFactory { factory ?? MetricsSystem.factory }

    private func queueHandles(_ queue: String, in handles: inout Handles) -> QueueHandles {
        if let found = handles.queues[queue] { return found }
        let factory = resolvedFactory
        let dimensions = [("queue", queue)]
        let made = QueueHandles(
            enqueued: Counter(label: "eventide_durable_tasks_enqueued_total", dimensions: dimensions, factory: factory),
            duplicates: Counter(label: "eventide_durable_tasks_duplicates_total", dimensions: dimensions, factory: factory),
            running: Meter(label: "eventide_durable_tasks_running", dimensions: dimensions, factory: factory),
            wait: Metrics.Timer(label: "eventide_durable_task_wait_seconds", dimensions: dimensions, factory: factory))
        handles.queues[queue] = made
        return made
    }

    private func runHandles(_ queue: String, _ kind: String, in handles: inout Handles) -> RunHandles {
        let key = RunKey(queue: queue, kind: kind)
        if let found = handles.runs[key] { return found }
        let factory = resolvedFactory
        let dimensions = [("queue", queue), ("kind", kind)]
        // Every outcome at once: a series that exists at 0 keeps `rate()` and alerts
        // meaningful before the first failure.
        let finished = Outcome.allCases.map { outcome in
            Counter(
                label: "eventide_durable_tasks_finished_total", dimensions: dimensions + [("outcome", outcome.rawValue)],
                factory: factory)
        }
        let made = RunHandles(
            queue: queueHandles(queue, in: &handles),
            started: Counter(label: "eventide_durable_tasks_started_total", dimensions: dimensions, factory: factory),
            duration: Metrics.Timer(label: "eventide_durable_task_duration_seconds", dimensions: dimensions, factory: factory),
            finished: finished)
        handles.runs[key] = made
        return made
    }
}

extension DurableTaskMetrics.Outcome {
    /// Its place in `allCases`.
    fileprivate var index: Int {
        switch self {
        case .completed: 0
        case .retried: 1
        case .discarded: 2
        case .cancelled: 3
        case .snoozed: 4
        case .interrupted: 5
        }
    }

    /// The outcome a stored resolution counts as.
    init(_ resolution: TaskResolution) {
        switch resolution {
        case .completed: self = .completed
        case .retry: self = .retried
        case .discard: self = .discarded
        case .cancel: self = .cancelled
        case .snooze: self = .snoozed
        case .putBack: self = .interrupted
        }
    }
}
