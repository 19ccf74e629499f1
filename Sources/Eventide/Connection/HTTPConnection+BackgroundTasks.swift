import EventideHTTP1

/// Handing a finished request's background tasks to the loop's scheduler once the
/// response's last byte was written.
extension HTTPConnection {
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
        guard phase != .closed else { return core.startTasks(entries, requestID: context.requestID) }
        tasksAwaitingWrite.add(entries, requestID: context.requestID, startingAt: transport.bytesQueued + UInt64(outbound.count))
    }

    /// Starts the tasks whose response has been fully written.
    func startWrittenTasks() {
        tasksAwaitingWrite.takeWritten(upTo: transport.bytesWritten) { core.startTasks($0, requestID: $1) }
    }

    /// Starts every waiting task (the connection closed before their responses went out).
    func startAllAwaitingTasks() {
        tasksAwaitingWrite.takeAll { core.startTasks($0, requestID: $1) }
    }
}
