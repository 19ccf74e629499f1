@testable import Eventide
import EventidePostgres
import Foundation
import Logging
import Testing

/// The PostgreSQL task store against a real server (a database of its own per test):
/// the rules the SQLite store keeps, and the fleet's (heartbeats, rescue, ownership,
/// wake-ups, one coordinator).
@Suite struct PostgresTaskStoreTests {
    static let logger = Logger(label: "test-postgres-store")

    /// A store on `url` for `worker`, ready (its tables made, its worker registered).
    static func store(
        _ url: String, worker: String = "w-\(UUID().uuidString.prefix(6))", maxQueued: Int? = nil,
        settings: PostgresStoreSettings = PostgresStoreSettings(heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(1))
    ) async throws -> PostgresTaskStore {
        let store = try PostgresTaskStore(connection: url, settings: settings, worker: worker, maxQueued: maxQueued, logger: logger)
        _ = try await store.counts()  // waits until ready
        return store
    }

    static func row(_ kind: String = "mail", queue: String = "default", key: String? = nil, runAt: Int64? = nil, by worker: String? = nil)
        -> NewDurableTask
    {
        NewDurableTask(
            kind: kind, queue: queue, arguments: Array(#"{"email":"a@b.c"}"#.utf8),
            runAt: runAt ?? 0, uniqueKey: key, claimedBy: worker)  // 0: due (stored due at the server's now)
    }

    @Test func aTaskIsStoredClaimedAndCompletedWithItsArgumentsAndTimes() async throws {
        let store = try await Self.store(try await PostgresTestDatabase.fresh(), worker: "me")
        let outcomes = try await store.enqueue([Self.row(), Self.row(queue: "mail")])
        #expect(outcomes.count == 2)
        guard case .inserted(let first) = outcomes[0], case .inserted(let second) = outcomes[1] else {
            Issue.record("expected two inserts, got \(outcomes)")
            return
        }
        #expect(second > first)
        let claimed = try await store.claim(.named("default"), limit: 10, worker: "me")
        #expect(claimed.map(\.id) == [first])
        #expect(claimed.first?.attempt == 1)
        #expect(claimed.first.map { String(decoding: $0.arguments, as: UTF8.self) } == #"{"email":"a@b.c"}"#)
        #expect(try await store.claim(.named("default"), limit: 10, worker: "me").isEmpty)
        try await store.resolve([TaskResult(id: first, attempt: 1, .completed)])
        let record = try #require(try await store.record(id: first))
        #expect(record.state == .completed)
        #expect(record.finishedAt != nil && record.attemptedAt != nil)
        #expect(abs(record.createdAt - store.now()) < 5_000)
        let counts = try await store.counts()
        #expect(counts["default"]?[.completed] == 1)
        #expect(counts["mail"]?[.available] == 1)
        await store.close()
    }

    @Test func aHeldUniqueKeyNamesItsHolderAcrossAndWithinBatches() async throws {
        let store = try await Self.store(try await PostgresTestDatabase.fresh(), worker: "x")
        let first = try await store.enqueue([Self.row(key: "k1")])
        let second = try await store.enqueue([Self.row(), Self.row(key: "k1"), Self.row(key: "k2"), Self.row(key: "k2")])
        #expect(second[1] == .duplicate(of: first[0].id))
        guard case .inserted = second[0], case .inserted(let k2) = second[2] else {
            Issue.record("unexpected outcomes \(second) after \(first)")
            return
        }
        #expect(second[3] == .duplicate(of: k2))
        // Once the holder is finished, the key is free again.
        let claimed = try await store.claim(.named("default"), limit: 10, worker: "x")
        try await store.resolve(claimed.map { TaskResult(id: $0.id, attempt: $0.attempt, .completed) })
        guard case .inserted = try await store.enqueue([Self.row(key: "k1")])[0] else {
            Issue.record("k1 should be free once its holder completed")
            return
        }
        await store.close()
    }

    @Test func concurrentEnqueuesFromManyThreadsAllCommitWithTheirOwnIds() async throws {
        let store = try await Self.store(try await PostgresTestDatabase.fresh())
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<200 { group.addTask { try await store.enqueue([Self.row()])[0].id } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(ids).count == 200)
        #expect(try await store.counts()["default"]?[.available] == 200)
        await store.close()
    }

    @Test func aTaskStoredForItsWorkerIsRunningAndOnlyThatRunsResultCounts() async throws {
        let store = try await Self.store(try await PostgresTestDatabase.fresh(), worker: "me")
        let outcome = try await store.enqueue([Self.row(by: "me")])[0]
        guard case .claimed(let id) = outcome else {
            Issue.record("expected claimed, got \(outcome)")
            return
        }
        #expect(try await store.record(id: id)?.state == .running)
        // A stale run (older attempt) changes nothing; the current one does.
        try await store.resolve([TaskResult(id: id, attempt: 7, .completed)])
        #expect(try await store.record(id: id)?.state == .running)
        try await store.resolve([TaskResult(id: id, attempt: 1, .retry(at: store.now() + 60_000, error: "smtp down"))])
        let record = try #require(try await store.record(id: id))
        #expect(record.state == .retryable)
        #expect(record.errors.map(\.error) == ["smtp down"])
        await store.close()
    }

    @Test func theCoordinatorRescuesTheTasksOfASilentWorkerAndItsLateResultIsRefused() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let settings = PostgresStoreSettings(heartbeatInterval: .milliseconds(200), heartbeatTimeout: .milliseconds(800))
        let alive = try await Self.store(url, worker: "alive", settings: settings)
        let admin = try #require(alive.client as PostgresClient?)
        // A worker that registered, took a task, then went silent (its heartbeat stopped).
        _ = try await admin.query("INSERT INTO eventide_workers (id, host, pid, heartbeat_at) VALUES ('gone', 'h', 1, now())")
        let id = try await alive.enqueue([Self.row()])[0].id
        let taken = try await alive.claim(.named("default"), limit: 1, worker: "gone")
        #expect(taken.map(\.id) == [id])
        let deadline = ContinuousClock.now + .seconds(10)
        while try await alive.record(id: id)?.state == .running, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let rescued = try #require(try await alive.record(id: id))
        #expect(rescued.state == .available)
        #expect(rescued.attempt == 1)  // counted: the run may have happened
        #expect(rescued.runAt == taken[0].runAt)  // its place in the queue kept
        #expect(try await admin.query("SELECT id FROM eventide_workers WHERE id = 'gone'").count == 0)
        // The silent worker's late result is refused; the task runs again elsewhere.
        let again = try await alive.claim(.named("default"), limit: 1, worker: "alive")
        #expect(again.first?.attempt == 2)
        await alive.close()
    }

