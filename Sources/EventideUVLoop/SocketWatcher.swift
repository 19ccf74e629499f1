internal import CLibUV

/// What a `SocketWatcher` saw on its socket.
public struct SocketEvents: Sendable, Equatable {
    /// The socket can be read without blocking (or reached end of file).
    public var readable: Bool
    /// The socket can be written without blocking.
    public var writable: Bool
    /// libuv reported an error while polling (then the other two are false).
    public var error: UVError?

    /// Describes one poll result.
    public init(readable: Bool, writable: Bool, error: UVError? = nil) {
        self.readable = readable
        self.writable = writable
        self.error = error
    }
}

/// Watches a socket that someone else owns and reads or writes (a C library's connection,
/// such as libpq's) for readiness, with libuv's `uv_poll_t`. Loop-bound: create, use and
/// close it on the loop thread.
///
/// The watcher never closes the socket. Close the watcher before the socket's owner closes
/// it: libuv removes the descriptor from its poll set in `close()` and `stop()`, not when
/// the descriptor goes away. The handle stays alive (and retains the watcher) until
/// `close()`; its memory is freed in the close callback.
public final class SocketWatcher {
    /// The watched socket.
    public let socket: Int32
    private let handle: UnsafeMutablePointer<uv_poll_t>
    private var callback: ((SocketEvents) -> Void)?
    private var closed = false

    /// Creates a watcher for `socket` on `loop`, watching nothing yet. libuv switches the
    /// socket to non-blocking mode.
    ///
    /// - Throws: `UVError` when libuv refuses the descriptor (for example `EEXIST` while
    ///   another watcher on this loop still watches it).
    public init(loop: EventLoop, socket: Int32) throws(UVError) {
        self.socket = socket
        handle = .allocate(capacity: 1)
        let status = uv_poll_init_socket(loop.rawLoop, handle, socket)
        guard status == 0 else {
            handle.deallocate()
            throw UVError(code: status)
        }
        // Retained until the close callback releases it.
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Watches for the given readiness, replacing the previous interest and callback.
    /// Watching neither stops the watcher (as `stop()` does).
    ///
    /// - Throws: `UVError` when libuv cannot start polling the descriptor.
    public func watch(readable: Bool, writable: Bool, _ callback: @escaping (SocketEvents) -> Void) throws(UVError) {
        precondition(!closed, "socket watcher already closed")
        self.callback = callback
        let events = (readable ? Int32(UV_READABLE.rawValue) : 0) | (writable ? Int32(UV_WRITABLE.rawValue) : 0)
        guard events != 0 else {
            uv_poll_stop(handle)
            return
        }
        try UVError.check(uv_poll_start(handle, events) { SocketWatcher.from($0).didPoll(status: $1, events: $2) })
    }

    /// Stops watching; `watch` may start it again.
    public func stop() {
        guard !closed else { return }
        uv_poll_stop(handle)
    }

    /// Whether the loop may exit while this watcher is its only active handle.
    public func keepsLoopAlive(_ keepAlive: Bool) {
        guard !closed else { return }
        if keepAlive { uv_ref(eventide_handle(handle)) } else { uv_unref(eventide_handle(handle)) }
    }

    /// Stops watching and closes the handle; its memory is freed in the close callback.
    /// The socket stays open. Closing twice does nothing.
    public func close() {
        guard !closed else { return }
        closed = true
        callback = nil
        uv_close(eventide_handle(handle)) { raw in
            let poll = raw!.withMemoryRebound(to: uv_poll_t.self, capacity: 1) { $0 }
            Unmanaged<SocketWatcher>.fromOpaque(poll.pointee.data).release()
            poll.deallocate()
        }
    }

    private func didPoll(status: Int32, events: Int32) {
        let seen = status < 0
            ? SocketEvents(readable: false, writable: false, error: UVError(code: status))
            : SocketEvents(
                // A peer hang-up (UV_DISCONNECT) is read as end of file.
                readable: events & Int32(UV_READABLE.rawValue | UV_DISCONNECT.rawValue) != 0,
                writable: events & Int32(UV_WRITABLE.rawValue) != 0)
        callback?(seen)
    }

    private static func from(_ poll: UnsafeMutablePointer<uv_poll_t>?) -> SocketWatcher {
        Unmanaged<SocketWatcher>.fromOpaque(poll!.pointee.data).takeUnretainedValue()
    }
}
