import EventideUVLoop
import ServiceLifecycle

extension TaskQueue: Service {
    /// Runs this process's workers as a service of a `ServiceGroup`: starts them, and at
    /// the group's graceful shutdown stops as `shutdown()` does (running tasks get
    /// `Configuration.shutdownTimeout`, the rest go back to the queue, unspent) and
    /// returns. Cancelled, it puts every running task back at once. A queue that is also
    /// a `Server`'s `taskQueue` is stopped by whichever comes first.
    public func run() async throws {
        start()
        enum Stop { case graceful, cancelled }
        let stop = Locked<Stop?>(nil)
        let signal = WakeSignal()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                while stop.withLock({ $0 }) == nil, !shutDown.withLock({ $0 }) { await signal.wait(timeout: .seconds(60)) }
            } onGracefulShutdown: {
                stop.withLock { $0 = $0 ?? .graceful }
                signal.fire()
            }
        } onCancel: {
            stop.withLock { $0 = .cancelled }
            signal.fire()
        }
        await shutdown(within: stop.withLock { $0 } == .cancelled ? .zero : configuration.shutdownTimeout)
    }
}
