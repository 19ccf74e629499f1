import CLibUV
import Eventide
import EventideUVLoop
import Foundation
import Synchronization

/// A host application's event loop, on a thread of its own, with a timer of its own
/// that ticks every 5 ms. Two ways of driving it:
///
/// - `.borrowed`: the host creates a raw `uv_loop_t`, wraps it with
///   `EventLoop(borrowing:)`, and runs it with `uv_run(UV_RUN_DEFAULT)`; its timer is a
///   raw `uv_timer_t`; at the end it closes the loop with `uv_loop_close`.
/// - `.stepped`: the host owns an `EventLoop()` and advances it only with
///   `runOnce(wait: false)`, sleeping between steps no longer than `nextTimeout` (and
///   at most 1 ms, since I/O readiness is only seen by stepping); its timer is a
///   `LoopTimer`; at the end it calls `loop.close()`.
///
/// `finish()` closes the host's timer and the wrapper's wake-up handle on the loop
/// thread, lets the loop run out, and reports what was left.
final class HostLoop: @unchecked Sendable {
    // @unchecked: the raw handles and `timer` are touched only on the host thread;
    // everything shared is atomic or behind a lock or a semaphore.
    enum Mode { case borrowed, stepped }

    struct Outcome: Sendable {
        /// `loop.openHandleCount` after the host closed its own handles and the wake-up.
        let openHandles: Int
        /// 0 when `uv_loop_close` (or `EventLoop.close()`) succeeded.
        let closeStatus: Int32
    }

    let mode: Mode
    private(set) var loop: EventLoop!
    private let ticks = Watched<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let started = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)
    private let outcome = Watched<Outcome?>(nil)
    private var rawTimer: UnsafeMutablePointer<uv_timer_t>?
    private var timer: LoopTimer?

    /// Starts the host thread and returns once its loop and timer exist.
    init(_ mode: Mode) {
        self.mode = mode
        let thread = Thread { [self] in
            switch mode {
            case .borrowed: runBorrowed()
            case .stepped: runStepped()
            }
        }
        thread.start()
        started.wait()
    }

    /// Host timer ticks so far.
    var tickCount: Int { ticks.current }

    /// Waits (up to `timeout` seconds) for `count` more host ticks; false if they did not come.
    func waitForTicks(_ count: Int, timeout: Double = 10) async throws -> Bool {
        let target = tickCount + count
        return await ticks.wait(timeout: timeout) { $0 >= target }
    }

    struct NotClosed: Error, CustomStringConvertible {
        var description: String { "the host thread did not close its loop" }
    }

    /// Closes the host's timer and the loop wrapper's wake-up handle (on the loop
    /// thread), then waits for the host thread to close its loop.
    func finish() async throws -> Outcome {
        try await loop.submit { [self] in
            closeTimer()
            loop.closeWakeup()
            stopping.store(true, ordering: .releasing)
            if mode == .borrowed { uv_stop(loop.uvLoop.assumingMemoryBound(to: uv_loop_t.self)) }
        }
        // The stepped host gives up stepping 5 s after the stop.
        guard await outcome.wait(timeout: 15, until: { $0 != nil }) else { throw NotClosed() }
        ended.wait()
        return outcome.current!
    }

    private func closeTimer() {
        if let rawTimer {
            uv_close(eventide_handle(rawTimer), nil)
        }
        timer?.close()
        timer = nil
    }

    private func runBorrowed() {
        let raw = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        precondition(uv_loop_init(raw) == 0)
        loop = try! EventLoop(borrowing: UnsafeMutableRawPointer(raw))
        let handle = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(raw, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        uv_timer_start(handle, { timer in
            Unmanaged<HostLoop>.fromOpaque(timer!.pointee.data).takeUnretainedValue().ticks.update { $0 += 1 }
        }, 5, 5)
        rawTimer = handle
        started.signal()
        uv_run(raw, UV_RUN_DEFAULT)  // returns after finish() called uv_stop
        uv_run(raw, UV_RUN_NOWAIT)  // close callbacks of what finish() closed
        let open = loop.openHandleCount
        let status = uv_loop_close(raw)
        outcome.update { $0 = Outcome(openHandles: open, closeStatus: status) }
        if status == 0 {
            raw.deallocate()
            handle.deallocate()
        }
        ended.signal()
    }

    private func runStepped() {
        let loop = try! EventLoop()
        self.loop = loop
        let timer = LoopTimer(loop: loop)
        timer.start(afterMilliseconds: 5, repeating: 5) { [self] in ticks.update { $0 += 1 } }
        self.timer = timer
        started.signal()
        let deadline = { Date().addingTimeInterval(5) }
        var giveUp: Date?
        while true {
            let active = loop.runOnce(wait: false)
            if stopping.load(ordering: .acquiring) {
                giveUp = giveUp ?? deadline()
                if !active || Date() > giveUp! { break }
            }
            let timeout = loop.nextTimeout
            if timeout != 0 { usleep(useconds_t(1000 * (timeout < 0 ? 1 : min(timeout, 1)))) }
        }
        let open = loop.openHandleCount
        var status: Int32 = 0
        do { try loop.close() } catch { status = error.code }
        outcome.update { $0 = Outcome(openHandles: open, closeStatus: status) }
        ended.signal()
    }
}

/// Open file descriptors of this process.
func openDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}
