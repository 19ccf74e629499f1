import EventideUVLoop

/// A transport without a socket: the peer's bytes are handed in with `deliver(_:)`, the
/// connection's output collects in `output`, and time is whatever `nowMilliseconds` is
/// set to. `TestClient` and the micro-benchmarks serve through it with the server's own
/// `HTTPConnection`. Loop-bound.
///
/// Like a socket, events the connection causes itself (its close, a half-close once its
/// output went out) reach it from a later loop iteration, never from inside its own call.
package final class MemoryTransport: ConnectionTransport {
    package private(set) var bytesQueued: UInt64 = 0
    package private(set) var bytesWritten: UInt64 = 0
    package var pendingWriteBytes: Int { Int(bytesQueued - bytesWritten) }
    /// The injected clock's time: advance the clock and call `ServerCore.checkTimeouts()`
    /// to let time pass without waiting.
    package var nowMilliseconds: UInt64 { clock.milliseconds }

    /// Written bytes the peer has not taken yet.
    package private(set) var output: [UInt8] = []
    /// Whether the connection wants input now.
    package private(set) var isReading = false
    /// The connection half-closed its side (FIN) after its last output.
    package private(set) var isShutDown = false
    /// The connection closed the transport.
    package private(set) var isClosed = false
    /// Called after output arrived or the transport (half-)closed, from a later loop
    /// iteration: tasks whose response that output completed were handed over before.
    package var onOutput: (() -> Void)?

    private let loop: EventLoop
    private let clock: MemoryClock
    private var connection: HTTPConnection<MemoryTransport>?
    /// Input that arrived while the connection was not reading (the kernel's buffer).
    private var inbox: [UInt8] = []
    private var inboxEOF = false
    private var eofDelivered = false
    /// Output the peer does not read yet (`peerReads == false`).
    private var unread: [UInt8] = []
    private var shutdownCompletion: ((UVError?) -> Void)?
    private var outputNotified = false

    /// A transport whose deferred events run on `loop`, telling time by `clock`.
    package init(loop: EventLoop, clock: MemoryClock = MemoryClock()) {
        self.loop = loop
        self.clock = clock
    }

    /// Serves this transport on `core` (the core's connection, with its limits, routes
    /// and background tasks).
    package func attach(to core: ServerCore) {
        connection = core.attach(self)
    }

    // MARK: The peer's side

    /// Bytes from the peer: delivered now when the connection reads, else buffered.
    package func deliver(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, !inboxEOF, !bytes.isEmpty else { return }
        if isReading && inbox.isEmpty {
            connection?.received(bytes)
        } else {
            inbox.append(contentsOf: bytes)
        }
    }

    /// `deliver(_:)` for an array.
    package func deliver(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { deliver($0) }
    }

    /// The peer half-closes (EOF after any buffered input).
    package func deliverEOF() {
        guard !isClosed, !inboxEOF else { return }
        inboxEOF = true
        if isReading && inbox.isEmpty { deliverEOFOnce() }
    }

    /// Whether the peer takes output as it is written. While false, writes stay pending
    /// (a client that stopped reading); setting it true writes them.
    package var peerReads = true {
        didSet {
            guard peerReads, !unread.isEmpty, !isClosed else { return }
            bytesWritten += UInt64(unread.count)
            output += unread
            unread = []
            notifyOutput()
            connection?.wrote()
            completeShutdownIfFlushed()
        }
    }

    /// The peer vanished (a reset): unsent output is dropped and the connection hears a
    /// failure, as from a socket reset by its peer.
    package func abortByPeer() {
        guard !isClosed else { return }
        unread = []
        inbox = []
        let this = LoopBound(self, loop: loop)
        loop.execute { this.value.connection?.failed(.connectionReset) }
    }

    /// Takes the output written so far.
    package func takeOutput() -> [UInt8] {
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    /// Empties `output` keeping its storage (for benchmarks that only count bytes).
    package func discardOutput() {
        output.removeAll(keepingCapacity: true)
    }

    // MARK: ConnectionTransport

    package func write(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, !bytes.isEmpty else { return }
        bytesQueued += UInt64(bytes.count)
        if peerReads && unread.isEmpty {
            bytesWritten += UInt64(bytes.count)
            output.append(contentsOf: bytes)
            notifyOutput()
        } else {
            unread.append(contentsOf: bytes)
        }
    }

    package func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    package func startReading() {
        guard !isReading, !isClosed else { return }
        isReading = true
        guard !inbox.isEmpty || inboxEOF else { return }
        let this = LoopBound(self, loop: loop)
        loop.execute { this.value.drainInbox() }
    }

    package func stopReading() {
        isReading = false
    }

    package func shutdown(_ completion: @escaping (UVError?) -> Void) {
        guard !isClosed, shutdownCompletion == nil, !isShutDown else { return }
        shutdownCompletion = completion
        completeShutdownIfFlushed()
    }

    package func close() {
        guard !isClosed else { return }
        isClosed = true
        isReading = false
        unread = []
        shutdownCompletion = nil
        notifyOutput()
        let this = LoopBound(self, loop: loop)
        loop.execute {
            let connection = this.value.connection
            this.value.connection = nil
            connection?.closed()
        }
    }

    // MARK: Private

    private func drainInbox() {
        guard isReading, !isClosed else { return }
        if !inbox.isEmpty {
            let bytes = inbox
            inbox = []
            bytes.withUnsafeBytes { connection?.received($0) }
        }
        if inboxEOF && isReading && inbox.isEmpty { deliverEOFOnce() }
    }

    private func deliverEOFOnce() {
        guard !eofDelivered else { return }
        eofDelivered = true
        connection?.receivedEOF()
    }

    private func completeShutdownIfFlushed() {
        guard let completion = shutdownCompletion, unread.isEmpty else { return }
        shutdownCompletion = nil
        isShutDown = true
        notifyOutput()
        let completed = LoopBound(completion, loop: loop)
        loop.execute { completed.value(nil) }
    }

    private func notifyOutput() {
        guard onOutput != nil, !outputNotified else { return }
        outputNotified = true
        let this = LoopBound(self, loop: loop)
        loop.execute {
            this.value.outputNotified = false
            this.value.onOutput?()
        }
    }
}

/// The time of in-memory transports: it moves only when told to. Loop-bound.
package final class MemoryClock {
    /// Milliseconds since an arbitrary start.
    package var milliseconds: UInt64 = 0

    package init() {}
}
