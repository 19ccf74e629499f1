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
            // The chores (periodic tasks, retention, state gauges) are one runner's: the
            // other queues' one, else the first named.
            let others = concurrency > 0 || perQueue.isEmpty
            let choresQueue = others ? nil : perQueue.keys.min()
            for (queue, capacity) in perQueue {
                runners[queue] = QueueRunner(queues: .named(queue), capacity: max(1, capacity), owner: self, doesChores: queue == choresQueue)
            }
            if others {
                runners[Self.otherQueues] = QueueRunner(
                    queues: .allExcept(Set(perQueue.keys)), capacity: max(1, concurrency), owner: self, doesChores: true)
            }
            return true
        }
        guard started else { return }
        store.onTasksAvailable { [weak self] queue in
            guard let self else { return }
            if let queue { wake(queue: queue) } else { runners.withLock { Array($0.values) }.forEach { $0.noteWaiting() } }
        }
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
        await shutdown(within: configuration.shutdownTimeout)
    }

    /// `shutdown()` giving running tasks `timeout` (zero: put back at once).
    @discardableResult
    func shutdown(within timeout: Duration) async -> Int {
        let first = shutDown.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return 0 }
        let all = runners.withLock { Array($0.values) }
        let taken = all.reduce(0) { $0 + $1.taken }
        var putBack = 0
        await withTaskGroup(of: Int.self) { group in
            for runner in all { group.addTask { await runner.stop(within: timeout) } }
            for await count in group { putBack += count }
        }
        runners.withLock { $0 = [:] }
        await store.close()
        _ = blockingPool.shutdown(dropQueued: true, join: false)
        if !all.isEmpty {
            logger.info("durable tasks: workers stopped", metadata: [
                "taken": "\(taken)", "finished": "\(max(0, taken - putBack))", "put-back": "\(putBack)",
            ])
        }
        return putBack
    }

    /// The key of the runner of the queues without a concurrency of their own.
    static let otherQueues = ""

    /// The workers of `queue` in this process (nil: none).
    func runner(for queue: String) -> QueueRunner? {
        runners.withLock { $0[queue] ?? $0[Self.otherQueues] }
    }

    /// How `task` runs on the blocking pool, without a cast to `BlockingDurableTask` per
    /// run (nil: an async task, or a kind not registered).
    func blockingRun(for task: ClaimedTask) -> BlockingRun? {
        if let encoded = task.encodedFrom { return encoded.runBlocking }
        return kinds[task.kind]?.runBlocking
    }

    /// Wakes the workers of `queue` (a task was stored for it by this process).
    func wake(queue: String) {
        runner(for: queue)?.noteWaiting()
    }

    /// Why a run was cancelled.
    enum Interruption: Equatable {
        /// Past its timeout: counted as a failed run.
        case timeout(Duration)
        /// The queue is shutting down: put back, no attempt spent.
        case shutdown
    }

    /// A claimed task made ready to run: decoded, with its context; or, for a row that
    /// cannot run (a kind not registered, arguments that do not decode), its discard.
    enum Prepared {
        case ready(any DurableTask, DurableTaskContext)
        case unusable(TaskResolution)
    }

    /// Decodes `claimed` and makes its context. `interruption` tells why the run was asked
    /// to stop, if it was.
    func prepare(_ claimed: ClaimedTask, interruption: @escaping @Sendable () -> Interruption?) -> Prepared {
        let context = DurableTaskContext(
            id: claimed.id, attempt: claimed.attempt, maxAttempts: claimed.maxAttempts, queue: claimed.queue, kind: claimed.kind,
            queueLogger: logger, blockingPool: blockingPool, stopRequested: { interruption() != nil })
        // A task this process stored: its kind was checked when it was added.
        if let encoded = claimed.encodedFrom { return .ready(encoded.task, context) }
        guard let type = kinds[claimed.kind]?.type else {
            context.logger.error("durable task discarded: kind not registered with this TaskQueue")
            return .unusable(.discard(error: "unknown task kind \"\(claimed.kind)\""))
        }
        do {
            let task = try type.decoded(from: claimed.arguments)
            return .ready(task, context)
        } catch {
            context.logger.error("durable task discarded: its arguments do not decode", metadata: ["error": "\(error)"])
            return .unusable(.discard(error: "arguments do not decode: \(error)"))
        }
    }

    /// Runs an async task in the calling Swift task and returns how the run ended.
    func run(_ task: any DurableTask, _ context: DurableTaskContext, interruption: () -> Interruption?) async -> TaskResolution {
        do {
            try await DurableTaskContext.$current.withValue(context) { try await task.run(context) }
            return ended(context, throwing: nil, interruption: interruption())
        } catch {
            return ended(context, throwing: error, interruption: interruption())
        }
    }

    /// Runs a blocking task on the calling thread (one of the blocking pool's) and returns
    /// how the run ended.
    func run(blocking body: () throws -> Void, _ context: DurableTaskContext, interruption: () -> Interruption?) -> TaskResolution {
        do {
            try DurableTaskContext.$current.withValue(context) { try body() }
            return ended(context, throwing: nil, interruption: interruption())
        } catch {
            return ended(context, throwing: error, interruption: interruption())
        }
    }

    /// How a run that threw `error` (nil: returned) ended, for the store: a run past its
    /// timeout failed whatever it did; one stopped by a shutdown goes back unspent.
    private func ended(_ context: DurableTaskContext, throwing error: (any Error)?, interruption: Interruption?) -> TaskResolution {
        let failure: any Error
        switch (error, interruption) {
        case (_, .timeout(let limit)): failure = DurableTaskTimeout(timeout: limit)
        case (nil, _): return .completed
        case (DurableTaskError.cancel(let reason)?, _):
            context.logger.info("durable task cancelled itself", metadata: ["reason": "\(reason)"])
            return .cancel(reason: reason)
        case (DurableTaskError.snooze(let duration)?, _):
            return .snooze(until: store.now() + Int64(duration.wholeMilliseconds))
        case (is CancellationError?, .shutdown):
            // Shutdown, not failure: back to the queue with the attempt not spent.
            return .putBack
        case (let error?, _): failure = error
        }
        let description = "\(failure)"
        let logger = context.logger  // only a failure pays for the logger's metadata
        if context.attempt >= context.maxAttempts {
            logger.error("durable task discarded after its last attempt", metadata: [
                "attempt": "\(context.attempt)", "error": "\(description)",
            ])
            return .discard(error: description)
        }
        let backoff = configuration.retryBackoff(context.attempt)
        logger.warning("durable task failed; will retry", metadata: [
            "attempt": "\(context.attempt)", "error": "\(description)", "retry-in": "\(backoff)",
        ])
        return .retry(at: store.now() + Int64(backoff.wholeMilliseconds), error: description)
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
        try JSONBytesDecoder.decode(Self.self, from: arguments)
    }
}
