import EventidePostgres
import EventideUVLoop
import Foundation
import Logging

/// Durable tasks in PostgreSQL, shared by every process of a fleet: web processes that
/// store tasks, worker processes that run them, on as many machines as needed.
///
/// Driven by a `PostgresClient` on a libuv loop of its own: requests' tasks and workers'
/// results are group-committed there (`PostgresTaskCore`), claims take batches with
/// `FOR UPDATE SKIP LOCKED`, and a LISTEN session wakes idle workers when another process
/// stores tasks. Each process tells the fleet it is alive (`PostgresFleet`); the one
/// holding the coordinator's advisory lock makes the tasks of silent processes available
/// again and does the store-wide chores.
package final class PostgresTaskStore: TaskStore {
    let client: PostgresClient
    private let core: LoopBound<PostgresTaskCore>
    private let shared: PostgresStoreShared
    private let fleet: PostgresFleet
    private let logger: Logger
    private let readiness = Locked(Readiness.preparing)
    private let closed = Locked(false)

    private enum Readiness {
        case preparing
        case ready
        /// The last attempt to get ready failed (calls fail at once until one succeeds).
        case failed(String)
    }

    /// Connects in the background: calls made before the store is ready wait for it, or
    /// fail at once while the server cannot be reached.
    ///
    /// `coordinates`: whether this process may become the fleet's coordinator. Only
    /// processes that run tasks may: the coordinator's chores (periodic tasks, retention)
    /// go through its workers, and one that only stores tasks would leave them undone.
    ///
    /// - Throws: `PostgresError` for a malformed connection string.
    package init(
        connection: String, settings: PostgresStoreSettings, worker: String, maxQueued: Int?, coordinates: Bool = true,
        logger: Logger
    ) throws {
        let string = try PostgresConnectionString(connection).addingDefaults(Self.connectionDefaults)
        let client = try PostgresClient(string, size: max(1, settings.connections), connectTimeout: settings.connectTimeout, logger: logger)
        let shared = PostgresStoreShared(worker: worker, maxQueued: maxQueued)
        self.client = client
        self.shared = shared
        self.logger = logger
        self.core = try client.loop.submitAndWait {
            LoopBound(PostgresTaskCore(client: client, shared: shared, logger: logger), loop: client.loop)
        }
        self.fleet = PostgresFleet(client: client, shared: shared, settings: settings, coordinates: coordinates, logger: logger)
        Task { await prepare(settings: settings) }
    }

    /// What the store's connections use unless the connection string says otherwise: a
    /// peer gone silent (a host cut off the network) is found within about 10 s on both
    /// sides, well inside the default heartbeat timeout, so requests get their 503 and
    /// the server drops the session, its locks and its open transaction; a transaction
    /// left idle a minute (a client that stopped mid-way) is ended by the server.
    static let connectionDefaults: [(keyword: String, value: String)] = [
        ("keepalives", "1"), ("keepalives_idle", "5"), ("keepalives_interval", "2"), ("keepalives_count", "3"),
        ("tcp_user_timeout", "10000"),
        ("options", "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 -c tcp_user_timeout=10000 "
            + "-c idle_in_transaction_session_timeout=60000"),
    ]

    /// Migrates (unless told not to), joins the fleet and opens the batchers; tries again
    /// every second until it succeeds or the store closes.
    private func prepare(settings: PostgresStoreSettings) async {
        var reported = false
        while !closed.withLock({ $0 }) {
            do {
                if settings.migrate { try await PostgresTaskSchema.migrate(client) }
                try await fleet.join()
                readiness.withLock { $0 = .ready }
                try await client.loop.submit { [core] in core.value.enqueues.isOpen = true; core.value.results.isOpen = true }
                if reported { logger.info("durable tasks: PostgreSQL store ready") }
                await fleet.run()
                return
            } catch {
                let reason = "\(error)"
                readiness.withLock { $0 = .failed(reason) }
                _ = client.loop.execute { [core] in
                    core.value.enqueues.failWaiting(PostgresTaskStoreError.unavailable(reason))
                }
                if !reported { logger.error("durable tasks: PostgreSQL store not ready; trying again every second", metadata: ["error": "\(reason)"]) }
                reported = true
                if case PostgresTaskStoreError.newerSchema = error { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Waits until the store is ready (at most `limit`).
    private func untilReady(limit: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + limit
        while true {
            switch readiness.withLock({ $0 }) {
            case .ready: return
            case .failed(let reason): throw PostgresTaskStoreError.unavailable(reason)
            case .preparing:
                guard ContinuousClock.now < deadline else { throw PostgresTaskStoreError.unavailable("not ready after \(limit)") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    package func now() -> Int64 { shared.now() }

    package var isCoordinator: Bool { shared.isCoordinator }

    package func onTasksAvailable(_ handler: @escaping @Sendable (String?) -> Void) { shared.onTasksAvailable(handler) }

    package func enqueue(_ tasks: [NewDurableTask], completion: @escaping EnqueueCompletion) {
        guard !tasks.isEmpty else { return completion(.success([])) }
        if case .failed(let reason) = readiness.withLock({ $0 }) {
            return completion(.failure(PostgresTaskStoreError.unavailable(reason)))
        }
        let accepted = client.loop.execute { [core] in core.value.enqueue(tasks, completion: completion) }
        if !accepted { completion(.failure(PostgresTaskStoreError.closed)) }
    }

    package func resolve(_ results: [TaskResult], completion: @escaping @Sendable ((any Error)?) -> Void) {
        guard !results.isEmpty else { return completion(nil) }
        let accepted = client.loop.execute { [core] in core.value.resolve(results, completion: completion) }
        if !accepted { completion(PostgresTaskStoreError.closed) }
    }

    package func claim(_ queues: TaskQueueSelection, limit: Int, worker: String) async throws -> [ClaimedTask] {
        guard limit > 0 else { return [] }
        try await untilReady()
        let claim = switch queues {
        case .named(let name):
            PostgresStatement(PostgresTaskSQL.claimNamed, [.text(name), .int32(Int32(clamping: limit)), .text(worker)])
        case .allExcept(let names):
            PostgresStatement(PostgresTaskSQL.claimOthers, [.textArray(names.sorted()), .int32(Int32(clamping: limit)), .text(worker)])
        }
        let rows = try await client.pipeline([PostgresStatement(PostgresTaskSQL.claimPlan), claim])[1]
        let claimed = (0..<rows.count).map { row in
            ClaimedTask(
                id: rows.int64(row, 0) ?? 0, kind: rows.string(row, 1) ?? "", queue: rows.string(row, 2) ?? "",
                arguments: Array((rows.string(row, 3) ?? "").utf8), priority: Int(rows.int64(row, 4) ?? 0),
                attempt: Int(rows.int64(row, 5) ?? 0), maxAttempts: Int(rows.int64(row, 6) ?? 0),
                runAt: rows.timestampMilliseconds(row, 7) ?? 0, timeout: rows.int64(row, 8))
        }
        // RETURNING gives no order: restore the claim's.
        return claimed.sorted { ($0.priority, $0.runAt, $0.id) < ($1.priority, $1.runAt, $1.id) }
    }

    /// Nothing at a process's start: in a fleet, the coordinator makes the tasks of silent
    /// processes available again, judged by their heartbeats (`PostgresFleet`), never a
    /// starting process by its own view.
    package func rescue(keeping alive: Set<String>) async throws -> Int { 0 }

    package func record(id: Int64) async throws -> DurableTaskRecord? {
        try await untilReady()
        let rows = try await client.query(PostgresTaskSQL.record, [.int64(id)])
        return rows.count > 0 ? Self.record(rows, 0) : nil
    }

    package func records(in state: DurableTaskState, queue: String?, limit: Int) async throws -> [DurableTaskRecord] {
        try await untilReady()
        let rows = try await client.query(state.isFinal ? PostgresTaskSQL.recordsFinished : PostgresTaskSQL.recordsWaiting, [
            .text(state.rawValue), queue.map { .text($0) } ?? .null, .int64(Int64(max(0, limit))),
        ])
        return (0..<rows.count).map { Self.record(rows, $0) }
    }

    package func delete(id: Int64) async throws -> DurableTaskState? {
        try await untilReady()
        // One pipeline, one transaction: the state read sees the row only when the delete left it.
        let answers = try await client.pipeline([
            PostgresStatement(PostgresTaskSQL.delete, [.int64(id)]), PostgresStatement(PostgresTaskSQL.state, [.int64(id)]),
        ])
        if answers[0].count > 0 { return DurableTaskState(rawValue: answers[0].string(0, 0) ?? "") ?? .discarded }
        return answers[1].count > 0 ? DurableTaskState(rawValue: answers[1].string(0, 0) ?? "") : nil
    }

    /// Row `row` of a query of `PostgresTaskSQL.recordColumns`.
    private static func record(_ rows: PostgresRows, _ row: Int) -> DurableTaskRecord {
        let errors = (try? JSONBytesDecoder.decode([DurableTaskFailure].self, from: Array((rows.string(row, 12) ?? "[]").utf8))) ?? []
        return DurableTaskRecord(
            id: rows.int64(row, 0) ?? 0, kind: rows.string(row, 1) ?? "", queue: rows.string(row, 2) ?? "",
            arguments: rows.string(row, 13) ?? "",
            state: DurableTaskState(rawValue: rows.string(row, 3) ?? "") ?? .discarded, priority: Int(rows.int64(row, 4) ?? 0),
            attempt: Int(rows.int64(row, 5) ?? 0), maxAttempts: Int(rows.int64(row, 6) ?? 0), uniqueKey: rows.string(row, 7),
            createdAt: rows.timestampMilliseconds(row, 8) ?? 0, runAt: rows.timestampMilliseconds(row, 9) ?? 0,
            attemptedAt: rows.timestampMilliseconds(row, 10), finishedAt: rows.timestampMilliseconds(row, 11), errors: errors)
    }

    package func cancel(id: Int64) async throws -> DurableTaskState? {
        try await untilReady()
        let answers = try await client.pipeline([
            PostgresStatement(PostgresTaskSQL.cancel, [.int64(id)]), PostgresStatement(PostgresTaskSQL.state, [.int64(id)]),
        ])
        return answers[1].count > 0 ? DurableTaskState(rawValue: answers[1].string(0, 0) ?? "") : nil
    }

    package func retry(id: Int64) async throws -> DurableTaskState? {
        try await untilReady()
        let answers = try await client.pipeline([
            PostgresStatement(PostgresTaskSQL.retry, [.int64(id)]),
            PostgresStatement(PostgresTaskSQL.notifyIfAvailable, [.int64(id)]),
            PostgresStatement(PostgresTaskSQL.state, [.int64(id)]),
        ])
        return answers[2].count > 0 ? DurableTaskState(rawValue: answers[2].string(0, 0) ?? "") : nil
    }

    package func setPaused(_ paused: Bool, queue: String) async throws {
        try await untilReady()
        var statements = [PostgresStatement(PostgresTaskSQL.pause, [.text(queue), .bool(paused)])]
        if !paused { statements.append(PostgresStatement(PostgresTaskSQL.notify, [.textArray([queue])])) }
        _ = try await client.pipeline(statements)
    }

    package func counts() async throws -> [String: [DurableTaskState: Int]] {
        try await untilReady()
        let rows = try await client.query(PostgresTaskSQL.counts)
        var counts: [String: [DurableTaskState: Int]] = [:]
        for row in 0..<rows.count {
            if let queue = rows.string(row, 0), let state = DurableTaskState(rawValue: rows.string(row, 1) ?? "") {
                counts[queue, default: [:]][state] = Int(rows.int64(row, 2) ?? 0)
            }
        }
        return counts
    }

    package func deleteFinished(completedBefore: Int64, othersBefore: Int64, limit: Int) async throws -> Int {
        try await untilReady()
        let rows = try await client.query(PostgresTaskSQL.deleteFinished(limit: limit), [
            .timestamp(milliseconds: completedBefore), .timestamp(milliseconds: othersBefore),
        ])
        return rows.affectedRows
    }

    package func enqueueDue(_ schedules: [PeriodicTask]) async throws -> Int {
        guard !schedules.isEmpty else { return 0 }
        try await untilReady()
        return try await PostgresPeriodicTasks.enqueueDue(schedules, client: client, now: now())
    }

    /// How long `close` waits for the results and tasks still being stored.
    static let drainLimit: Duration = .seconds(5)

    package func close() async {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        await withCheckedContinuation { (drained: CheckedContinuation<Void, Never>) in
            let accepted = client.loop.execute { [core] in core.value.whenDrained(within: Self.drainLimit) { drained.resume() } }
            if !accepted { drained.resume() }
        }
        await fleet.leave()
        await client.close()
    }
}