    @Test func oneCoordinatorPerDatabaseAndAnotherTakesOverWhenItLeaves() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let first = try await Self.store(url, worker: "first")
        let second = try await Self.store(url, worker: "second")
        let deadline = ContinuousClock.now + .seconds(10)
        while !first.isCoordinator && !second.isCoordinator, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(first.isCoordinator != second.isCoordinator)
        let (leader, other) = first.isCoordinator ? (first, second) : (second, first)
        await leader.close()
        while !other.isCoordinator, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(other.isCoordinator)
        await other.close()
    }

    @Test func aProcessThatOnlyStoresTasksNeverCoordinates() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let settings = PostgresStoreSettings(heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(1))
        // First in, so it would win the lease if it competed.
        let web = try PostgresTaskStore(connection: url, settings: settings, worker: "web", maxQueued: nil, coordinates: false, logger: Self.logger)
        _ = try await web.counts()
        try await Task.sleep(for: .milliseconds(500))
        let worker = try await Self.store(url, worker: "worker", settings: settings)
        let deadline = ContinuousClock.now + .seconds(10)
        while !worker.isCoordinator, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(worker.isCoordinator)
        #expect(!web.isCoordinator)
        await worker.close()
        await web.close()
    }

    @Test func anExpiredLeasePassesToAnotherProcessWithoutItsHolderResigning() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let store = try await Self.store(url, worker: "live")
        let deadline = ContinuousClock.now + .seconds(10)
        while !store.isCoordinator, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(store.isCoordinator)
        // A host that vanished holding the lease: its lease lapses on its own.
        _ = try await store.client.query(
            "UPDATE eventide_coordinator SET worker = 'vanished', expires_at = now() + interval '600 milliseconds'")
        while store.isCoordinator, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!store.isCoordinator)
        while !store.isCoordinator, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(store.isCoordinator)
        await store.close()
    }

    @Test func aWorkerDeclaredDeadClaimsNothingUntilItHasRegisteredAgain() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let store = try await Self.store(url, worker: "returning", settings: PostgresStoreSettings(heartbeatInterval: .seconds(1)))
        _ = try await store.enqueue([Self.row(), Self.row(by: "returning")])
        _ = try await store.client.query("DELETE FROM eventide_workers WHERE id = 'returning'")
        #expect(try await store.claim(.named("default"), limit: 5, worker: "returning").isEmpty)
        // A task it stores for itself meanwhile is stored available, not running for it.
        let outcome = try await store.enqueue([Self.row(by: "returning")])[0]
        guard case .inserted(let held) = outcome else {
            Issue.record("expected a plain insert while unregistered, got \(outcome)")
            return
        }
        let deadline = ContinuousClock.now + .seconds(10)
        var claimed: [ClaimedTask] = []
        while claimed.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            claimed = try await store.claim(.named("default"), limit: 5, worker: "returning")
        }
        // Once registered again (its next heartbeat) it claims the waiting ones, the held
        // one among them (and the one it had running, if the coordinator rescued it first).
        #expect(claimed.count >= 2)
        #expect(claimed.contains { $0.id == held })
        await store.close()
    }

    @Test func anotherProcessesTasksWakeThisOnesWorkers() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let worker = try await Self.store(url, worker: "worker")
        let web = try await Self.store(url, worker: "web")
        let woken = Watched<[String?]>([])
        worker.onTasksAvailable { queue in woken.update { $0.append(queue) } }
        _ = try await web.enqueue([Self.row(queue: "mail")])
        #expect(await woken.wait(timeout: 5) { $0.contains("mail") })
        // A task stored for later (or claimed by its own process) wakes nobody.
        woken.update { $0 = [] }
        _ = try await web.enqueue([Self.row(queue: "later", runAt: web.now() + 60_000)])
        try await Task.sleep(for: .milliseconds(300))
        #expect(!woken.current.contains("later"))
        await web.close()
        await worker.close()
    }

    @Test func wakeUpsAreRateLimitedPerQueueButTheLastCommitIsAlwaysAnnounced() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let worker = try await Self.store(url, worker: "worker")
        let web = try await Self.store(url, worker: "web")
        let woken = Watched<[ContinuousClock.Instant]>([])
        worker.onTasksAvailable { queue in if queue == "burst" { woken.update { $0.append(.now) } } }
        var lastEnqueue = ContinuousClock.now
        for _ in 0..<40 {
            lastEnqueue = .now  // before the call: the test's task may resume late after it
            _ = try await web.enqueue([Self.row(queue: "burst")])
        }
        // A NOTIFY after the last commit: a worker idle by then still hears of its task.
        let committed = lastEnqueue
        #expect(await woken.wait(timeout: 30) { $0.contains { $0 >= committed } })
        try await Task.sleep(for: .milliseconds(100))
        // 40 commits in a burst: far fewer wake-ups (one per 10 ms, plus the trailing one).
        #expect(woken.current.count < 40)
        await web.close()
        await worker.close()
    }

    @Test func pastMaxQueuedAnEnqueueIsRefusedWholeAndNothingIsStored() async throws {
        let store = try await Self.store(try await PostgresTestDatabase.fresh(), maxQueued: 3)
        func stored() async throws -> Int { try await store.counts().values.flatMap(\.values).reduce(0, +) }
        _ = try await store.enqueue([Self.row(), Self.row(), Self.row()])
        // The limit is held against a count (read at most every 2 s, the first one started
        // by the enqueue above) plus what this process stored since: once it is in, more
        // is refused.
        var refused = false
        for _ in 0..<100 where !refused {
            do {
                _ = try await store.enqueue([Self.row()])
            } catch is TaskStoreFull {
                refused = true
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(refused)
        let before = try await stored()
        await #expect(throws: TaskStoreFull.self) { try await store.enqueue([Self.row(), Self.row()]) }
        #expect(try await stored() == before)
        await store.close()
    }

    @Test func migratingTwiceAndConcurrentlyIsHarmless() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let settings = PostgresStoreSettings(migrate: false)
        let client = try PostgresClient(try PostgresConnectionString(url), size: 4, logger: Self.logger)
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresTaskSchema.migrate(client) } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(versions.sorted() == [0, 1, 1, 1])
        #expect(try await PostgresTaskSchema.migrate(client) == PostgresTaskSchema.version)
        let store = try await Self.store(url, settings: settings)
        #expect(try await store.enqueue([Self.row()]).count == 1)
        await store.close()
        await client.close()
    }

    @Test func aNewerSchemaIsRefusedWithAClearError() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let client = try PostgresClient(try PostgresConnectionString(url), size: 1, logger: Self.logger)
        try await PostgresTaskSchema.migrate(client)
        _ = try await client.query("UPDATE eventide_schema SET version = 99")
        await #expect(throws: PostgresTaskStoreError.newerSchema(found: 99, supported: PostgresTaskSchema.version)) {
            try await PostgresTaskSchema.migrate(client)
        }
        await client.close()
    }

    @Test func cancelRetryAndRetentionWork() async throws {
        let store = try await Self.store(try await PostgresTestDatabase.fresh(), worker: "w")
        let id = try await store.enqueue([Self.row(runAt: store.now() + 60_000)])[0].id
        #expect(try await store.record(id: id)?.state == .scheduled)
        #expect(try await store.cancel(id: id) == .cancelled)
        #expect(try await store.retry(id: id) == .available)
        let claimed = try await store.claim(.allExcept([]), limit: 5, worker: "w")
        #expect(claimed.map(\.id) == [id])
        try await store.resolve([TaskResult(id: id, attempt: 1, .completed)])
        #expect(try await store.deleteFinished(completedBefore: store.now() - 60_000, othersBefore: 0, limit: 10) == 0)
        #expect(try await store.deleteFinished(completedBefore: store.now() + 1_000, othersBefore: 0, limit: 10) == 1)
        #expect(try await store.record(id: id) == nil)
        await store.close()
    }
}

