import Dispatch
import EventideUVLoop
import Foundation
import Logging

extension TaskQueue {
    /// Starts this process's workers (`Workers.local`), after making the tasks a dead run
    /// left `running` available again. Idempotent, and does nothing after `shutdown()`; a
    /// `Server` with this queue calls it.
    public func start() {
        guard case .local(let concurrency, let perQueue) = workers, !shutDown.withLock({ $0 }) else { return }
        let started = runners.withLock { runners -> Bool in
            guard runners.isEmpty else { return false }
            // A runner per queue given its own concurrency, and one for every other queue.
            for (queue, capacity) in perQueue {
                runners[queue] = QueueRunner(queues: .named(queue), capacity: max(1, capacity), owner: self)
            }
            runners[Self.otherQueues] = QueueRunner(queues: .allExcept(Set(perQueue.keys)), capacity: max(1, concurrency), owner: self)
            return true
        }
        guard started else { return }
        let rescue = Task { [self, workerID] in
            do {
                let rescued = try await store.rescue(keeping: [workerID])
                if rescued > 0 { logger.warning("durable tasks left running by a stopped process made available again", metadata: ["count": "\(rescued)"]) }
            } catch {
                logger.error("durable tasks: rescue failed: \(error)")
            }
        }
        for runner in runners.withLock({ Array($0.values) }) { runner.start(after: rescue) }
    }

    /// Stops taking tasks, lets running ones finish within `Configuration.shutdownTimeout`,
    /// puts the rest back (available again, no attempt spent), and closes the store.
    /// Returns how many were put back.
    @discardableResult
    public func shutdown() async -> Int {
        let first = shutDown.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return 0 }
        let all = runners.withLock { Array($0.values) }
        var putBack = 0
        await withTaskGroup(of: Int.self) { group in
            for runner in all { group.addTask { await runner.stop(within: self.configuration.shutdownTimeout) } }
            for await count in group { putBack += count }
        }
        runners.withLock { $0 = [:] }
        await store.close()
        _ = blockingPool.shutdown(dropQueued: true, join: false)
        return putBack
    }

    /// The key of the runner of the queues without a concurrency of their own.
    static let otherQueues = ""

    /// Wakes the workers of `queue` (a task was stored for it by this process).
    func wake(queue: String) {
        runners.withLock { $0[queue] ?? $0[Self.otherQueues] }?.signal.fire()
    }

    /// Runs one claimed task and returns how its run ended, for the store.
    func execute(_ claimed: ClaimedTask, stopping: @Sendable () -> Bool) async -> TaskResolution {
        var logger = self.logger
        logger[metadataKey: "task-id"] = "\(claimed.id)"
        logger[metadataKey: "task"] = "\(claimed.kind)"
        guard let type = kinds[claimed.kind] else {
            logger.error("durable task discarded: kind not registered with this TaskQueue")
            return .discard(error: "unknown task kind \"\(claimed.kind)\"")
        }
        let task: any DurableTask
        do {
            task = try type.decoded(from: claimed.arguments)
        } catch {
            logger.error("durable task discarded: its arguments do not decode", metadata: ["error": "\(error)"])
            return .discard(error: "arguments do not decode: \(error)")
        }
        let context = DurableTaskContext(
            id: claimed.id, attempt: claimed.attempt, maxAttempts: claimed.maxAttempts, queue: claimed.queue, logger: logger,
            blockingPool: blockingPool)
        do {
            try await Self.run(task, context, timeout: configuration.timeout)
            return .completed
        } catch DurableTaskError.cancel(let reason) {
            logger.info("durable task cancelled itself", metadata: ["reason": "\(reason)"])
            return .cancel(reason: reason)
        } catch DurableTaskError.snooze(let duration) {
            return .snooze(until: store.now() + Int64(duration.wholeMilliseconds))
        } catch is CancellationError where stopping() {
            // Shutdown, not failure: back to the queue with the attempt not spent.
            return .putBack
        } catch {
            let description = "\(error)"
            if claimed.attempt >= claimed.maxAttempts {
                logger.error("durable task discarded after its last attempt", metadata: [
                    "attempt": "\(claimed.attempt)", "error": "\(description)",
                ])
                return .discard(error: description)
            }
            let backoff = configuration.retryBackoff(claimed.attempt)
            logger.warning("durable task failed; will retry", metadata: [
                "attempt": "\(claimed.attempt)", "error": "\(description)", "retry-in": "\(backoff)",
            ])
            return .retry(at: store.now() + Int64(backoff.wholeMilliseconds), error: description)
        }
    }

    /// `task.run` with its deadline: past it, the run is cancelled and fails with
    /// `DurableTaskTimeout`.
    private static func run(_ task: any DurableTask, _ context: DurableTaskContext, timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await DurableTaskContext.$current.withValue(context) { try await task.run(context) } }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw DurableTaskTimeout(timeout: timeout)
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}

