/// Receives a TCP connection's events on the loop thread.
public protocol TCPConnectionDelegate: AnyObject {
    /// Bytes arrived. The buffer is only valid during this call.
    func connection(_ connection: TCPConnection, didRead bytes: UnsafeRawBufferPointer)
    /// The peer half-closed its side (no more bytes will arrive).
    func connectionDidReadEOF(_ connection: TCPConnection)
    /// A read or write failed (e.g. reset by peer). The connection should be closed.
    func connection(_ connection: TCPConnection, didFail error: UVError)
    /// A write that had to wait for the socket completed; `bytesWritten` advanced.
    func connectionDidWrite(_ connection: TCPConnection)
    /// The handle closed; the connection is dead and the delegate is released.
    func connectionDidClose(_ connection: TCPConnection)
}
