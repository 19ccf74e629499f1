internal import CLibUV

/// Watches a POSIX signal on a loop (libuv delivers it on the loop thread).
/// Loop-bound; must be closed like any handle.
public final class SignalWatcher {
    private let handle: UnsafeMutablePointer<uv_signal_t>
    private var callback: ((Int32) -> Void)?
    private var closed = false

    /// Starts watching `signal` (e.g. `SIGTERM`) on `loop`, calling `callback` each time.
    /// The signal is unblocked on the calling thread. The watcher does not keep the
    /// loop alive on its own.
    public init(loop: EventLoop, signal: Int32, _ callback: @escaping (Int32) -> Void) throws(UVError) {
        handle = .allocate(capacity: 1)
        self.callback = callback
        uv_signal_init(loop.rawLoop, handle)
        eventide_unblock_signal(signal)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = uv_signal_start(handle, { raw, signal in
            Unmanaged<SignalWatcher>.fromOpaque(raw!.pointee.data).takeUnretainedValue().callback?(signal)
        }, signal)
        uv_unref(eventide_handle(handle))
        if status < 0 {
            close()
            throw UVError(code: status)
        }
    }

    /// Stops watching and closes the handle.
    public func close() {
        guard !closed else { return }
        closed = true
        callback = nil
        uv_close(eventide_handle(handle)) { raw in
            let signal = raw!.withMemoryRebound(to: uv_signal_t.self, capacity: 1) { $0 }
            Unmanaged<SignalWatcher>.fromOpaque(signal.pointee.data).release()
            signal.deallocate()
        }
    }
}
