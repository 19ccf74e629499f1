/// Carries a loop-bound (non-`Sendable`) value across a concurrency boundary, checking
/// at run time that it is only touched on its loop's thread.
public struct LoopBound<Value>: Sendable {
    @usableFromInline let storage: LoopBoundStorage<Value>
    /// The loop whose thread may touch the value.
    public let loop: EventLoop

    /// Wraps `value`, which must belong to `loop`. Call on the loop thread.
    /// (Inlinable, like `value`: specialized where used, with no generic metadata lookup.)
    @inlinable
    public init(_ value: Value, loop: EventLoop) {
        precondition(loop.inEventLoop, "LoopBound must be created on its loop's thread")
        self.storage = LoopBoundStorage(value)
        self.loop = loop
    }

    /// The wrapped value; traps when read off the loop thread.
    @inlinable
    public var value: Value {
        precondition(loop.inEventLoop, "loop-bound value used off its loop's thread")
        return storage.value
    }
}

/// `LoopBound`'s value.
// why: reachable only through `LoopBound.value`, which preconditions that the caller runs on the loop's thread.
@usableFromInline
struct LoopBoundStorage<Value>: @unchecked Sendable {
    @usableFromInline let value: Value

    @inlinable init(_ value: Value) { self.value = value }
}
