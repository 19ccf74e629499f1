import EventidePostgres
import EventideUVLoop
import Foundation
import Logging

/// The loop-bound half of the PostgreSQL task store: the two group commits (requests'
/// tasks, workers' results) on the client's loop. The store hands it work with
/// `loop.execute`; completions are called on the loop's thread.
final class PostgresTaskCore {
    /// One caller's tasks: stored together, answered once all are.
    struct EnqueueJob {
        var rows: [NewDurableTask]
        var completion: EnqueueCompletion
        var outcomes: [EnqueueOutcome?]
        /// Whether it goes in a transaction of its own (it failed in one with others).
        var alone = false
        /// Times its rows lost their unique key's holder in flight (see `uniqueKeyRace`).
        var races = 0
    }

    /// One worker's results.
    struct ResultJob {
        var results: [TaskResult]
        var completion: @Sendable ((any Error)?) -> Void
    }

    private let client: PostgresClient
    private let shared: PostgresStoreShared
    private let logger: Logger
    private(set) var enqueues: PostgresBatcher<EnqueueJob>!
    private let wakeUps: PostgresWakeUps
    private(set) var results: PostgresBatcher<ResultJob>!
    /// Unfinished tasks as last counted plus those stored since (nil: not counted yet).
    var unfinishedEstimate: Int?

    init(client: PostgresClient, shared: PostgresStoreShared, logger: Logger) {
        self.client = client
        self.shared = shared
        self.logger = logger
        wakeUps = PostgresWakeUps(client: client)
        enqueues = PostgresBatcher(
            client: client, maxInFlight: 2, maxBatch: 4_096, weight: { $0.rows.count }, isAlone: { $0.alone },
            commit: { [unowned self] in commitEnqueues($0, on: $1, done: $2) },
            fail: { jobs, error in for job in jobs { job.completion(.failure(error)) } })
        results = PostgresBatcher(
            client: client, maxInFlight: 1, maxBatch: 4_096, weight: { $0.results.count }, isAlone: { _ in false },
            commit: { [unowned self] in commitResults($0, on: $1, done: $2) },
            fail: { jobs, error in for job in jobs { job.completion(error) } })
    }

    /// Calls `done` once neither group commit has a job waiting or in flight (the last
    /// results of a worker that is stopping reach the database before it leaves the
    /// fleet), or after `limit` (jobs that cannot go out: the store never became ready).
    func whenDrained(within limit: Duration, _ done: @escaping () -> Void) {
        let timer = LoopTimer(loop: client.loop)
        var remaining = 2
        var finished = false
        let finish = {
            guard !finished else { return }
            finished = true
            timer.close()
            done()
        }
        let oneDrained = {
            remaining -= 1
            if remaining == 0 { finish() }
        }
        timer.start(afterMilliseconds: UInt64(limit.wholeMilliseconds)) { finish() }
        enqueues.whenIdle(oneDrained)
        results.whenIdle(oneDrained)
    }

    // MARK: Storing tasks

    func enqueue(_ rows: [NewDurableTask], completion: @escaping EnqueueCompletion) {
        if let limit = shared.maxQueued {
            countUnfinishedIfStale()
            if let count = unfinishedEstimate, count + rows.count > limit { return completion(.failure(TaskStoreFull(maxQueued: limit))) }
        }
        enqueues.add(EnqueueJob(rows: rows, completion: completion, outcomes: Array(repeating: nil, count: rows.count)))
    }

    /// When the unfinished tasks were last counted (local ms), and whether a count runs.
    private var lastCount: Int64 = 0
    private var counting = false
    /// Tasks this process stored while a count ran: it may not have seen them.
    private var storedDuringCount = 0

    /// Counts the unfinished tasks again when the last count is older than 2 s: the
    /// fleet's other processes store and finish tasks too, so `maxQueued` is held to
    /// within what the fleet does in that time.
    private func countUnfinishedIfStale() {
        let now = PostgresStoreShared.localNow()
        guard !counting, enqueues.isOpen, now - lastCount >= 2_000 else { return }
        counting = true
        storedDuringCount = 0
        client.acquire { [self] result in
            guard case .success(let connection) = result else {
                counting = false
                return
            }
            connection.run([PostgresStatement(PostgresTaskSQL.unfinishedCount)]) { [self] answers in
                client.release(connection)
                counting = false
                lastCount = PostgresStoreShared.localNow()
                if case .success(let rows) = answers[0] { unfinishedEstimate = Int(rows.int64(0, 0) ?? 0) + storedDuringCount }
            }
        }
    }

