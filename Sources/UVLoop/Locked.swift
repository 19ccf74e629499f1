internal import CLibUV

/// A value behind a mutex that ThreadSanitizer understands: `Synchronization.Mutex`'s
/// shape (`withLock { value in ... }`) on libuv's `uv_mutex_t`, a pthread mutex. Eventide
/// uses it instead of `Mutex` everywhere.
///
/// Why not `Mutex`: on Linux it locks with a bare futex, which ThreadSanitizer does not
/// model as synchronisation, so TSan reports every access made under it from two threads
/// as a data race (`scripts/tsan-mutex-repro.swift`), and real races drown in those.
/// TSan intercepts pthread mutexes. Cost, measured in release builds on 2 cores: an
/// uncontended pthread lock and unlock (what `uv_mutex_lock`/`unlock` wrap) takes
/// 13-18 ns (`Mutex`: 34-41 ns); `EventLoop.execute`
/// plus its drain stays at 129 ns per job (minimum of 15 runs, either lock; callgrind:
/// 54 more instructions per job, which do not show in time).
///
/// The mutex and the value share one heap block that never moves (a pthread mutex must
/// stay where it was initialised); the struct is non-copyable, so that block has one
/// owner and is freed with it.
package struct Locked<Value>: ~Copyable {
    private struct Block {
        var mutex = uv_mutex_t()
        var value: Value
    }

    private let block: UnsafeMutablePointer<Block>
    private let mutex: UnsafeMutablePointer<uv_mutex_t>
    /// Points into `block`; read and written only between `lock()` and `unlock()`.
    @usableFromInline let value: UnsafeMutablePointer<Value>

    /// Protects `initialValue` from now on.
    package init(_ initialValue: Value) {
        block = .allocate(capacity: 1)
        block.initialize(to: Block(value: initialValue))
        mutex = block.pointer(to: \.mutex)!
        value = block.pointer(to: \.value)!
        let status = uv_mutex_init(mutex)
        precondition(status == 0, "uv_mutex_init failed: \(status)")
    }

    deinit {
        uv_mutex_destroy(mutex)
        block.deinitialize(count: 1)
        block.deallocate()
    }

    /// Runs `body` with exclusive access to the value and returns what it returns. Not
    /// reentrant: calling `withLock` on the same lock from `body` deadlocks.
    @inlinable
    package borrowing func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body(&value.pointee)
    }

    @usableFromInline func lock() { uv_mutex_lock(mutex) }

    @usableFromInline func unlock() { uv_mutex_unlock(mutex) }
}

// @unchecked: the value is only reached inside `withLock`, under the block's `uv_mutex_t`.
extension Locked: @unchecked Sendable where Value: Sendable {}
