import EventideUVLoop

/// Why `Server.start(on:onStop:)` refused to start.
public enum EmbeddingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `configuration.loops` asks for several loops, but a host's loop is one loop.
    case severalLoopsOnOneHostLoop(configured: Int)
    /// The loop no longer accepts work: its wake-up handle was closed (`closeWakeup()`).
    case loopNotAcceptingWork

    public var description: String {
        switch self {
        case .severalLoopsOnOneHostLoop(let configured):
            "configuration.loops is \(configured), but start(on:) serves on the one loop it is given: set loops to 1"
        case .loopNotAcceptingWork:
            "the event loop's wake-up handle is closed (closeWakeup() was called): wrap the loop in a new EventLoop"
        }
    }
}

extension Server {
    /// Starts serving on a loop that the host application runs itself, and returns at
    /// once: the listener and every connection are handles on `loop`; `async` handlers
    /// and loop background tasks run on it; blocking tasks run on the server's pool and
    /// their completions come back to it.
    ///
    /// The host either wraps its own `uv_loop_t` with `EventLoop(borrowing:)` or creates
    /// an owned `EventLoop()` and drives it with `run()` or `runOnce(wait:)`. Call this on
    /// the loop's thread (before the loop runs, or from a callback or `execute`/`submit`
    /// on it). SIGINT and SIGTERM are left to the host (`handlesSignals` is ignored).
    ///
    /// Stopping: `shutdown()` from any thread (or `await stop()`) drains gracefully.
    /// When done the server has closed every handle it owns (listener, connections,
    /// timers) and none of the host's; then `onStop` runs on the loop thread and
    /// `stopped()` returns. The loop's wake-up handle belongs to the `EventLoop`
    /// wrapper, not to the server, and stays open: the host calls `loop.closeWakeup()`
    /// (loop thread) when it is done with the wrapper, before closing its `uv_loop_t`,
    /// and keeps the wrapper alive until the loop has run once more (the close
    /// callback). A new `Server` may start on the same loop afterwards.
    ///
    /// - Parameters:
    ///   - loop: the host's loop; the calling thread must be its thread.
    ///   - onStop: called once on the loop thread when the server has stopped, with the
    ///     report (loop-bound: it may touch the host's own handles).
    /// - Throws: `EmbeddingError` when `configuration.loops` is not 1 or the loop's
    ///   wake-up handle is closed; a `UVError` when binding fails (nothing is left open).
    public func start(on loop: EventLoop, onStop: ((ShutdownReport) -> Void)? = nil) throws {
        precondition(loop.inEventLoop, "start(on:) must be called on the loop's thread")
        guard configuration.loops == 1 else {
            throw EmbeddingError.severalLoopsOnOneHostLoop(configured: configuration.loops)
        }
        // `execute` is how pool completions and executor jobs reach the loop: refuse a
        // wrapper whose wake-up handle is closed rather than lose them later.
        guard loop.execute({}) else { throw EmbeddingError.loopNotAcceptingWork }
        markStarted()
        state.withLock { $0.hostLoop = true }
        do {
            _ = try launchCore(
                index: 0, on: loop, port: configuration.port, handlingSignals: false, ownsLoop: false, onStop: onStop)
        } catch {
            finishIfNoCoreRunning()
            throw error
        }
    }
}
