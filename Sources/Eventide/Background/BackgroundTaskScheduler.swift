import Logging

/// Runs each request's task list on one loop, in order, and keeps track of what is
/// unfinished for shutdown. Loop-bound.
package final class BackgroundTaskScheduler {
    package typealias Entry = (task: BackgroundTask, handle: BackgroundTaskHandle)

    /// One request's tasks and how far they got.
    final class Sequence {
        let entries: [Entry]
        var next = 0
        var task: Task<Void, Never>?

        init(entries: [Entry]) { self.entries = entries }
    }

    let loop: EventLoop
    let service: BackgroundTaskService
    private var sequences: [UInt64: Sequence] = [:]
    private var nextSequenceID: UInt64 = 0
    /// Called when the last running sequence finished (shutdown waits for it).
    var onIdle: (() -> Void)?

    package init(loop: EventLoop, service: BackgroundTaskService) {
        self.loop = loop
        self.service = service
    }

    var isIdle: Bool { sequences.isEmpty }

    /// Names of tasks not finished yet ("name (request 0-12)").
    var unfinishedTaskNames: [String] {
        sequences.values.flatMap { sequence in
            sequence.entries[sequence.next...].filter { !$0.handle.state.isFinal }.map(\.handle.name)
        }
    }

    /// Starts `entries` now, one after another, on this loop's executor.
    package func run(_ entries: [Entry], requestID: RequestID, logger: Logger) {
        guard !entries.isEmpty else { return }
        nextSequenceID += 1
        let id = nextSequenceID
        let sequence = Sequence(entries: entries)
        sequences[id] = sequence
        let counters = service.counters
        let stallLogger = logger
        let executor = BackgroundTaskExecutor(loop: loop, threshold: service.configuration.loopStallThreshold) { name, nanoseconds in
            counters.loopStalled()
            stallLogger.warning("background task held the event loop", metadata: [
                "request-id": "\(requestID)", "task": "\(name)", "ms": "\(nanoseconds / 1_000_000)",
            ])
        }
        let runner = BackgroundTaskRunner(service: service, executor: executor, requestID: requestID, logger: logger)
        let this = LoopBound(self, loop: loop)
        let bound = LoopBound(sequence, loop: loop)
        sequence.task = Task(executorPreference: executor) {
            await runner.run(bound)
            this.value.sequenceFinished(id)
        }
    }

    private func sequenceFinished(_ id: UInt64) {
        sequences[id] = nil
        if sequences.isEmpty { onIdle?() }
    }

    /// Shutdown deadline: tasks not started are cancelled, running `async` ones get a
    /// cancellation request. Returns the names of the tasks that had not finished.
    func cancelAll() -> [String] {
        let names = unfinishedTaskNames
        for sequence in sequences.values { sequence.task?.cancel() }
        return names
    }
}
