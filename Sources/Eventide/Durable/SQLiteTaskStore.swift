import Dispatch
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
package final class SQLiteTaskStore: Sendable {
    private enum Job {
        case insert([NewDurableTask], CheckedContinuation<[EnqueueOutcome], any Error>)
        /// A run's end; all of a turn's go into one savepoint.
        case resolve(Int64, @Sendable (_ now: Int64) -> TaskResolution, CheckedContinuation<Void, any Error>)
        /// `execute` runs in the turn's transaction and returns what delivers its result
        /// after the commit (given the commit's error, if any); `fail` answers a job that
        /// never ran (the turn's transaction could not begin).
        case run(execute: @Sendable (SQLiteTaskTable, Int64) -> Delivery, fail: @Sendable (any Error) -> Void)
    }

    /// Tells a caller its result once the turn is committed (or why it is not).
    private typealias Delivery = @Sendable ((any Error)?) -> Void

    private struct State {
        var jobs: [Job] = []
        var closed = false
        /// Insert transactions committed (for tests and metrics).
        var insertCommits = 0
    }

    private let state = Locked(State())
    /// Signalled once per job handed over and once by `close`.
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    /// Milliseconds since the Unix epoch.
    private let clock: @Sendable () -> Int64

    /// Opens (creating) the store at `path` and starts its writer thread. Blocks until
    /// the file is open: call it at start-up, not on a loop thread.
    ///
    /// - Throws: `SQLiteError` or `SQLiteTaskTableError` when the file cannot be used.
    package init(
        path: String, durability: SQLiteTaskTable.Durability = .full,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        self.clock = clock
        let opened = Locked<Result<Void, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
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
        thread.name = "eventide-task-store"
        thread.start()
        ready.wait()
        try opened.withLock { $0 }?.get()
    }

    /// Stores `tasks` (one request's, or a script's) durably and returns what each became.
    /// Returns once the transaction that holds them is committed.
    package func enqueue(_ tasks: [NewDurableTask]) async throws -> [EnqueueOutcome] {
        guard !tasks.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            submit(.insert(tasks, continuation)) { continuation.resume(throwing: SQLiteTaskStoreError.closed) }
        }
    }

    /// Records how the run of task `id` ended (`resolution` gets the turn's time), batched
    /// with every other result of the turn.
    package func resolve(_ id: Int64, _ resolution: @escaping @Sendable (_ now: Int64) -> TaskResolution) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            submit(.resolve(id, resolution, continuation)) { continuation.resume(throwing: SQLiteTaskStoreError.closed) }
        }
    }

    /// Runs `body` on the writer thread with the table and the store's time, and returns
    /// its result (claims, resolutions, queries).
    package func perform<Result: Sendable>(_ body: @escaping @Sendable (SQLiteTaskTable, Int64) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            submit(.run(execute: { table, now in
                let result = Swift.Result { try table.connection.savepoint { try body(table, now) } }
                return { commitError in
                    if let commitError { return continuation.resume(throwing: commitError) }
                    continuation.resume(with: result)
                }
            }, fail: { continuation.resume(throwing: $0) })) {
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
    }

    private func submit(_ job: Job, refused: () -> Void) {
        let accepted = state.withLock { state in
            guard !state.closed else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { wake.signal() } else { refused() }
    }

    /// The writer thread: each turn takes whatever was handed over since the last one.
    private func serve(_ table: SQLiteTaskTable) {
        while true {
            wake.wait()
            let (jobs, closed) = state.withLock { state in
                defer { state.jobs = [] }
                return (state.jobs, state.closed)
            }
            if !jobs.isEmpty { turn(jobs, on: table) }
            if closed && state.withLock({ $0.jobs.isEmpty }) { break }
        }
        try? table.connection.close()
        stopped.signal()
    }

    /// One transaction: the turn's inserts first (one savepoint for all of them: a failed
    /// insert batch writes nothing of any caller's tasks), then the other jobs in order;
    /// then the commit, then every caller's result.
    private func turn(_ jobs: [Job], on table: SQLiteTaskTable) {
        var inserts: [([NewDurableTask], CheckedContinuation<[EnqueueOutcome], any Error>)] = []
        var resolutions: [(id: Int64, resolution: @Sendable (Int64) -> TaskResolution, continuation: CheckedContinuation<Void, any Error>)] = []
        var others: [(execute: @Sendable (SQLiteTaskTable, Int64) -> Delivery, fail: @Sendable (any Error) -> Void)] = []
        for job in jobs {
            switch job {
            case .insert(let tasks, let continuation): inserts.append((tasks, continuation))
            case .resolve(let id, let resolution, let continuation): resolutions.append((id, resolution, continuation))
            case .run(let execute, let fail): others.append((execute, fail))
            }
        }
        // The turn's inserts, then its results, each as one job of their own.
        if !resolutions.isEmpty {
            let results = resolutions
            others.insert((execute: { table, now in
                let outcome = Result { try table.resolve(results.map { ($0.id, $0.resolution(now)) }, now: now) }
                return { commitError in
                    for result in results {
                        if let commitError { result.continuation.resume(throwing: commitError) } else { result.continuation.resume(with: outcome) }
                    }
                }
            }, fail: { error in for result in results { result.continuation.resume(throwing: error) } }), at: 0)
        }
        if !inserts.isEmpty {
            let batch = inserts
            others.insert((execute: { [self] table, now in insert(batch, into: table, now: now) },
                           fail: { error in for (_, continuation) in batch { continuation.resume(throwing: error) } }), at: 0)
        }
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
            for deliver in deliveries { deliver(error) }
            for job in others.dropFirst(deliveries.count) { job.fail(error) }
        } catch {
            // BEGIN failed: no job ran.
            for job in others { job.fail(error) }
        }
    }

    /// The turn's inserts as one savepoint; returns what to tell their callers.
    private func insert(
        _ inserts: [([NewDurableTask], CheckedContinuation<[EnqueueOutcome], any Error>)], into table: SQLiteTaskTable, now: Int64
    ) -> Delivery {
        let outcomes = Result { try table.insert(inserts.flatMap(\.0), now: now) }
        return { commitError in
            switch (commitError, outcomes) {
            case (let error?, _), (nil, .failure(let error)):
                for (_, continuation) in inserts { continuation.resume(throwing: error) }
            case (nil, .success(let outcomes)):
                var start = 0
                for (tasks, continuation) in inserts {
                    continuation.resume(returning: Array(outcomes[start..<start + tasks.count]))
                    start += tasks.count
                }
            }
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
