import Dispatch

/// Thrown by `EventLoop.submit` when the loop no longer accepts work: its wake-up
/// handle was closed (`closeWakeup()`, which a server's own loops do when it stopped).
public struct EventLoopClosedError: Error, Hashable, Sendable, CustomStringConvertible {
    public init() {}

    public var description: String {
        "the event loop no longer accepts work (its wake-up handle is closed)"
    }
}

extension EventLoop {
    /// Runs `work` on the loop thread and returns its result (or rethrows its error) to
    /// the awaiting caller. Safe from any thread and any task, including one running on
    /// this loop (the work then runs in a later turn of the loop, never inline).
    ///
    /// `work` runs exactly once unless the loop refuses it; it is not interrupted by task
    /// cancellation. Keep it short: the loop serves nothing else while it runs. Loop-bound
    /// objects it needs can travel in a `LoopBound`.
    ///
    /// - Throws: `EventLoopClosedError` when the loop no longer accepts work (then `work`
    ///   did not run), or whatever `work` threw.
    public func submit<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = execute {
                continuation.resume(with: Result { try work() })
            }
            if !accepted { continuation.resume(throwing: EventLoopClosedError()) }
        }
    }

    /// `submit` for a thread that is not in a Swift task and may block: runs `work` on the
    /// loop thread and waits for its result. Never call it on the loop's own thread.
    ///
    /// - Throws: `EventLoopClosedError` when the loop no longer accepts work, or whatever
    ///   `work` threw.
    package func submitAndWait<T: Sendable>(_ work: @escaping @Sendable () throws -> T) throws -> T {
        precondition(!inEventLoop, "submitAndWait would wait for its own thread")
        let outcome = Locked<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        guard execute({
            outcome.withLock { $0 = Result { try work() } }
            done.signal()
        }) else { throw EventLoopClosedError() }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}
