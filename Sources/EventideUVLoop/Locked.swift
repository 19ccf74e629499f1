internal import CLibUV

/// A value behind a mutex that ThreadSanitizer understands: `Synchronization.Mutex`'s
/// shape (`withLock { value in ... }`) on libuv's `uv_mutex_t`, a pthread mutex. Eventide
/// uses it instead of `Mutex` everywhere.
///
/// Why not `Mutex`: on Linux it locks with a bare futex, which ThreadSanitizer does not
/// model as synchronisation, so TSan reports accesses made under it from two threads as
/// data races (`scripts/tsan-mutex-repro.swift`), and real races drown in those. TSan
/// intercepts pthread mutexes.
///
/// Cost (release build, 2 cores, minimum of 15 runs alternating with `Mutex`):
/// `EventLoop.execute` plus its drain 66.8 ns per job (`Mutex`: 65.6); the sans-IO request
/// path of `Benchmarking.swift` 1445 ns per request (1396), 2787 ns with one background
/// task (2678). Each lock is a heap block of its own, and from other modules `withLock` is
/// a call: `package` bodies are not inlined across modules.
///
/// The mutex and the value share one heap block that never moves (a pthread mutex must
/// stay where it was initialised); the struct is non-copyable, so that block has one
/// owner and is freed with it.
package struct Locked<Value>: ~Copyable {
    /// The start of the block; the value follows at `valueOffset`.
    private let mutex: UnsafeMutablePointer<uv_mutex_t>
    /// Read and written only while `mutex` is held.
    private let value: UnsafeMutablePointer<Value>

    /// Protects `initialValue` from now on.
    package init(_ initialValue: Value) {
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: Self.valueOffset + MemoryLayout<Value>.size,
            alignment: max(MemoryLayout<uv_mutex_t>.alignment, MemoryLayout<Value>.alignment))
        mutex = block.bindMemory(to: uv_mutex_t.self, capacity: 1)
        value = (block + Self.valueOffset).bindMemory(to: Value.self, capacity: 1)
        value.initialize(to: initialValue)
        let status = uv_mutex_init(mutex)
        precondition(status == 0, "uv_mutex_init failed: \(status)")
    }

    deinit {
        uv_mutex_destroy(mutex)
        value.deinitialize(count: 1)
        UnsafeMutableRawPointer(mutex).deallocate()
    }

    /// Where the value starts in the block: after the mutex, aligned for `Value`.
    private static var valueOffset: Int {
        let alignment = MemoryLayout<Value>.alignment
        return (MemoryLayout<uv_mutex_t>.size + alignment - 1) / alignment * alignment
    }

    /// Runs `body` with exclusive access to the value and returns what it returns. Not
    /// reentrant: calling `withLock` on the same lock from `body` deadlocks.
    package borrowing func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        uv_mutex_lock(mutex)
        defer { uv_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}

// why: the value is only reached inside `withLock`, under the block's `uv_mutex_t`.
extension Locked: @unchecked Sendable where Value: Sendable {}