    /// One transaction (the pipeline's implicit one) for every row of `jobs` still to
    /// store: the insert, the holders of the unique keys it met, the wake-ups.
    private func commitEnqueues(_ jobs: [EnqueueJob], on connection: PostgresConnection, done: @escaping () -> Void) {
        let now = shared.now()
        var batch = EnqueueBatch()
        for (jobIndex, job) in jobs.enumerated() {
            for (rowIndex, row) in job.rows.enumerated() where job.outcomes[rowIndex] == nil {
                batch.append(row, job: jobIndex, row: rowIndex, now: now)
            }
        }
        let (notifyNow, later) = wakeUps.split(batch.wake)
        connection.run(batch.statements(notifying: notifyNow)) { [self] answers in
            done()
            if case .success = answers[0] { wakeUps.defer(later) }
            settle(jobs, batch, answers)
        }
    }

    private func settle(_ jobs: [EnqueueJob], _ batch: EnqueueBatch, _ answers: [Result<PostgresRows, PostgresError>]) {
        var jobs = jobs
        let inserted: PostgresRows
        let holders: PostgresRows?
        do {
            inserted = try answers[0].get()
            holders = batch.hasKeys ? try answers[1].get() : nil
        } catch {
            // Bad data in one job must not fail the others: each goes again on its own.
            // A lost connection fails them all (the commit may or may not have happened:
            // at least once, the caller answers 503 and the client tries again).
            let lost = error.isConnectionLoss
            if !lost, jobs.count > 1 {
                for var job in jobs {
                    job.alone = true
                    enqueues.add(job)
                }
            } else {
                if !lost { logger.error("durable tasks: a request's tasks were refused", metadata: ["error": "\(error)"]) }
                for job in jobs { job.completion(.failure(error)) }
            }
            return
        }
        let outcomes = batch.outcomes(inserted: inserted, holders: holders)
        var storedCount = 0
        for (entry, outcome) in zip(batch.entries, outcomes) {
            jobs[entry.job].outcomes[entry.row] = outcome
            if case .duplicate = outcome {} else if outcome != nil { storedCount += 1 }
        }
        if let count = unfinishedEstimate { unfinishedEstimate = count + storedCount }
        if counting { storedDuringCount += storedCount }
        for var job in jobs {
            if job.outcomes.allSatisfy({ $0 != nil }) {
                job.completion(.success(job.outcomes.map { $0! }))
            } else if job.races < 3 {
                job.races += 1
                enqueues.add(job)
            } else {
                let key = zip(job.rows, job.outcomes).first { $0.1 == nil }?.0.uniqueKey ?? ""
                job.completion(.failure(PostgresTaskStoreError.uniqueKeyRace(key: key)))
            }
        }
    }

    // MARK: Results

    func resolve(_ results: [TaskResult], completion: @escaping @Sendable ((any Error)?) -> Void) {
        self.results.add(ResultJob(results: results, completion: completion))
    }

    private func commitResults(_ jobs: [ResultJob], on connection: PostgresConnection, done: @escaping () -> Void) {
        let now = shared.now()
        var completed: (ids: [Int64], attempts: [Int32]) = ([], [])
        var other = SettleBatch()
        for result in jobs.lazy.flatMap(\.results) {
            if result.resolution == .completed {
                completed.ids.append(result.id)
                completed.attempts.append(Int32(clamping: result.attempt))
            } else {
                other.append(result, now: now)
            }
        }
        var statements: [PostgresStatement] = []
        if !completed.ids.isEmpty {
            statements.append(PostgresStatement(
                PostgresTaskSQL.complete, [.int64Array(completed.ids), .int32Array(completed.attempts), .text(shared.worker)]))
        }
        if !other.ids.isEmpty { statements.append(other.statement(worker: shared.worker)) }
        connection.run(statements) { [self] answers in
            done()
            var error: (any Error)?
            var changed = 0
            for answer in answers {
                switch answer {
                case .success(let rows): changed += rows.count
                case .failure(let failure): error = error ?? failure
                }
            }
            let sent = completed.ids.count + other.ids.count
            if error == nil, changed < sent {
                logger.warning("durable tasks: results dropped for tasks this worker no longer held (rescued by the fleet, or cancelled)",
                    metadata: ["count": "\(sent - changed)"])
            }
            if error == nil, let count = unfinishedEstimate { unfinishedEstimate = max(0, count - changed) }
            for job in jobs { job.completion(error) }
        }
    }
}

/// The arrays of one insert, with where each row came from.
struct EnqueueBatch {
    struct Entry {
        var job: Int
        var row: Int
    }
    private(set) var entries: [Entry] = []
    private var kinds: [String?] = [], queues: [String?] = [], arguments: [String?] = []
    private var priorities: [Int32] = [], maxAttempts: [Int32] = [], keys: [String?] = [], runAt: [Int64?] = []
    private var workers: [String?] = [], timeouts: [String?] = []
    /// Queues given tasks due now that no worker took at once: their workers are woken.
    private(set) var wake: Set<String> = []

