import Eventide
import EventideSQLite
import Foundation
import Testing

/// Periodic durable tasks: one run per period, across restarts, with or without catching
/// up, on a real file.
@Suite struct PeriodicTaskTests {
    func withPath<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-periodic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.appendingPathComponent("tasks.db").path)
    }

    func periodic(_ name: String, _ schedule: TaskSchedule, catchUp: Bool = false) -> PeriodicTask {
        PeriodicTask(
            name: name, schedule: schedule, template: NewDurableTask(kind: "tick", arguments: Array(name.utf8), runAt: 0), catchUp: catchUp)
    }

    func runTimes(_ table: SQLiteTaskTable) throws -> [Int64] {
        try table.connection.query("SELECT run_at FROM eventide_tasks ORDER BY id") { $0.int64(at: 0) }
    }

    @Test func oneRunPerPeriodAndOneForAllMissedOnes() async throws {
        try await withPath { path in
            let table = try SQLiteTaskTable(path: path)
            let every10s = periodic("tick", .every(.seconds(10)))
            #expect(try table.enqueueDue([every10s], now: 0) == 0)  // first seen: due in one interval
            #expect(try table.enqueueDue([every10s], now: 9_999) == 0)
            #expect(try table.enqueueDue([every10s], now: 10_000) == 1)
            #expect(try table.enqueueDue([every10s], now: 10_500) == 0)  // once per period
            // Down from 10.5 s to 55 s: the runs due at 20, 30, 40 and 50 s are one run.
            #expect(try table.enqueueDue([every10s], now: 55_000) == 1)
            #expect(try runTimes(table) == [10_000, 20_000])
            // A restart reads the next run from the file: 65 s, not at once.
            let reopened = try SQLiteTaskTable(path: path)
            #expect(try reopened.enqueueDue([every10s], now: 64_999) == 0)
            #expect(try reopened.enqueueDue([every10s], now: 65_000) == 1)
            // A changed schedule counts afresh from the change.
            let every20s = periodic("tick", .every(.seconds(20)))
            #expect(try reopened.enqueueDue([every20s], now: 70_000) == 0)
            #expect(try reopened.enqueueDue([every20s], now: 89_999) == 0)
            #expect(try reopened.enqueueDue([every20s], now: 90_000) == 1)
            #expect(try runTimes(reopened) == [10_000, 20_000, 65_000, 90_000])
        }
    }

    @Test func aScheduleThatCatchesUpAddsEachMissedRun() async throws {
        try await withPath { path in
            let table = try SQLiteTaskTable(path: path)
            let every10s = periodic("catch-up", .every(.seconds(10)), catchUp: true)
            #expect(try table.enqueueDue([every10s], now: 0) == 0)
            #expect(try table.enqueueDue([every10s], now: 45_000) == 4)
            #expect(try runTimes(table) == [10_000, 20_000, 30_000, 40_000])
            #expect(try table.enqueueDue([every10s], now: 49_999) == 0)  // next at 50 s
            #expect(try table.enqueueDue([every10s], now: 50_000) == 1)
        }
    }

    @Test func aCronScheduleRunsAtItsMatchingMinutes() async throws {
        try await withPath { path in
            let table = try SQLiteTaskTable(path: path)
            let start: Int64 = 1_796_630_400_000  // 2026-12-07 00:00:00 UTC
            let quarterly = periodic("cron", try .cron("*/15 * * * *"))
            #expect(try table.enqueueDue([quarterly], now: start + 60_000) == 0)  // 00:01: next at 00:15
            #expect(try table.enqueueDue([quarterly], now: start + 14 * 60_000) == 0)
            #expect(try table.enqueueDue([quarterly], now: start + 15 * 60_000) == 1)
            #expect(try table.enqueueDue([quarterly], now: start + 31 * 60_000) == 1)  // 00:30
            #expect(try runTimes(table) == [start + 15 * 60_000, start + 30 * 60_000])
        }
    }

    struct Tick: DurableTask {
        static let name = "tick"
        var label: String
        func run(_ context: DurableTaskContext) async throws {
            PeriodicTaskTests.ticks.update { $0.append(label) }
        }
    }

    static let ticks = Watched<[String]>([])

    @Test func aQueueRunsItsScheduleEveryPeriodAndNotAtEachRestart() async throws {
        try await withPath { path in
            let configuration = TaskQueue.Configuration(pollInterval: .milliseconds(20))
            let label = "every-second-\(UUID())"
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Tick.self], configuration: configuration)
            try queue.schedule(.every(.seconds(1)), Tick(label: label))
            queue.start()
            let ticked = await Self.ticks.wait(timeout: 40) { $0.filter { $0 == label }.count >= 2 }
            let counts = try await queue.counts()
            #expect(ticked, "counts: \(counts), ticks: \(Self.ticks.current.filter { $0 == label }.count)")
            await queue.shutdown()
            let runs = Self.ticks.current.filter { $0 == label }.count
            // A restart at once: the next run is the stored one, not a run per start.
            let restarted = try TaskQueue(store: .sqlite(path: path), tasks: [Tick.self], configuration: configuration)
            try restarted.schedule(.every(.seconds(1)), Tick(label: label))
            restarted.start()
            try await Task.sleep(for: .milliseconds(300))
            #expect(Self.ticks.current.filter { $0 == label }.count <= runs + 1)
            await restarted.shutdown()
        }
    }

    @Test func schedulesAreRefusedForUnknownKindsAndTakenNames() async throws {
        try await withPath { path in
            let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Tick.self], workers: .none)
            try queue.schedule(.every(.minutes(5)), Tick(label: "a"))
            #expect(throws: PeriodicTaskConflict(name: "tick")) { try queue.schedule(.every(.minutes(1)), Tick(label: "b")) }
            try queue.schedule(.every(.minutes(1)), Tick(label: "b"), name: "tick-b")
            #expect(throws: DurableTaskUnavailable.unregistered(kind: "welcome")) {
                try queue.schedule(.every(.minutes(1)), DurableRequestTests.Welcome(email: "x"))
            }
            #expect(throws: CronScheduleError.self) { _ = try TaskSchedule.cron("61 * * * *") }
            await queue.shutdown()
        }
    }
}
