import Dispatch
import Eventide
import EventideHTTP1
import EventideUVLoop

/// One client connection of a `TestClient`: exact bytes out, responses (or raw bytes) in.
/// In memory it is served by the server's own connection code over an in-memory transport;
/// `.live`, over a real socket. The same test code runs against both.
///
/// ```swift
/// let connection = try await client.connect()
/// try await connection.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n")
/// let first = try await connection.readResponse()
/// let second = try await connection.readResponse()
/// ```
public final class TestConnection: Sendable {
    private let peer: any TestPeer
    private let inbox: Inbox

    init(peer: any TestPeer, readTimeout: Duration) {
        self.peer = peer
        self.inbox = Inbox(readTimeout: readTimeout)
    }

    /// Where the server's bytes arrive (filled by the peer).
    var receiver: Inbox { inbox }

    /// Sends `bytes` as they are.
    public func send(_ bytes: [UInt8]) async throws {
        try await peer.send(bytes)
    }

    /// Sends `text` as UTF-8.
    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Half-closes the client's side: the server reads EOF.
    public func shutdownWrite() async {
        await peer.shutdownWrite()
    }

    /// Closes the connection.
    public func close() async {
        await peer.close()
    }

    /// Goes away abruptly, like a client whose connection was reset: what the server had
    /// not sent yet is lost (over a socket: an RST).
    public func reset() async {
        await peer.reset()
    }

    /// Stops taking the server's output, like a client that stopped reading: the server's
    /// writes stay pending (its write-stall timeout applies). In memory only.
    public func pauseReading() async throws {
        try await peer.setReading(false)
    }

    /// Takes the server's output again, including what waited. In memory only.
    public func resumeReading() async throws {
        try await peer.setReading(true)
    }

    /// The bytes received and not read yet, without waiting.
    public var unreadBytes: [UInt8] { inbox.snapshot.bytes }

    /// Whether the server closed its side, as far as received so far (without waiting).
    public var isClosedByServer: Bool { inbox.snapshot.closed }

    /// Reads the next response (a `100 Continue` is a response of its own). `method`: the
    /// request's, since a response to HEAD has no body.
    ///
    /// - Throws: `TestClientError.connectionClosed` when the server closed first.
    public func readResponse(to method: HTTPRequest.Method = .get) async throws -> TestResponse {
        try await inbox.next { input, closed throws(TestClientError) in
            if let response = try TestResponse.parse(from: &input, method: method, closed: closed) { return response }
            if closed { throw TestClientError.connectionClosed }
            return nil
        }
    }

    /// Reads everything the server sends until it closes the connection.
    public func readToEnd() async throws -> [UInt8] {
        try await inbox.next { input, closed throws(TestClientError) in
            guard closed else { return nil }
            defer { input = [] }
            return input
        }
    }
}

/// The client's end of a connection: in memory or a socket.
protocol TestPeer: Sendable {
    func send(_ bytes: [UInt8]) async throws
    func shutdownWrite() async
    func close() async
    /// Vanishes abruptly (RST).
    func reset() async
    /// Whether the peer takes the server's output (`TestClientError.needsInMemoryTransport` on a socket).
    func setReading(_ reading: Bool) async throws
}

/// The bytes a server sent on one connection, waited on by its reader.
final class Inbox: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var closed = false
        /// Bumped on every arrival, so a reader never waits for what already came.
        var arrivals = 0
        /// Suspended readers by ticket; resumed with `true` by an arrival, `false` by their deadline.
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextTicket = 0
        /// Why no more bytes come, when it is not the server's close.
        var failure: TestClientError?
    }

    private let state = Locked(State())
    /// How long one read may wait in real time, whatever the transport (an in-memory
    /// server that never answers would otherwise hang the test suite).
    private let readTimeout: Duration

    init(readTimeout: Duration) {
        self.readTimeout = readTimeout
    }

    /// What arrived and was not taken yet, and whether the server closed.
    var snapshot: (bytes: [UInt8], closed: Bool) { state.withLock { ($0.bytes, $0.closed) } }

    /// Bytes arrived.
    func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        state.withLock { state in
            state.bytes += bytes
            state.arrivals += 1
            defer { state.waiters = [:] }
            return state.waiters.values
        }.forEach { $0.resume(returning: true) }
    }

    /// The server closed (or half-closed) its side: no more bytes. With `failure`, the
    /// client stopped reading for that reason instead.
    func finish(failure: TestClientError? = nil) {
        state.withLock { state in
            state.closed = true
            state.failure = failure
            state.arrivals += 1
            defer { state.waiters = [:] }
            return state.waiters.values
        }.forEach { $0.resume(returning: true) }
    }

    /// Waits until `take` finds what it needs in the bytes received so far (it removes
    /// what it takes); `take` also hears whether more may come.
    ///
    /// - Throws: `TestClientError.readTimedOut` after `readTimeout` without what it needs.
    func next<Result>(_ take: (inout [UInt8], _ closed: Bool) throws(TestClientError) -> Result?) async throws -> Result {
        let deadline = ContinuousClock.now + readTimeout
        while true {
            let (result, arrivals): (Result?, Int) = try state.withLock { (state) throws(TestClientError) in
                if let failure = state.failure { throw failure }
                return (try take(&state.bytes, state.closed), state.arrivals)
            }
            if let result { return result }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw TestClientError.readTimedOut }
            let arrived = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let ticket: Int? = state.withLock { state in
                    guard state.arrivals == arrivals else { return nil }
                    let ticket = state.nextTicket
                    state.nextTicket += 1
                    state.waiters[ticket] = continuation
                    return ticket
                }
                guard let ticket else { return continuation.resume(returning: true) }
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(remaining.wholeNanoseconds))) { [self] in
                    state.withLock { $0.waiters.removeValue(forKey: ticket) }?.resume(returning: false)
                }
            }
            if !arrived { throw TestClientError.readTimedOut }
        }
    }
}