    var hasKeys: Bool { keys.contains { $0 != nil } }

    /// Adds `row` (row `index` of job `job`). A task due by this process's `now` is
    /// stored due at the server's now (the clocks of a fleet's machines differ a little;
    /// only a delay is measured on this one's) unless `keepingDueTime` (a periodic run,
    /// due at its period's time), and running for its `claimedBy`.
    mutating func append(_ row: NewDurableTask, job: Int, row index: Int, now: Int64, keepingDueTime: Bool = false) {
        let due = row.runAt <= now
        entries.append(Entry(job: job, row: index))
        kinds.append(row.kind)
        queues.append(row.queue)
        arguments.append(String(decoding: row.arguments, as: UTF8.self))
        priorities.append(Int32(clamping: row.priority))
        maxAttempts.append(Int32(clamping: row.maxAttempts))
        keys.append(row.uniqueKey)
        runAt.append(due && !keepingDueTime ? nil : row.runAt)
        workers.append(due ? row.claimedBy : nil)
        timeouts.append(row.timeout.map { String($0) })
        if due && row.claimedBy == nil { wake.insert(row.queue) }
    }

    /// What each entry became, from the insert's rows and the holders' (nil: its key's
    /// holder finished between the two; store it again).
    func outcomes(inserted: PostgresRows, holders: PostgresRows?) -> [EnqueueOutcome?] {
        var holderOf: [String: Int64] = [:]
        if let holders {
            for index in 0..<holders.count {
                if let key = holders.string(index, 1), let id = holders.int64(index, 0) { holderOf[key] = id }
            }
        }
        // Ascending ids are the batch's order (see PostgresTaskSQL.insert); a row the
        // unique index skipped has no id and its key's holder is read back.
        var stored: [(id: Int64, key: String?, running: Bool)] = (0..<inserted.count).map {
            (inserted.int64($0, 0) ?? 0, inserted.string($0, 1), inserted.string($0, 2) == DurableTaskState.running.rawValue)
        }
        stored.sort { $0.id < $1.id }
        var next = 0
        return entries.indices.map { index -> EnqueueOutcome? in
            let key = keys[index]
            if next < stored.count, key == nil || stored[next].key == key {
                defer { next += 1 }
                return stored[next].running ? .claimed(stored[next].id) : .inserted(stored[next].id)
            }
            return key.flatMap { holderOf[$0] }.map { .duplicate(of: $0) }
        }
    }

    /// The insert, the holders' read, and the wake-ups of every queue in `wake`.
    var statements: [PostgresStatement] { statements(notifying: wake) }

    /// The insert, the holders' read when keys are met, and a NOTIFY for `woken`.
    func statements(notifying woken: Set<String>) -> [PostgresStatement] {
        var statements = [PostgresStatement(PostgresTaskSQL.insert, [
            .textArray(kinds), .textArray(queues), .textArray(arguments), .int32Array(priorities), .int32Array(maxAttempts),
            .textArray(keys), .timestampArray(runAt), .textArray(workers), .textArray(timeouts),
        ])]
        if hasKeys { statements.append(PostgresStatement(PostgresTaskSQL.holders, [.textArray(keys.filter { $0 != nil })])) }
        if !woken.isEmpty { statements.append(PostgresStatement(PostgresTaskSQL.notify, [.textArray(woken.sorted().map { $0 })])) }
        return statements
    }
}

/// The arrays of one `PostgresTaskSQL.settle`.
struct SettleBatch {
    private(set) var ids: [Int64] = []
    private var attempts: [Int32] = [], states: [String?] = [], runAt: [Int64?] = [], errors: [String?] = [], refunds: [Int32] = []

    mutating func append(_ result: TaskResult, now: Int64) {
        let (state, due, error, refund): (DurableTaskState, Int64?, String?, Int32) = switch result.resolution {
        case .completed: (.completed, nil, nil, 0)
        case .retry(let at, let error): (.retryable, at, error, 0)
        case .discard(let error): (.discarded, nil, error, 0)
        case .cancel(let reason): (.cancelled, nil, reason, 0)
        case .snooze(let until): (.scheduled, until, nil, 1)
        case .putBack: (.available, now, nil, 1)
        }
        ids.append(result.id)
        attempts.append(Int32(clamping: result.attempt))
        states.append(state.rawValue)
        runAt.append(due)
        // PostgreSQL text cannot hold NUL.
        errors.append(error.map { $0.replacingOccurrences(of: "\u{0}", with: "\\0") })
        refunds.append(refund)
    }

    func statement(worker: String) -> PostgresStatement {
        PostgresStatement(PostgresTaskSQL.settle, [
            .int64Array(ids), .int32Array(attempts), .textArray(states), .timestampArray(runAt), .textArray(errors),
            .int32Array(refunds), .text(worker),
        ])
    }
}
