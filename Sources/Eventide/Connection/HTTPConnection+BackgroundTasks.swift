import EventideHTTP1

/// Handing a finished request's background tasks to the loop's `BackgroundTaskLifecycle`
/// once the response's last byte was written.
extension HTTPConnection {
    // MARK: Background tasks

    /// The tasks start once the response's last byte was written (rule 5).
    func scheduleTasks(_ context: RequestContext, carried: [BackgroundTaskLifecycle.Entry]?, failed: Bool, status: HTTPResponse.Status) {
        let entries = core.tasks.finishRequest(context, carried: carried, failed: failed, status: status)
        guard !entries.isEmpty else { return }
        guard phase != .closed else { return core.tasks.start(entries, requestID: context.requestID) }
        tasksAwaitingWrite.add(entries, requestID: context.requestID, startingAt: transport.bytesQueued + UInt64(outbound.count))
        // A large body or an HTTP/1.0 stream may have gone out whole before the tasks were
        // registered: no later write or flush would look again.
        startWrittenTasks()
    }

    /// Starts the tasks whose response has been fully written.
    func startWrittenTasks() {
        tasksAwaitingWrite.takeWritten(upTo: transport.bytesWritten) { core.tasks.start($0, requestID: $1) }
    }

    /// Starts every waiting task (the connection closed before their responses went out).
    func startAllAwaitingTasks() {
        tasksAwaitingWrite.takeAll { core.tasks.start($0, requestID: $1) }
    }
}
