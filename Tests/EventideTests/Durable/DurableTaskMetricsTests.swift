import Eventide
import EventideTesting
import Foundation
import Logging
import EventideUVLoop
import Metrics
import Testing

/// `DurableTaskMetrics` against a backend that keeps every value by label and dimensions:
/// the exact series each call touches, the running meter, the clamped wait, the store's
/// counts zeroed for a drained queue, handles made once.
@Suite struct DurableTaskMetricsTests {
    @Test func enqueuedCountsStoredTasksAndDuplicatesPerQueue() {
        let backend = RecordingMetrics()
        let metrics = DurableTaskMetrics(factory: backend)

        metrics.enqueued(queue: "mail", count: 3, duplicates: 0)
        metrics.enqueued(queue: "mail", count: 2, duplicates: 1)
        metrics.enqueued(queue: "sms", count: 0, duplicates: 4)

        #expect(backend.counter("eventide_durable_tasks_enqueued_total", ["queue": "mail"]) == 5)
        #expect(backend.counter("eventide_durable_tasks_duplicates_total", ["queue": "mail"]) == 1)
        #expect(backend.counter("eventide_durable_tasks_enqueued_total", ["queue": "sms"]) == 0)
        #expect(backend.counter("eventide_durable_tasks_duplicates_total", ["queue": "sms"]) == 4)
        #expect(backend.made("eventide_durable_tasks_enqueued_total", ["queue": "mail"]) == 1)
        #expect(backend.meter("eventide_durable_tasks_running", ["queue": "mail"]) == 0)
        #expect(!backend.labels.contains("eventide_durable_tasks_started_total"))
    }

    @Test func rejectedCountsByReasonOnly() {
        let backend = RecordingMetrics()
        let metrics = DurableTaskMetrics(factory: backend)

        metrics.rejected(count: 3, reason: .full)
        metrics.rejected(count: 2, reason: .full)
        metrics.rejected(count: 1, reason: .error)
        metrics.rejected(count: 0, reason: .error)

        #expect(backend.counter("eventide_durable_tasks_rejected_total", ["reason": "full"]) == 5)
        #expect(backend.counter("eventide_durable_tasks_rejected_total", ["reason": "error"]) == 1)
        #expect(backend.made("eventide_durable_tasks_rejected_total", ["reason": "full"]) == 1)
        #expect(backend.labels == ["eventide_durable_tasks_rejected_total"])
    }

    @Test func runsMoveTheRunningMeterAndCountStartsAndOutcomes() {
        let backend = RecordingMetrics()
        let metrics = DurableTaskMetrics(factory: backend)
        let running = ("eventide_durable_tasks_running", ["queue": "mail"])

        metrics.started(metrics.run(queue: "mail", kind: "welcome"), waitedMilliseconds: 250)
        metrics.started(metrics.run(queue: "mail", kind: "digest"), waitedMilliseconds: 0)
        metrics.started(metrics.run(queue: "mail", kind: "welcome"), waitedMilliseconds: 1)
        #expect(backend.meter(running.0, running.1) == 3)

        metrics.finished(metrics.run(queue: "mail", kind: "welcome"), outcome: .completed, duration: .milliseconds(1500))
        #expect(backend.meter(running.0, running.1) == 2)
        metrics.finished(metrics.run(queue: "mail", kind: "welcome"), outcome: .retried, duration: .microseconds(7))
        metrics.finished(metrics.run(queue: "mail", kind: "digest"), outcome: .completed, duration: .seconds(2))
        #expect(backend.meter(running.0, running.1) == 0)

        #expect(backend.counter("eventide_durable_tasks_started_total", ["queue": "mail", "kind": "welcome"]) == 2)
        #expect(backend.counter("eventide_durable_tasks_started_total", ["queue": "mail", "kind": "digest"]) == 1)
        let welcome = ["queue": "mail", "kind": "welcome"]
        // Every outcome's series exists from the first run of a kind, at 0 until it happens.
        for outcome in DurableTaskMetrics.Outcome.allCases {
            let expected: Int64 = outcome == .completed || outcome == .retried ? 1 : 0
            #expect(backend.counter("eventide_durable_tasks_finished_total", welcome.merging(["outcome": outcome.rawValue]) { $1 }) == expected)
        }
        #expect(backend.counter("eventide_durable_tasks_finished_total", ["queue": "mail", "kind": "digest", "outcome": "completed"]) == 1)
        #expect(backend.timer("eventide_durable_task_duration_seconds", welcome) == [1_500_000_000, 7_000])
        #expect(backend.timer("eventide_durable_task_duration_seconds", ["queue": "mail", "kind": "digest"]) == [2_000_000_000])
        #expect(backend.timer("eventide_durable_task_wait_seconds", ["queue": "mail"]) == [250_000_000, 0, 1_000_000])
        #expect(backend.made("eventide_durable_tasks_started_total", welcome) == 1)
        #expect(backend.made(running.0, running.1) == 1)
    }

