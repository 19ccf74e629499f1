import EventideUVLoop
import ServiceLifecycle

extension Server: Service {
    /// Serves as a service of a `ServiceGroup`: starts on loop threads of its own (as
    /// `start()`), serves until the group's graceful shutdown, then stops as `shutdown()`
    /// does (in-flight requests answered, background tasks drained within
    /// `shutdownTimeout`, the task queue's workers stopped) and returns. Cancelled, it
    /// stops at once: connections closed, unfinished tasks cancelled and named in the log.
    ///
    /// Signals are the group's (`gracefulShutdownSignals`): this method never watches
    /// them, whatever `ServerConfiguration.handlesSignals` says. The blocking `run()`,
    /// the embedded `start(on:onStop:)` and `start()` stay as they are.
    ///
    /// ```swift
    /// let server = try Server(router: router, configuration: ServerConfiguration(taskQueue: queue))
    /// let group = ServiceGroup(services: [queue, server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    /// try await group.run()
    /// ```
    public func run() async throws {
        try start()
        let cancelled = Locked(false)
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                _ = await stopped()
            } onGracefulShutdown: {
                self.shutdown()
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
            self.shutdownNow()
        }
        // Cancelled: the queue's running tasks go back at once too, rather than getting
        // its shutdown timeout inside `stop()`.
        if cancelled.withLock({ $0 }), managesTaskQueue { await configuration.taskQueue?.shutdown(within: .zero) }
        _ = try await stop()
    }

    /// Ends every loop's shutdown at once (the deadline's work, now).
    func shutdownNow() {
        onEveryCoreShuttingDown { $0.endShutdownNow() }
    }
}
