internal import CLibUV

/// A libuv timer. Loop-bound: create, start, stop and close it on the loop thread.
/// The handle stays alive until `close()`; a timer never closed keeps the loop busy.
public final class LoopTimer {
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var callback: (() -> Void)?
    private var closed = false

    /// Creates a stopped timer on `loop`.
    public init(loop: EventLoop) {
        handle = .allocate(capacity: 1)
        uv_timer_init(loop.rawLoop, handle)
        // Retained until the close callback releases it.
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Fires `callback` after `milliseconds`, then every `repeating` milliseconds when
    /// that is non-zero. Restarting replaces the previous schedule and callback.
    public func start(afterMilliseconds milliseconds: UInt64, repeating: UInt64 = 0, _ callback: @escaping () -> Void) {
        precondition(!closed, "timer already closed")
        self.callback = callback
        uv_timer_start(handle, { LoopTimer.from($0).callback?() }, milliseconds, repeating)
    }

    /// Stops the timer; it can be started again.
    public func stop() {
        guard !closed else { return }
        uv_timer_stop(handle)
    }

    /// Whether the loop may exit while this timer is the only active handle: pass false
    /// for housekeeping timers that must not keep the loop alive.
    public func keepsLoopAlive(_ keepAlive: Bool) {
        guard !closed else { return }
        if keepAlive { uv_ref(eventide_handle(handle)) } else { uv_unref(eventide_handle(handle)) }
    }

    /// Closes the timer; its memory is freed in the close callback.
    public func close() {
        guard !closed else { return }
        closed = true
        callback = nil
        uv_close(eventide_handle(handle)) { raw in
            let timer = raw!.withMemoryRebound(to: uv_timer_t.self, capacity: 1) { $0 }
            Unmanaged<LoopTimer>.fromOpaque(timer.pointee.data).release()
            timer.deallocate()
        }
    }

    private static func from(_ timer: UnsafeMutablePointer<uv_timer_t>?) -> LoopTimer {
        Unmanaged<LoopTimer>.fromOpaque(timer!.pointee.data).takeUnretainedValue()
    }
}
