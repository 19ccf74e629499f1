internal import CLibUV

/// An owned event loop running on a thread that Eventide created.
///
/// The loop runs until every handle on it has closed (including its wake-up handle,
/// see `EventLoop.closeWakeup()`); the thread then closes the loop and exits.
/// `join()` waits for that.
public final class EventLoopThread: Sendable {
    /// The loop this thread runs. Submit work to it with `execute` from any thread.
    public let loop: EventLoop
    private let thread: Locked<uv_thread_t?>
    private let closeError: Locked<UVError?>

    /// The name the thread gives itself (what `top -H` and /proc/<pid>/task/*/comm show).
    private let name: String?

    /// Creates an owned loop and starts running it on a new thread.
    ///
    /// - Parameter name: the thread's name; Linux keeps its first 15 bytes.
    public init(name: String? = nil) throws(UVError) {
        loop = try EventLoop()
        loop.unbindThread()
        thread = Locked(nil)
        closeError = Locked(nil)
        self.name = name.map { String(decoding: $0.utf8.prefix(15), as: UTF8.self) }
        var id = uv_thread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = uv_thread_create(&id, { context in
            let owner = Unmanaged<EventLoopThread>.fromOpaque(context!).takeRetainedValue()
            if let name = owner.name { eventide_name_thread(name) }
            owner.loop.run()
            do throws(UVError) {
                try owner.loop.close()
            } catch {
                owner.closeError.withLock { $0 = error }
            }
        }, context)
        guard status == 0 else {
            Unmanaged<EventLoopThread>.fromOpaque(context).release()
            throw UVError(code: status)
        }
        thread.withLock { $0 = id }
    }

    /// Waits for the loop thread to finish. Call once, from another thread.
    ///
    /// - Throws: `UVError.busy` when the loop could not close because handles were left
    ///   open (a leak).
    public func join() throws(UVError) {
        guard var id = thread.withLock({ state -> uv_thread_t? in
            defer { state = nil }
            return state
        }) else { return }
        precondition(!loop.inEventLoop, "join() would wait for its own thread")
        uv_thread_join(&id)
        if let error = closeError.withLock({ $0 }) { throw error }
    }
}