/// A run took longer than its timeout.
public struct DurableTaskTimeout: Error, CustomStringConvertible {
    /// The limit it passed.
    public let timeout: Duration
    public var description: String { "timed out after \(timeout)" }
}

extension DurableTask {
    /// A task of this type decoded from its stored arguments.
    static func decoded(from arguments: [UInt8]) throws -> any DurableTask {
        try JSONDecoder().decode(Self.self, from: Data(arguments))
    }
}

/// The workers of one queue in this process: claims up to `capacity` due tasks at a time,
/// runs each in a Swift task, stores how it ended, and waits for a wake-up or the poll.
final class QueueRunner: Sendable {
    let queues: TaskQueueSelection
    let capacity: Int
    let signal = WakeSignal()
    /// Strong: a queue dropped without `shutdown()` keeps its workers (and itself) alive
    /// rather than leaving them a dangling owner; `shutdown()` ends the cycle.
    private let owner: TaskQueue
    private struct State {
        var running: [Int64: Task<Void, Never>] = [:]
        var stopping = false
        var loop: Task<Void, Never>?
        var lastCleanup: Int64 = 0
    }
    private let state = Locked(State())

    init(queues: TaskQueueSelection, capacity: Int, owner: TaskQueue) {
        self.queues = queues
        self.capacity = capacity
        self.owner = owner
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    func start(after rescue: Task<Void, Never>) {
        let loop = Task { [self] in
            await rescue.value
            while !isStopping {
                let free = capacity - state.withLock { $0.running.count }
                if free > 0, await claimAndRun(limit: free) == free { continue }  // maybe more are due
                await cleanUpIfDue()
                await signal.wait(timeout: owner.configuration.pollInterval)
            }
        }
        state.withLock { $0.loop = loop }
    }

    /// Claims up to `limit` due tasks and starts them; returns how many.
    private func claimAndRun(limit: Int) async -> Int {
        let (queues, worker) = (self.queues, owner.workerID)
        let claimed: [ClaimedTask]
        do {
            claimed = try await owner.store.claim(queues, limit: limit, worker: worker)
        } catch {
            owner.logger.error("durable tasks: claim failed", metadata: ["queues": "\(queues)", "error": "\(error)"])
            return 0
        }
        for task in claimed {
            // Registered under the lock the task's own removal takes: never after it.
            state.withLock { locked in
                locked.running[task.id] = Task { [self] in
                    let resolution = await owner.execute(task, stopping: { [self] in isStopping })
                    do {
                        try await owner.store.resolve([TaskResult(id: task.id, resolution)])
                    } catch {
                        // Left running: the next start's rescue makes it available again.
                        owner.logger.error("durable tasks: storing a result failed", metadata: ["task-id": "\(task.id)", "error": "\(error)"])
                    }
                    state.withLock { _ = $0.running.removeValue(forKey: task.id) }
                    signal.fire()
                }
            }
        }
        return claimed.count
    }

    /// Deletes finished tasks past their retention, at most once a minute.
    private func cleanUpIfDue() async {
        let (keepCompleted, keepFailed) = (owner.configuration.keepCompleted, owner.configuration.keepFailed)
        let now = owner.store.now()
        let due = state.withLock { state in
            guard now - state.lastCleanup >= 60_000 else { return false }
            state.lastCleanup = now
            return true
        }
        guard due, case .allExcept = queues else { return }  // one runner cleans for all queues
        do {
            _ = try await owner.store.deleteFinished(
                completedBefore: now - Int64(keepCompleted.wholeMilliseconds), othersBefore: now - Int64(keepFailed.wholeMilliseconds))
        } catch {
            owner.logger.error("durable tasks: retention cleanup failed: \(error)")
        }
    }

    /// Stops claiming; waits up to `timeout` for running tasks, then cancels the rest (they
    /// are put back). Returns how many were cancelled.
    func stop(within timeout: Duration) async -> Int {
        let loop = state.withLock { state in
            state.stopping = true
            return state.loop
        }
        signal.fire()
        await loop?.value
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ !$0.running.isEmpty }), ContinuousClock.now < deadline {
            await signal.wait(timeout: .milliseconds(50))
        }
        let left = state.withLock { Array($0.running.values) }
        for task in left { task.cancel() }
        for task in left { await task.value }
        return left.count
    }
}

/// A wake-up that is never lost: `fire` before `wait` makes the next `wait` return at
/// once; `wait` also returns after its timeout.
final class WakeSignal: Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }
    private let state = Locked(State())

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.fired = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when fired (now, if it was since the last wait) or after `timeout`. One
    /// waiter at a time.
    func wait(timeout: Duration) async {
        await withCheckedContinuation { continuation in
            let generation: Int? = state.withLock { state in
                if state.fired {
                    state.fired = false
                    return nil
                }
                state.generation += 1
                state.waiter = continuation
                return state.generation
            }
            guard let generation else { return continuation.resume() }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.wholeMilliseconds))) { [self] in
                let expired = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard state.generation == generation, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.resume()
            }
        }
    }
}
