import EventideHTTP1

/// Handing a finished request's background tasks to the loop's scheduler once the
/// response's last byte was written.
extension HTTPConnectionHandler {
    // MARK: Background tasks

    /// Admits the tasks a response carries; nil when the queue is full (the response
    /// then becomes a 503 and none of them was accepted).
    func admit(_ tasks: [BackgroundTask]) -> [BackgroundTaskScheduler.Entry]? {
        guard !tasks.isEmpty else { return [] }
        return core.backgroundTasks.admitAll(tasks)
    }

    /// The tasks start once the response's last byte was written (rule 5).
    func scheduleTasks(_ context: RequestContext, carried: [BackgroundTaskScheduler.Entry]?, failed: Bool, status: HTTPStatus) {
        let entries = core.backgroundTasks.entriesToRun(context, carried: carried, failed: failed, status: status)
        guard !entries.isEmpty else { return }
        guard phase != .closed else {
            core.scheduler.run(entries, requestID: context.requestID, logger: core.logger)
            return
        }
        let offset = tcp.bytesQueued + UInt64(outbound.count)
        tasksAwaitingWrite.append((offset: offset, requestID: context.requestID, entries: entries))
    }

    /// Starts the tasks whose response has been fully written.
    func startWrittenTasks() {
        guard let first = tasksAwaitingWrite.first, first.offset <= tcp.bytesWritten else { return }
        var started = 0
        for waiting in tasksAwaitingWrite {
            guard waiting.offset <= tcp.bytesWritten else { break }
            core.scheduler.run(waiting.entries, requestID: waiting.requestID, logger: core.logger)
            started += 1
        }
        tasksAwaitingWrite.removeFirst(started)
    }

    /// Queues one chunk of a streamed body; waits while the client is slow to read.
}