    @Test func everyOutcomeHasItsOwnSeries() {
        let backend = RecordingMetrics()
        let metrics = DurableTaskMetrics(factory: backend)

        for outcome in DurableTaskMetrics.Outcome.allCases {
            metrics.started(metrics.run(queue: "default", kind: "note"), waitedMilliseconds: 0)
            metrics.finished(metrics.run(queue: "default", kind: "note"), outcome: outcome, duration: .zero)
        }

        #expect(DurableTaskMetrics.Outcome.allCases.map(\.rawValue) == [
            "completed", "retried", "discarded", "cancelled", "snoozed", "interrupted",
        ])
        for outcome in DurableTaskMetrics.Outcome.allCases {
            #expect(backend.counter("eventide_durable_tasks_finished_total", ["queue": "default", "kind": "note", "outcome": outcome.rawValue]) == 1)
        }
        #expect(backend.meter("eventide_durable_tasks_running", ["queue": "default"]) == 0)
    }

    @Test func aWaitOrADurationBelowZeroIsRecordedAsZero() {
        let backend = RecordingMetrics()
        let metrics = DurableTaskMetrics(factory: backend)

        // Another machine's clock ahead of this one's: the task starts "before" it was due.
        metrics.started(metrics.run(queue: "mail", kind: "welcome"), waitedMilliseconds: -40)
        metrics.finished(metrics.run(queue: "mail", kind: "welcome"), outcome: .completed, duration: .milliseconds(-3))
        metrics.started(metrics.run(queue: "mail", kind: "welcome"), waitedMilliseconds: .max)

        #expect(backend.timer("eventide_durable_task_wait_seconds", ["queue": "mail"]) == [0, .max])
        #expect(backend.timer("eventide_durable_task_duration_seconds", ["queue": "mail", "kind": "welcome"]) == [0])
    }

    @Test func recordedCountsCoverEveryStateAndZeroADrainedQueue() {
        let backend = RecordingMetrics()
        let metrics = DurableTaskMetrics(factory: backend)
        let label = "eventide_durable_tasks"

        metrics.record(states: ["mail": [.available: 3, .running: 1], "sms": [.scheduled: 2]])
        for state in DurableTaskState.allCases {
            let mail: Double = state == .available ? 3 : state == .running ? 1 : 0
            #expect(backend.gauge(label, ["queue": "mail", "state": state.rawValue]) == mail)
            #expect(backend.gauge(label, ["queue": "sms", "state": state.rawValue]) == (state == .scheduled ? 2 : 0))
        }

        // sms drained (and gone from the store's answer), mail down to one available.
        metrics.record(states: ["mail": [.available: 1]])
        for state in DurableTaskState.allCases {
            #expect(backend.gauge(label, ["queue": "mail", "state": state.rawValue]) == (state == .available ? 1 : 0))
            #expect(backend.gauge(label, ["queue": "sms", "state": state.rawValue]) == 0)
            #expect(backend.made(label, ["queue": "sms", "state": state.rawValue]) == 1)
        }

        metrics.record(states: [:])
        #expect(backend.gauge(label, ["queue": "mail", "state": "available"]) == 0)
        #expect(backend.series(label).count == 2 * DurableTaskState.allCases.count)
    }

    @Test func concurrentRunsLeaveTheCountsExactAndEachHandleMadeOnce() async {
        let backend = RecordingMetrics()
        let metrics = DurableTaskMetrics(factory: backend)
        let queues = ["a", "b"]
        let kinds = ["x", "y", "z"]

        await withTaskGroup(of: Void.self) { group in
            for index in 0..<600 {
                group.addTask {
                    let (queue, kind) = (queues[index % 2], kinds[index % 3])
                    metrics.enqueued(queue: queue, count: 1, duplicates: 0)
                    metrics.started(metrics.run(queue: queue, kind: kind), waitedMilliseconds: 1)
                    metrics.finished(metrics.run(queue: queue, kind: kind), outcome: .completed, duration: .milliseconds(1))
                }
            }
        }

        for queue in queues {
            #expect(backend.counter("eventide_durable_tasks_enqueued_total", ["queue": queue]) == 300)
            #expect(backend.meter("eventide_durable_tasks_running", ["queue": queue]) == 0)
            #expect(backend.made("eventide_durable_tasks_running", ["queue": queue]) == 1)
            for kind in kinds {
                #expect(backend.counter("eventide_durable_tasks_started_total", ["queue": queue, "kind": kind]) == 100)
                #expect(backend.made("eventide_durable_tasks_started_total", ["queue": queue, "kind": kind]) == 1)
            }
        }
    }
}

