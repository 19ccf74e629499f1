import Dispatch
import EventideSQLite
import EventideUVLoop
import Foundation  // Thread, Date

/// Durable tasks in one SQLite file, written by one thread of the store's own.
///
/// The writer thread owns the only read-write connection (`SQLiteTaskTable`); callers on
/// any thread (loop threads included) hand it jobs and are resumed with the results, so
/// SQLite never runs on a loop thread. **Group commit**: everything handed over while a
/// turn is in flight (requests' enqueues, workers' claims and results) goes into the next
/// turn, which is one transaction: one fsync for all of it, never one per request. Each
/// job is a savepoint in it, so one failing job fails alone; callers are resumed after
/// the commit, so an enqueue returns only once it is durable.
///
/// Turns are made large on purpose: a loop hands over all of one iteration's requests
/// as one job (`enqueue(batch:completion:)`), and the writer does not preempt the
/// threads that woke it (`BatchScheduling`, unless `batchThread` is false).
///
/// With `Durability.full`, a turn that stores tasks or carries a caller's change
/// (`cancel`, `retry`) is fsynced before its callers hear of it. A turn made only of the
/// workers' own bookkeeping (claims, results, rescue, retention) is not: SQLite writes it
/// to the write-ahead log with `synchronous=NORMAL`, and the next fsynced commit makes it
/// durable with its own (the log is one file, synced whole). A power cut can lose the
/// last results, so those tasks run again: at least once still holds, and a crash of the
/// process loses nothing (the log is in the kernel's cache).
package final class SQLiteTaskStore: TaskStore {
    private enum Job {
        /// Callers' tasks (one caller, or a loop iteration's requests): each caller's
        /// stored all or none, one result per caller.
        case insert([[NewDurableTask]], BatchEnqueueCompletion)
        /// Runs' ends; all of a turn's go into one savepoint.
        case resolve([TaskResult], @Sendable ((any Error)?) -> Void)
        /// `execute` runs in the turn's transaction and returns what delivers its result
        /// after the commit (given the commit's error, if any); `fail` answers a job that
        /// never ran (the turn's transaction could not begin). `bookkeeping`: the
        /// workers' own change, which needs no fsync of its own.
        case run(execute: @Sendable (SQLiteTaskTable, Int64) -> Delivery, fail: @Sendable (any Error) -> Void, bookkeeping: Bool)
    }

    /// Tells a caller its result once the turn is committed (or why it is not).
    private typealias Delivery = @Sendable ((any Error)?) -> Void

    private struct State {
        var jobs: [Job] = []
        /// Whether a job someone waits for is among `jobs` (not only results).
        var urgent = false
        /// Whether the writer was woken for results already since its last turn.
        var resultsSignalled = false
        var closed = false
        /// Insert transactions committed (for tests and metrics).
        var insertCommits = 0
    }

    private let state = Locked(State())
    private let durability: SQLiteTaskTable.Durability
    /// The connection queries use, on a thread of its own.
    private let reader: Reader

    /// A read-only connection opened on first use, used by its pool's one thread only.
    private final class Reader: @unchecked Sendable {
        let pool = WorkerPool(threads: 1)
        let path: String
        // why: touched only on `pool`'s one thread.
        private var opened: SQLiteTaskTable?

        init(path: String) { self.path = path }

        func table() throws -> SQLiteTaskTable {
            if let opened { return opened }
            let table = try SQLiteTaskTable(readingFrom: path)
            opened = table
            return table
        }

        func close() {
            _ = pool.submit { [self] _ in
                try? opened?.connection.close()
                opened = nil
            }
            pool.shutdown()
        }
    }
    /// The most unfinished tasks the store takes (nil: no limit).
    private let maxQueued: Int?
    /// Signalled by the first urgent job and the first results after each turn took the
    /// jobs, and by `close`.
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    /// Milliseconds since the Unix epoch.
    private let clock: @Sendable () -> Int64

    /// Opens (creating) the store at `path` and starts its writer thread. Blocks until
    /// the file is open: call it at start-up, not on a loop thread.
    ///
    /// - Throws: `SQLiteError` or `SQLiteTaskTableError` when the file cannot be used.
    package init(
        path: String, durability: SQLiteTaskTable.Durability = .full, maxQueued: Int? = nil, batchThread: Bool = true,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        self.clock = clock
        self.durability = durability
        self.reader = Reader(path: path)
        self.maxQueued = maxQueued
        let opened = Locked<Result<Void, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            // Named from inside: on Linux, `Thread.name` set before `start()` does not
            // reach the kernel, and tools (`top -H`, the fault scripts) look there.
            Self.nameThisThread("eventide-tasks")
            if batchThread { BatchScheduling.applyToCurrentThread() }
            let table: SQLiteTaskTable
            do {
                table = try SQLiteTaskTable(path: path, durability: durability)
                opened.withLock { $0 = .success(()) }
            } catch {
                opened.withLock { $0 = .failure(error) }
                ready.signal()
                return
            }
            ready.signal()
            serve(table)
        }
        thread.start()
        ready.wait()
        try opened.withLock { $0 }?.get()
    }

    /// Names the calling thread for the kernel (Linux; `pthread_setname_np` is not
    /// visible to Swift there). Best effort: elsewhere, or on failure, nothing happens.
    private static func nameThisThread(_ name: String) {
        try? Data(name.utf8.prefix(15)).write(to: URL(fileURLWithPath: "/proc/thread-self/comm"))
    }

    /// Stores `tasks` (one request's, or a script's) durably and returns what each became.
    /// Returns once the transaction that holds them is committed.
    package func enqueue(_ tasks: [NewDurableTask], completion: @escaping EnqueueCompletion) {
        guard !tasks.isEmpty else { return completion(.success([])) }
        submit(.insert([tasks], { completion($0[0]) })) { completion(.failure(SQLiteTaskStoreError.closed)) }
    }

    package func enqueue(batch: [[NewDurableTask]], completion: @escaping BatchEnqueueCompletion) {
        guard !batch.isEmpty else { return completion([]) }
        submit(.insert(batch, completion)) { completion(batch.map { _ in .failure(SQLiteTaskStoreError.closed) }) }
    }

    package func resolve(_ results: [TaskResult], completion: @escaping @Sendable ((any Error)?) -> Void) {
        guard !results.isEmpty else { return completion(nil) }
        submit(.resolve(results, completion), urgent: false) { completion(SQLiteTaskStoreError.closed) }
    }

    package func claim(_ queues: TaskQueueSelection, limit: Int, worker: String) async throws -> [ClaimedTask] {
        try await perform(bookkeeping: true) { table, now in try table.claim(queues, limit: limit, worker: worker, now: now) }
    }

    package func rescue(keeping alive: Set<String>) async throws -> Int {
        try await perform(bookkeeping: true) { table, now in try table.rescue(keeping: alive, now: now) }
    }

    package func record(id: Int64) async throws -> DurableTaskRecord? {
        try await read { table in try table.record(id: id) }
    }

    package func records(in state: DurableTaskState, queue: String?, limit: Int) async throws -> [DurableTaskRecord] {
        try await read { table in try table.records(in: state, queue: queue, limit: limit) }
    }

    package func delete(id: Int64) async throws -> DurableTaskState? {
        try await perform { table, _ in try table.delete(id: id) }
    }

    package func cancel(id: Int64) async throws -> DurableTaskState? {
        try await perform { table, now in try table.cancel(id: id, now: now) }
    }

    package func retry(id: Int64) async throws -> DurableTaskState? {
        try await perform { table, now in try table.retry(id: id, now: now) }
    }

    package func setPaused(_ paused: Bool, queue: String) async throws {
        try await perform { table, _ in try table.setPaused(paused, queue: queue) }
    }

    package func counts() async throws -> [String: [DurableTaskState: Int]] {
        try await read { table in try table.counts() }
    }

    /// Runs a query on the reader thread's own read-only connection (beside the
    /// writer's transactions: WAL lets readers and one writer work at once), which sees
    /// every transaction committed before it starts.
    private func read<Result: Sendable>(_ body: @escaping @Sendable (SQLiteTaskTable) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let submitted = reader.pool.submit { [reader] cancelled in
                guard !cancelled else { return continuation.resume(throwing: SQLiteTaskStoreError.closed) }
                continuation.resume(with: Swift.Result { try body(try reader.table()) })
            }
            if !submitted { continuation.resume(throwing: SQLiteTaskStoreError.closed) }
        }
    }

    package func enqueueDue(_ schedules: [PeriodicTask]) async throws -> Int {
        guard !schedules.isEmpty else { return 0 }
        return try await perform { table, now in try table.enqueueDue(schedules, now: now) }
    }

    package func deleteFinished(completedBefore: Int64, othersBefore: Int64, limit: Int) async throws -> Int {
        try await perform(bookkeeping: true) { table, _ in
            try table.deleteFinished(completedBefore: completedBefore, othersBefore: othersBefore, limit: limit)
        }
    }

    /// Runs `body` on the writer thread with the table and the store's time, and returns
    /// its result once committed. `bookkeeping`: a worker's change that needs no fsync of
    /// its own (see the type's comment).
    package func perform<Result: Sendable>(
        bookkeeping: Bool = false, _ body: @escaping @Sendable (SQLiteTaskTable, Int64) throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            submit(.run(execute: { table, now in
                let result = Swift.Result { try table.connection.savepoint { try body(table, now) } }
                return { commitError in
                    if let commitError { return continuation.resume(throwing: commitError) }
                    continuation.resume(with: result)
                }
            }, fail: { continuation.resume(throwing: $0) }, bookkeeping: bookkeeping)) {
                continuation.resume(throwing: SQLiteTaskStoreError.closed)
            }
        }
    }

    /// The store's time: milliseconds since the Unix epoch.
    package func now() -> Int64 { clock() }

    /// Jobs handed over and not taken by the writer yet (for tests).
    package var pendingJobs: Int { state.withLock { $0.jobs.count } }

    /// How many insert transactions were committed so far.
    package var insertCommits: Int { state.withLock { $0.insertCommits } }

    /// Finishes the jobs handed over, then stops the writer thread and closes the file.
    /// Later calls throw `SQLiteTaskStoreError.closed`. Blocks until the thread ended.
    package func close() {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        wake.signal()
        stopped.wait()
        reader.close()
    }

    /// How long results wait for company: a turn holding only results starts this long
    /// after the first of them, so a busy queue's results share turns (and wake-ups)
    /// instead of costing a turn each.
    private static let resultsDelay = DispatchTimeInterval.milliseconds(2)

    /// Hands `job` to the writer. `urgent`: a caller waits for it, so the writer starts a
    /// turn now; results (not urgent) wake it at most once per turn.
    private func submit(_ job: Job, urgent: Bool = true, refused: () -> Void) {
        let signal = state.withLock { state -> Bool? in
            guard !state.closed else { return nil }
            state.jobs.append(job)
            if urgent {
                // One signal per turn is enough: the writer takes every job handed over
                // since its last turn. A signal per job would stay counted in the
                // semaphore after the turn took the jobs, and each leftover signal would
                // end a later results-only wait at once (a turn, a commit and its log
                // writes for a few results, instead of their joining the next inserts).
                defer { state.urgent = true }
                return !state.urgent
            }
            defer { state.resultsSignalled = true }
            return !state.resultsSignalled
        }
        switch signal {
        case nil: refused()
        case true?: wake.signal()
        case false?: break
        }
    }

    /// The writer thread: each turn takes whatever was handed over since the last one.
    private func serve(_ table: SQLiteTaskTable) {
        while true {
            wake.wait()
            // Only results so far: give more of them (and any urgent job) a moment to join.
            if !state.withLock({ $0.urgent || $0.closed }) { _ = wake.wait(timeout: .now() + Self.resultsDelay) }
            let (jobs, closed) = state.withLock { state in
                defer {
                    state.jobs = []
                    state.urgent = false
                    state.resultsSignalled = false
                }
                return (state.jobs, state.closed)
            }
            if !jobs.isEmpty { turn(jobs, on: table) }
            if closed && state.withLock({ $0.jobs.isEmpty }) { break }
        }
        try? table.connection.close()
        stopped.signal()
    }

    /// One transaction: the turn's inserts first (one savepoint for all of them: a failed
    /// insert batch writes nothing of any caller's tasks), then its results, then the other
    /// jobs in order; then the commit, then every caller's result.
    private func turn(_ jobs: [Job], on table: SQLiteTaskTable) {
        var inserts: [Insert] = []
        var results: [([TaskResult], @Sendable ((any Error)?) -> Void)] = []
        var others: [(execute: @Sendable (SQLiteTaskTable, Int64) -> Delivery, fail: @Sendable (any Error) -> Void)] = []
        var bookkeepingOnly = true
        for job in jobs {
            switch job {
            case .insert(let callers, let completion): inserts.append((callers, completion))
            case .resolve(let tasks, let completion): results.append((tasks, completion))
            case .run(let execute, let fail, let bookkeeping):
                others.append((execute, fail))
                bookkeepingOnly = bookkeepingOnly && bookkeeping
            }
        }
        if !results.isEmpty {
            let batch = results
            others.insert((execute: { table, now in
                var failure: (any Error)?
                do { try table.resolve(batch.flatMap(\.0), now: now) } catch { failure = error }
                return { [failure] commitError in
                    for (_, completion) in batch { completion(commitError ?? failure) }
                }
            }, fail: { error in for (_, completion) in batch { completion(error) } }), at: 0)
        }
        if !inserts.isEmpty {
            bookkeepingOnly = false
            let batch = inserts
            others.insert((execute: { [self] table, now in insert(batch, into: table, now: now) },
                           fail: { error in for insert in batch { insert.completion(insert.callers.map { _ in .failure(error) }) } }), at: 0)
        }
        setSynchronous(durability == .normal || bookkeepingOnly ? .normal : .full, on: table)
        let now = clock()
        var deliveries: [Delivery] = []
        var began = false
        do {
            try table.connection.transaction(.immediate) {
                began = true
                for job in others {
                    // Some errors (a full disk) make SQLite roll the whole transaction back
                    // itself: what ran is undone, and nothing more may run outside it.
                    guard table.connection.isInTransaction else { throw SQLiteTaskStoreError.turnRolledBack }
                    deliveries.append(job.execute(table, now))
                }
                guard table.connection.isInTransaction else { throw SQLiteTaskStoreError.turnRolledBack }
            }
            if !inserts.isEmpty { state.withLock { $0.insertCommits += 1 } }
            for deliver in deliveries { deliver(nil) }
        } catch where began {
            // Rolled back or COMMIT failed: nothing of the turn was written.
            table.forgetUnfinished()
            for deliver in deliveries { deliver(error) }
            for job in others.dropFirst(deliveries.count) { job.fail(error) }
        } catch {
            // BEGIN failed: no job ran.
            for job in others { job.fail(error) }
        }
    }

    /// What `synchronous` the connection has (nil: not set by a turn yet). Writer thread only.
    private nonisolated(unsafe) var currentSynchronous: SQLiteConnection.Synchronous?

    /// Switches the connection's `synchronous` between turns when it changes (a pragma
    /// that cannot fail on an open connection; if it did, the turn keeps the last level).
    private func setSynchronous(_ level: SQLiteConnection.Synchronous, on table: SQLiteTaskTable) {
        guard currentSynchronous != level else { return }
        if (try? table.connection.setSynchronous(level)) != nil { currentSynchronous = level }
    }

    private typealias Insert = (callers: [[NewDurableTask]], completion: BatchEnqueueCompletion)

    /// The turn's inserts as one savepoint; returns what to tell their callers. A caller
    /// whose tasks would take the store past `maxQueued` is refused alone (`TaskStoreFull`).
    private func insert(_ inserts: [Insert], into table: SQLiteTaskTable, now: Int64) -> Delivery {
        let callers = inserts.count == 1 ? inserts[0].callers : inserts.flatMap(\.callers)
        let admitted = Result { try admit(callers, table: table) }
        let outcomes = admitted.flatMap { admitted in
            Result { try table.insert(callers.indices.filter { admitted[$0] }.flatMap { callers[$0] }, now: now) }
        }
        if case .failure = outcomes { table.forgetUnfinished() }
        return { [maxQueued] commitError in
            var results: [Result<[EnqueueOutcome], any Error>] = []
            results.reserveCapacity(callers.count)
            switch admitted {
            case .failure(let error):
                results = callers.map { _ in .failure(commitError ?? error) }
            case .success(let admitted):
                var start = 0
                for (index, tasks) in callers.enumerated() {
                    guard admitted[index] else {
                        results.append(.failure(commitError ?? TaskStoreFull(maxQueued: maxQueued ?? 0)))
                        continue
                    }
                    switch (commitError, outcomes) {
                    case (let error?, _), (nil, .failure(let error)): results.append(.failure(error))
                    case (nil, .success(let outcomes)):
                        results.append(.success(Array(outcomes[start..<start + tasks.count])))
                        start += tasks.count
                    }
                }
            }
            var next = 0
            for insert in inserts {
                insert.completion(Array(results[next..<next + insert.callers.count]))
                next += insert.callers.count
            }
        }
    }

    /// Which callers' tasks fit under `maxQueued`, in order.
    private func admit(_ callers: [[NewDurableTask]], table: SQLiteTaskTable) throws -> [Bool] {
        guard let maxQueued else { return Array(repeating: true, count: callers.count) }
        var unfinished = try table.unfinished()
        return callers.map { tasks in
            guard unfinished + tasks.count <= maxQueued else { return false }
            unfinished += tasks.count
            return true
        }
    }
}

/// Why a store refused a call.
package enum SQLiteTaskStoreError: Error, Equatable {
    /// `close()` was called.
    case closed
    /// SQLite rolled the turn's transaction back on its own (a full disk, an I/O error):
    /// none of the turn's jobs was stored.
    case turnRolledBack
}
