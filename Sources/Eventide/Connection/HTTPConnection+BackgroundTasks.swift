import EventideHTTP1

/// Handing a finished request's background tasks to the loop's `BackgroundTaskLifecycle`
/// once the response's last byte was written.
extension HTTPConnection {
    // MARK: Background tasks

    /// The tasks start once the response's last byte was written (rule 5).
    func scheduleTasks(_ context: RequestContext, carried: [BackgroundTaskLifecycle.Entry]?, failed: Bool, status: HTTPResponse.Status) {
        let entries = core.tasks.finishRequest(context, carried: carried, failed: failed, status: status)
        // Only a server with a task queue has durable tasks to start.
        let handOff = core.backgroundTasks.taskQueue == nil ? DurableHandOff() : context.takeHandOff()
        guard !entries.isEmpty || !handOff.isEmpty else { return }
        let list = TasksAwaitingWrite.Waiting(offset: 0, requestID: context.requestID, entries: entries, handOff: handOff)
        guard phase != .closed else { return start(list) }
        tasksAwaitingWrite.add(entries, handOff: handOff, requestID: context.requestID, startingAt: transport.bytesQueued + UInt64(outbound.count))
        // A large body or an HTTP/1.0 stream may have gone out whole before the tasks were
        // registered: no later write or flush would look again.
        startWrittenTasks()
    }

    /// Starts the tasks whose response has been fully written.
    func startWrittenTasks() {
        tasksAwaitingWrite.takeWritten(upTo: transport.bytesWritten) { start($0) }
    }

    /// Starts every waiting task (the connection closed before their responses went out).
    func startAllAwaitingTasks() {
        tasksAwaitingWrite.takeAll { start($0) }
    }

    /// Starts one request's tasks: in-process ones on the loop's lifecycle, durable ones
    /// on their queue's workers.
    private func start(_ list: TasksAwaitingWrite.Waiting) {
        if !list.entries.isEmpty { core.tasks.start(list.entries, requestID: list.requestID) }
        core.tasks.startDurable(list.handOff)
    }
}
