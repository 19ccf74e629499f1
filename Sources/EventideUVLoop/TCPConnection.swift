internal import CLibUV

/// An accepted TCP connection. Loop-bound.
///
/// Writes try `uv_try_write` first and queue only what the socket did not take with
/// `uv_write` (the rest of a buffer is copied, the rest of an array kept, until the write
/// callback). Progress is
/// visible as `bytesQueued` and `bytesWritten`; bytes taken synchronously are counted
/// before `write` returns, later ones are reported through `connectionDidWrite`.
public final class TCPConnection {
    let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private var shutdownCompletion: ((UVError?) -> Void)?
    // The state below is private behind public accessors: another module's accesses to a
    // public stored property are checked for exclusivity at run time (one per request for
    // `delegate`), while these private ones the optimizer proves disjoint and leaves unchecked.
    private var reading = false
    private var queuedTotal: UInt64 = 0
    private var writtenTotal: UInt64 = 0
    private var closeRequested = false
    private var delegateStorage: TCPConnectionDelegate?

    /// Receives this connection's events; released after `connectionDidClose`.
    public var delegate: TCPConnectionDelegate? {
        get { delegateStorage }
        set { delegateStorage = newValue }
    }
    /// Total bytes handed to `write`.
    public var bytesQueued: UInt64 { queuedTotal }
    /// Total bytes the kernel accepted.
    public var bytesWritten: UInt64 { writtenTotal }
    /// Whether `close()` or `reset()` was called.
    public var isClosing: Bool { closeRequested }

