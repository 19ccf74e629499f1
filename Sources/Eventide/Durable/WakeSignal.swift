import Dispatch
import EventideUVLoop

/// A wake-up that is never lost: `fire` before `wait` makes the next `wait` return at
/// once; `wait` also returns after its timeout.
final class WakeSignal: Sendable {
    private struct State {
        var fired = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }
    private let state = Locked(State())

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.fired = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when fired (now, if it was since the last wait) or after `timeout`. One
    /// waiter at a time.
    func wait(timeout: Duration) async {
        await withCheckedContinuation { continuation in
            let generation: Int? = state.withLock { state in
                if state.fired {
                    state.fired = false
                    return nil
                }
                state.generation += 1
                state.waiter = continuation
                return state.generation
            }
            guard let generation else { return continuation.resume() }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.wholeNanoseconds))) { [self] in
                let expired = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard state.generation == generation, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.resume()
            }
        }
    }
}
