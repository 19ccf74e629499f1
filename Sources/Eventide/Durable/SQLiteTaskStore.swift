import Dispatch
import EventideUVLoop
import Foundation  // Thread, Date

/// Durable tasks in one SQLite file, written by one thread of the store's own.
///
/// The writer thread owns the only read-write connection (`SQLiteTaskTable`); callers on
/// any thread (loop threads included) hand it jobs and are resumed with the results, so
/// SQLite never runs on a loop thread. **Group commit**: every `enqueue` that arrives
/// while a transaction is in flight waits for the next one, which takes them all: one
/// fsync for a whole batch of requests, never one per request.
package final class SQLiteTaskStore: Sendable {
    private enum Job {
        case insert([NewDurableTask], CheckedContinuation<[EnqueueOutcome], any Error>)
        case run(@Sendable (SQLiteTaskTable, Int64) -> Void)
    }

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

    /// Runs `body` on the writer thread with the table and the store's time, and returns
    /// its result (claims, resolutions, queries).
    package func perform<Result: Sendable>(_ body: @escaping @Sendable (SQLiteTaskTable, Int64) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            submit(.run({ table, now in continuation.resume(with: Swift.Result { try body(table, now) }) })) {
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

    /// The writer thread: takes whatever was handed over since its last turn.
    private func serve(_ table: SQLiteTaskTable) {
        while true {
            wake.wait()
            let (jobs, closed) = state.withLock { state in
                defer { state.jobs = [] }
                return (state.jobs, state.closed)
            }
            var inserts: [([NewDurableTask], CheckedContinuation<[EnqueueOutcome], any Error>)] = []
            for job in jobs {
                switch job {
                case .insert(let tasks, let continuation):
                    inserts.append((tasks, continuation))
                case .run(let body):
                    commit(inserts, into: table)
                    inserts = []
                    body(table, clock())
                }
            }
            commit(inserts, into: table)
            if closed && state.withLock({ $0.jobs.isEmpty }) { break }
        }
        try? table.connection.close()
        stopped.signal()
    }

    /// One transaction for every insert taken this turn; each caller gets its own outcomes.
    private func commit(_ inserts: [([NewDurableTask], CheckedContinuation<[EnqueueOutcome], any Error>)], into table: SQLiteTaskTable) {
        guard !inserts.isEmpty else { return }
        do {
            let outcomes = try table.insert(inserts.flatMap(\.0), now: clock())
            state.withLock { $0.insertCommits += 1 }
            var start = 0
            for (tasks, continuation) in inserts {
                continuation.resume(returning: Array(outcomes[start..<start + tasks.count]))
                start += tasks.count
            }
        } catch {
            // One transaction: nothing of any caller's batch was written.
            for (_, continuation) in inserts { continuation.resume(throwing: error) }
        }
    }
}

/// Why a store refused a call.
package enum SQLiteTaskStoreError: Error, Equatable {
    /// `close()` was called.
    case closed
}