/// Periodic tasks on PostgreSQL: the SQLite store's rules, and one run per period when
/// two coordinators race (the schedule's row is locked).
@Suite struct PostgresPeriodicTaskTests {
    func periodic(_ name: String, _ schedule: TaskSchedule) -> PeriodicTask {
        PeriodicTask(name: name, schedule: schedule, template: NewDurableTask(kind: "tick", arguments: Array("{}".utf8), runAt: 0), catchUp: false)
    }

    @Test func oneRunPerPeriodAndOneForAllMissedOnesEvenWhenTwoProcessesRace() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let client = try PostgresClient(try PostgresConnectionString(url), size: 4, logger: PostgresTaskStoreTests.logger)
        try await PostgresTaskSchema.migrate(client)
        let every10s = periodic("tick", .every(.seconds(10)))
        let start: Int64 = 1_796_630_400_000
        func due(at offset: Int64) async throws -> Int {
            try await PostgresPeriodicTasks.enqueueDue([every10s], client: client, now: start + offset)
        }
        #expect(try await due(at: 0) == 0)  // first seen: due in one interval
        #expect(try await due(at: 9_999) == 0)
        // Two coordinators (an old one not yet aware it lost the lock) at the same moment.
        async let first = due(at: 10_000)
        async let second = due(at: 10_000)
        #expect(try await first + second == 1)
        #expect(try await due(at: 10_500) == 0)
        // Down from 10.5 s to 55 s: the runs due at 20, 30, 40 and 50 s are one run.
        #expect(try await due(at: 55_000) == 1)
        let rows = try await client.query("SELECT run_at FROM eventide_tasks ORDER BY id")
        #expect((0..<rows.count).map { rows.timestampMilliseconds($0, 0).map { $0 - start } } == [10_000, 20_000])
        await client.close()
    }
}
