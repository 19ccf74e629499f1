// Shows that ThreadSanitizer (Swift 6.3.1, Linux) reports races on state that is only touched
// inside `Synchronization.Mutex.withLock`: TSan does not see the Mutex's futex-based
// lock/unlock as synchronisation. The same program with NSLock (pthread_mutex) reports nothing.
// That is why Eventide locks with `Locked` (Sources/UVLoop/Locked.swift, on libuv's pthread-based
// uv_mutex_t) instead of Mutex: with Mutex, scripts/sanitizers.sh reported such races in
// EventLoop.execute/runPendingWork. Rerun this on a new Swift release: once it prints 0 for Mutex
// too, `Locked` can go.
//
//   swiftc -sanitize=thread -g scripts/tsan-mutex-repro.swift -o /tmp/tsan-mutex-repro
//   SWIFT_BACKTRACE=enable=no /tmp/tsan-mutex-repro 2>&1 | grep -c "WARNING: ThreadSanitizer"   # > 0
//   swiftc -sanitize=thread -g -DUSE_NSLOCK scripts/tsan-mutex-repro.swift -o /tmp/tsan-nslock
//   SWIFT_BACKTRACE=enable=no /tmp/tsan-nslock 2>&1 | grep -c "WARNING: ThreadSanitizer"        # 0
import Foundation
import Synchronization

final class Box: @unchecked Sendable {
    #if USE_NSLOCK
    let lock = NSLock()
    var state: [Int] = []
    func withLock(_ body: (inout [Int]) -> Void) {
        lock.lock()
        body(&state)
        lock.unlock()
    }
    #else
    let mutex = Mutex([Int]())
    func withLock(_ body: (inout [Int]) -> Void) { mutex.withLock { body(&$0) } }
    #endif
    var drained: [Int] = []  // only touched under the lock
}

let box = Box()
let threads = (0..<4).map { _ in
    Thread {
        for i in 0..<20_000 {
            box.withLock { state in
                state.append(i)
                if state.count > 100 {
                    swap(&state, &box.drained)
                    state.removeAll()
                }
            }
        }
    }
}
threads.forEach { $0.start() }
sleep(3)
box.withLock { print("final count \($0.count)") }