    init(loop: EventLoop) {
        self.loop = loop
        handle = .allocate(capacity: 1)
        uv_tcp_init(loop.rawLoop, handle)
        // Retained until the close callback releases it.
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { eventide_stream(handle) }

    func didAccept() {
        uv_tcp_nodelay(handle, 1)
    }

    /// Bytes queued but not yet accepted by the kernel.
    public var pendingWriteBytes: Int { Int(queuedTotal - writtenTotal) }

    /// The loop's cached monotonic time, in milliseconds.
    public var nowMilliseconds: UInt64 { loop.nowMilliseconds }

    /// The peer's address as "ip:port", or nil when unknown.
    public var peerAddress: String? {
        var address = SocketAddress.unspecified
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutableBytes(of: &address.storage) { raw in
            uv_tcp_getpeername(handle, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        return status == 0 ? address.description : nil
    }

    /// Starts delivering reads to the delegate (no-op when already reading).
    public func startReading() {
        guard !reading, !closeRequested else { return }
        let status = uv_read_start(stream, { raw, _, buffer in
            let readBuffer = TCPConnection.with(raw!.pointee.data) { $0.loop.readBuffer }
            buffer!.pointee.base = readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            buffer!.pointee.len = readBuffer.count
        }, { raw, count, buffer in
            TCPConnection.with(raw!.pointee.data) { $0.didRead(count: count, buffer: buffer!.pointee) }
        })
        if status == 0 {
            reading = true
        } else {
            delegate?.connection(self, didFail: UVError(code: status))
        }
    }

    /// Stops delivering reads; the kernel buffers (and eventually the peer blocks).
    public func stopReading() {
        guard reading, !closeRequested else { return }
        reading = false
        uv_read_stop(stream)
    }

    /// Whether reads are being delivered.
    public var isReading: Bool { reading }

    private func didRead(count: Int, buffer: uv_buf_t) {
        if count > 0 {
            delegate?.connection(self, didRead: UnsafeRawBufferPointer(start: buffer.base, count: count))
        } else if count == Int(UV_EOF.rawValue) {
            stopReading()
            delegate?.connectionDidReadEOF(self)
        } else if count < 0 {
            stopReading()
            delegate?.connection(self, didFail: UVError(code: Int32(count)))
        }
    }

    /// Writes `bytes`, synchronously where the socket takes them, otherwise queued (the
    /// rest is copied). A failure is reported to the delegate (`didFail`), never thrown.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let offset = writeNow(bytes) else { return }
        queue(PendingWrite(copying: UnsafeRawBufferPointer(rebasing: bytes[offset...])))
    }

    /// Writes `bytes` like `write(_:)`, but what the socket does not take at once is sent
    /// from the array itself, kept until its write completed: no copy of a large body.
    public func write(_ bytes: [UInt8]) {
        guard let offset = bytes.withUnsafeBytes({ writeNow($0) }) else { return }
        queue(PendingWrite(keeping: bytes, from: offset))
    }

    /// Counts `bytes` as queued and hands as many as the socket takes to `uv_try_write`.
    /// Returns the offset of the rest, or nil when nothing is left to queue (all written,
    /// nothing to write, or a failure already reported).
    private func writeNow(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !closeRequested, !bytes.isEmpty else { return nil }
        queuedTotal += UInt64(bytes.count)
        guard queuedTotal - UInt64(bytes.count) == writtenTotal else { return 0 }  // earlier writes still queued
        var buffer = uv_buf_t(base: UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), len: bytes.count)
        let taken = uv_try_write(stream, &buffer, 1)
        if taken >= 0 {
            writtenTotal += UInt64(taken)
            return Int(taken) == bytes.count ? nil : Int(taken)
        }
        if taken == UV_EAGAIN.rawValue { return 0 }
        delegate?.connection(self, didFail: UVError(code: taken))
        return nil
    }

    private func queue(_ pending: PendingWrite) {
        var buffer = uv_buf_t(base: UnsafeMutablePointer(mutating: pending.bytes.baseAddress!.assumingMemoryBound(to: CChar.self)), len: pending.bytes.count)
        pending.request.pointee.data = Unmanaged.passRetained(pending).toOpaque()
        let status = uv_write(pending.request, stream, &buffer, 1) { request, status in
            let pending = Unmanaged<PendingWrite>.fromOpaque(request!.pointee.data).takeRetainedValue()
            TCPConnection.with(request!.pointee.handle.pointee.data) {
                $0.didCompleteWrite(byteCount: pending.bytes.count, status: status)
            }
        }
        if status < 0 {
            Unmanaged<PendingWrite>.fromOpaque(pending.request.pointee.data).release()
            delegate?.connection(self, didFail: UVError(code: status))
        }
    }

    private func didCompleteWrite(byteCount: Int, status: Int32) {
        if status == 0 {
            writtenTotal += UInt64(byteCount)
            delegate?.connectionDidWrite(self)
        } else if status != UV_ECANCELED.rawValue {
            delegate?.connection(self, didFail: UVError(code: status))
        }
    }

    /// Sends FIN once every queued write has gone out; `completion` runs after that.
    public func shutdown(_ completion: @escaping (UVError?) -> Void) {
        guard !closeRequested, shutdownCompletion == nil else { return }
        shutdownCompletion = completion
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let status = uv_shutdown(request, stream) { request, status in
            let data = request!.pointee.handle.pointee.data
            request!.deallocate()
            TCPConnection.with(data) { connection in
                let completion = connection.shutdownCompletion
                connection.shutdownCompletion = nil
                completion?(status == 0 ? nil : UVError(code: status))
            }
        }
        if status < 0 {
            request.deallocate()
            shutdownCompletion = nil
            completion(UVError(code: status))
        }
    }

    /// Closes the connection. Queued writes are cancelled; use `shutdown` first to
    /// flush them. The delegate hears `connectionDidClose` from the close callback.
    public func close() {
        guard !closeRequested else { return }
        closeRequested = true
        uv_close(eventide_handle(handle), TCPConnection.closeCallback)
    }

    /// Closes the connection with a TCP RST instead of a FIN.
    public func reset() {
        guard !closeRequested else { return }
        closeRequested = true
        if uv_tcp_close_reset(handle, TCPConnection.closeCallback) != 0 {
            uv_close(eventide_handle(handle), TCPConnection.closeCallback)
        }
    }

    private static let closeCallback: uv_close_cb = { raw in
        let tcp = raw!.withMemoryRebound(to: uv_tcp_t.self, capacity: 1) { $0 }
        let connection = Unmanaged<TCPConnection>.fromOpaque(tcp.pointee.data).takeRetainedValue()
        connection.delegate?.connectionDidClose(connection)
        connection.delegate = nil
        connection.shutdownCompletion = nil
        tcp.deallocate()
    }

    /// Calls `body` with the connection a handle's `data` points to, without retaining it
    /// for the call: the handle holds its reference until the close callback, which no
    /// read, write or shutdown callback outlives (a retain and a release per read and per
    /// buffer before).
    private static func with<Result>(_ data: UnsafeMutableRawPointer?, _ body: (TCPConnection) -> Result) -> Result {
        Unmanaged<TCPConnection>.fromOpaque(data!)._withUnsafeGuaranteedRef(body)
    }
}

/// A `uv_write` request and the bytes it sends, kept alive until its callback: a copy,
/// or the caller's array itself.
private final class PendingWrite {
    let request: UnsafeMutablePointer<uv_write_t>
    /// What is left to send.
    let bytes: UnsafeRawBufferPointer
    private let copy: UnsafeMutableRawBufferPointer?
    /// Held until the write completes: an array's storage does not move while a reference
    /// to it is held, and a writer elsewhere copies it first, so `bytes` stays valid.
    private let kept: [UInt8]

    init(copying source: UnsafeRawBufferPointer) {
        request = .allocate(capacity: 1)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 1)
        copy.copyMemory(from: source)
        self.copy = copy
        bytes = UnsafeRawBufferPointer(copy)
        kept = []
    }

    init(keeping array: [UInt8], from offset: Int) {
        request = .allocate(capacity: 1)
        copy = nil
        kept = array
        bytes = kept.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[offset...]) }
    }

    deinit {
        request.deallocate()
        copy?.deallocate()
    }
}
