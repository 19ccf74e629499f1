internal import CLibUV

/// Runs an action once at the end of the loop iteration in which it was armed, after
/// that iteration's I/O callbacks (a `uv_check` handle, started only while armed).
///
/// Why: work that many callbacks of one iteration produce for another thread (a task
/// store's writer) is best announced once, when the iteration is done, rather than by
/// the first callback: a thread woken then preempts the loop on a busy or pinned core
/// and takes only what was produced so far.
///
/// Loop-bound: create, arm and close it on the loop's thread.
public final class IterationEnd {
    private let handle: UnsafeMutablePointer<uv_check_t>
    private let action: () -> Void
    private var armed = false
    private var closed = false

    /// Creates an unarmed action on `loop`.
    public init(loop: EventLoop, action: @escaping () -> Void) {
        self.action = action
        handle = .allocate(capacity: 1)
        uv_check_init(loop.rawLoop, handle)
        // Retained until the close callback releases it.
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Runs the action at the end of this iteration (once, however often it is armed).
    /// After `close()`, runs it at once.
    public func arm() {
        guard !closed else { return action() }
        guard !armed else { return }
        armed = true
        uv_check_start(handle) { IterationEnd.from($0).fire() }
    }

    private func fire() {
        armed = false
        uv_check_stop(handle)
        action()
    }

    /// Runs the action if it is armed, then closes the handle; its memory is freed in the
    /// close callback.
    public func close() {
        guard !closed else { return }
        if armed { fire() }
        closed = true
        uv_close(eventide_handle(handle)) { raw in
            let check = raw!.withMemoryRebound(to: uv_check_t.self, capacity: 1) { $0 }
            Unmanaged<IterationEnd>.fromOpaque(check.pointee.data).release()
            check.deallocate()
        }
    }

    private static func from(_ check: UnsafeMutablePointer<uv_check_t>?) -> IterationEnd {
        Unmanaged<IterationEnd>.fromOpaque(check!.pointee.data).takeUnretainedValue()
    }
}