/// A swift-metrics backend that keeps every counter, meter, gauge and timer value by label
/// and dimensions (in their order, which is part of the series as swift-prometheus sees it),
/// and how many handles were made for each series.
final class RecordingMetrics: MetricsFactory {
    /// A label and its dimensions as `name=value`, in order.
    struct Series: Hashable, Sendable {
        let label: String
        let dimensions: [String]

        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.map { "\($0)=\($1)" }
        }
    }

    struct Values: Sendable {
        var counters: [Series: Int64] = [:]
        var meters: [Series: Double] = [:]
        var gauges: [Series: Double] = [:]
        var timers: [Series: [Int64]] = [:]
        var made: [Series: Int] = [:]
    }

    let values = Locked(Values())

    /// The metric's dimensions in the order `DurableTaskMetrics` gives them.
    static let order = ["queue", "kind", "outcome", "state", "reason"]

    func key(_ label: String, _ dimensions: [String: String]) -> Series {
        Series(label, Self.order.compactMap { name in dimensions[name].map { (name, $0) } })
    }

    func counter(_ label: String, _ dimensions: [String: String]) -> Int64? {
        values.withLock { $0.counters[key(label, dimensions)] }
    }

    func meter(_ label: String, _ dimensions: [String: String]) -> Double? {
        values.withLock { $0.meters[key(label, dimensions)] }
    }

    func gauge(_ label: String, _ dimensions: [String: String]) -> Double? {
        values.withLock { $0.gauges[key(label, dimensions)] }
    }

    func timer(_ label: String, _ dimensions: [String: String]) -> [Int64]? {
        values.withLock { $0.timers[key(label, dimensions)] }
    }

    func made(_ label: String, _ dimensions: [String: String]) -> Int {
        values.withLock { $0.made[key(label, dimensions)] ?? 0 }
    }

    /// Every series of `label` a handle was made for.
    func series(_ label: String) -> [Series] {
        values.withLock { $0.made.keys.filter { $0.label == label } }
    }

    /// The labels handles were made for, sorted.
    var labels: [String] {
        values.withLock { Set($0.made.keys.map(\.label)).sorted() }
    }

    /// A handler for the series, counted as made; `start` gives the series its first value.
    private func make(_ label: String, _ dimensions: [(String, String)], _ start: (inout Values, Series) -> Void) -> Handler {
        let series = Series(label, dimensions)
        values.withLock { values in
            values.made[series, default: 0] += 1
            start(&values, series)
        }
        return Handler(self, series)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        make(label, dimensions) { $0.counters[$1] = 0 }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        make(label, dimensions) { $0.meters[$1] = 0 }
    }

    /// A gauge here: `DurableTaskMetrics` makes no aggregating recorders.
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        make(label, dimensions) { _, _ in }
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        make(label, dimensions) { $0.timers[$1] = [] }
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    /// One handler class for every kind of metric: each writes its own table.
    final class Handler: CounterHandler, MeterHandler, RecorderHandler, TimerHandler {
        let backend: RecordingMetrics
        let series: Series

        init(_ backend: RecordingMetrics, _ series: Series) {
            self.backend = backend
            self.series = series
        }

        func increment(by amount: Int64) { backend.values.withLock { $0.counters[series, default: 0] += amount } }
        func reset() { backend.values.withLock { $0.counters[series] = 0 } }
        func set(_ value: Int64) { set(Double(value)) }
        func set(_ value: Double) { backend.values.withLock { $0.meters[series] = value } }
        func increment(by amount: Double) { backend.values.withLock { $0.meters[series, default: 0] += amount } }
        func decrement(by amount: Double) { backend.values.withLock { $0.meters[series, default: 0] -= amount } }
        func record(_ value: Int64) { record(Double(value)) }
        func record(_ value: Double) { backend.values.withLock { $0.gauges[series] = value } }
        func recordNanoseconds(_ duration: Int64) { backend.values.withLock { $0.timers[series, default: []].append(duration) } }
    }
}

