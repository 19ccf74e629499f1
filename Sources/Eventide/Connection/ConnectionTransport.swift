import EventideUVLoop

/// What `HTTPConnection` needs from whatever carries its bytes: the seam between the one
/// request path and a socket (`TCPConnection`), an in-memory pipe (`MemoryTransport`, for
/// `TestClient` and the micro-benchmarks) or anything else. Loop-bound.
///
/// The transport reports back by calling the connection's `received(_:)`,
/// `receivedEOF()`, `failed(_:)`, `wrote()` and `closed()`.
package protocol ConnectionTransport: AnyObject, SendableMetatype {
    /// Total bytes handed to `write`.
    var bytesQueued: UInt64 { get }
    /// Total bytes the peer side took (the kernel, or the in-memory reader's buffer).
    var bytesWritten: UInt64 { get }
    /// Bytes queued but not written yet.
    var pendingWriteBytes: Int { get }
    /// Milliseconds of a monotonic clock, read for every timeout decision: the loop's
    /// cached time for a socket, a clock the test advances for an in-memory transport.
    var nowMilliseconds: UInt64 { get }
    /// Writes `bytes` (copied if they cannot all go out at once). A failure is reported
    /// through the connection's `failed(_:)`, never thrown.
    func write(_ bytes: UnsafeRawBufferPointer)
    /// Writes `bytes`, keeping the array rather than copying what cannot go out at once.
    func write(_ bytes: [UInt8])
    /// Delivers input (no-op when already reading).
    func startReading()
    /// Stops delivering input.
    func stopReading()
    /// Half-closes once every queued write went out; `completion` runs after that.
    func shutdown(_ completion: @escaping (UVError?) -> Void)
    /// Closes at once, dropping unsent output; the connection hears `closed()` later.
    func close()
}

extension TCPConnection: ConnectionTransport {}