/// The queue reports its tasks' lives through `DurableTaskMetrics`, over a real socket
/// and a real file.
@Suite struct DurableTaskMetricsWiringTests {
    struct Ping: DurableTask {
        static let name = "ping"
        var fail: Bool
        func run(_ context: DurableTaskContext) async throws {
            if fail { throw DurableTaskError.cancel(reason: "asked to") }
        }
    }

    @Test func aQueueCountsWhatItStoresStartsAndFinishes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let metrics = RecordingMetrics()
        let queue = try TaskQueue(
            store: .sqlite(path: directory.appendingPathComponent("tasks.db").path), tasks: [Ping.self], workers: .local(),
            configuration: TaskQueue.Configuration(pollInterval: .milliseconds(20), maxQueued: 3), logger: Logger(label: "test"),
            metricsFactory: metrics)
        queue.start()
        let router = Router()
        router.sync.post("/ping/{fail}") { request, tasks in
            try tasks.add(durable: Ping(fail: request.pathParameters["fail"] == "yes"), options: .init(uniqueKey: request.query["key"]))
            return HTTPResponse.Status.accepted
        }
        let client = try TestClient(router: router, transport: .live, configuration: ServerConfiguration(taskQueue: queue))
        #expect(try await client.execute(.post, "/ping/no").status == .accepted)
        #expect(try await client.execute(.post, "/ping/yes").status == .accepted)
        let deadline = ContinuousClock.now + .seconds(20)
        while metrics.counter("eventide_durable_tasks_finished_total", ["queue": "default", "kind": "ping", "outcome": "cancelled"]) != 1,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(metrics.counter("eventide_durable_tasks_enqueued_total", ["queue": "default"]) == 2)
        #expect(metrics.counter("eventide_durable_tasks_started_total", ["queue": "default", "kind": "ping"]) == 2)
        #expect(metrics.counter("eventide_durable_tasks_finished_total", ["queue": "default", "kind": "ping", "outcome": "completed"]) == 1)
        #expect(metrics.counter("eventide_durable_tasks_finished_total", ["queue": "default", "kind": "ping", "outcome": "cancelled"]) == 1)
        #expect(metrics.meter("eventide_durable_tasks_running", ["queue": "default"]) == 0)
        #expect(metrics.timer("eventide_durable_task_wait_seconds", ["queue": "default"])?.count == 2)
        // A unique key held: counted as a duplicate; past maxQueued: rejected as full.
        _ = try await queue.enqueue(Ping(fail: false), options: .init(delay: .seconds(60), uniqueKey: "k"))
        _ = try await queue.enqueue(Ping(fail: false), options: .init(delay: .seconds(60), uniqueKey: "k"))
        #expect(metrics.counter("eventide_durable_tasks_duplicates_total", ["queue": "default"]) == 1)
        _ = try await queue.enqueue(Ping(fail: false), options: .init(delay: .seconds(60)))
        _ = try await queue.enqueue(Ping(fail: false), options: .init(delay: .seconds(60)))
        #expect(try await client.execute(.post, "/ping/no").status == .serviceUnavailable)
        #expect(metrics.counter("eventide_durable_tasks_rejected_total", ["reason": "full"]) == 1)
        try client.shutdown()
        await queue.shutdown()
    }
}
