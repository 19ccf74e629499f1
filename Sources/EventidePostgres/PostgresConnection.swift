internal import CLibPQ
import EventideUVLoop

/// One PostgreSQL connection, driven without blocking on an EventideUVLoop loop.
///
/// **Loop-bound.** Create it with `connect(_:on:timeout:_:)`, call every method on the
/// loop's thread; every callback runs there. libpq is used only in non-blocking mode:
/// the connection is made with `PQconnectStart` and `PQconnectPoll`, statements are sent in
/// pipeline mode and flushed when the socket is writable, and results are read when it is
/// readable (a `SocketWatcher`).
///
/// An open connection keeps itself alive (its socket watcher holds it) until it is closed
/// or lost: call `close()` when done with it.
public final class PostgresConnection {
    /// The loop this connection lives on.
    public let loop: EventLoop
    var pg: OpaquePointer?
    var state = State.connecting
    var watcher: SocketWatcher?
    /// Whether the watcher also waits for writability (PQflush left bytes unsent).
    var watchingWrites = false
    var pipelines: [PendingPipeline] = []
    var prepared = PreparedStatements()
    var connectTimer: LoopTimer?
    var connectCompletion: ((Result<PostgresConnection, PostgresError>) -> Void)?
    /// The last FATAL message the server sent outside a statement (why it hung up).
    var lastFatal: PostgresError?

    enum State { case connecting, open, closed }

    /// Called with each NOTIFY on a channel this session LISTENs to.
    public var onNotification: ((PostgresNotification) -> Void)?
    /// Called once when the connection ends: with the error when it was lost, nil when
    /// `close()` closed it. Pending `run` completions have failed before it is called.
    public var onClose: ((PostgresError?) -> Void)?
    /// Called with the server's notices and warnings (`RAISE NOTICE`...); dropped when nil.
    public var onNotice: ((String) -> Void)?

    /// Whether the connection is open (connected, not closed or lost).
    public var isOpen: Bool { state == .open }
    /// The server process serving this connection (`pg_backend_pid()`).
    public internal(set) var backendPID: Int32 = 0
    /// The server's version as a number, e.g. 150018 for 15.18.
    public internal(set) var serverVersion: Int = 0
    /// The number of `run` calls whose completion has not been called yet.
    public var pendingRunCount: Int { pipelines.count }

    init(loop: EventLoop) {
        self.loop = loop
    }

    deinit {
        if let pg { PQfinish(pg) }
    }

    /// Connects to `string` on `loop`; `completion` runs on the loop with the open
    /// connection, or with a `.connectFailed`, `.timeout` or `.client` error. Call on the
    /// loop's thread.
    ///
    /// Host names are looked up first on libuv's thread pool (`HostResolver`) and handed
    /// to libpq as `hostaddr`, which would otherwise call the blocking `getaddrinfo` on
    /// the loop. `timeout` counts from the end of that lookup. A `host` list mixing names
    /// with socket directories or numeric addresses is left to libpq.
    public static func connect(
        _ string: PostgresConnectionString, on loop: EventLoop, timeout: Duration,
        _ completion: @escaping (Result<PostgresConnection, PostgresError>) -> Void
    ) {
        precondition(loop.inEventLoop, "PostgresConnection.connect must be called on the loop's thread")
        guard let names = string.hostNamesToResolve else {
            return PostgresConnection(loop: loop).start(string, timeout: timeout, completion)
        }
        var addresses = [[String]](repeating: [], count: names.count)
        var remaining = names.count
        for (index, name) in names.enumerated() {
            HostResolver.resolve(name, on: loop) { result in
                if case .success(let found) = result { addresses[index] = found }
                remaining -= 1
                guard remaining == 0 else { return }
                do throws(PostgresError) {
                    PostgresConnection(loop: loop).start(try string.resolved(addresses), timeout: timeout, completion)
                } catch {
                    completion(.failure(error))
                }
            }
        }
    }

    /// Sends `statements` as one pipeline followed by one Sync: one round trip, and one
    /// implicit transaction (they commit together or not at all, unless they contain
    /// BEGIN or COMMIT). `completion` gets one result per statement, in order; after a
    /// failure the rest fail with `.pipelineAborted`.
    ///
    /// Several runs may be outstanding: each is sent at once, without waiting for the
    /// results of the previous, and completions come in the order of the calls. Each
    /// distinct SQL text (with its parameter types) is prepared once per connection, so
    /// repeated statements skip parsing and planning.
    ///
    /// On a closed connection every statement fails with `.closed` before `run` returns;
    /// if the connection is lost or closed before the results arrive, with
    /// `.connectionLost` (they may have run).
    public func run(_ statements: [PostgresStatement], _ completion: @escaping ([Result<PostgresRows, PostgresError>]) -> Void) {
        precondition(loop.inEventLoop, "PostgresConnection.run must be called on the loop's thread")
        guard state == .open, let pg else {
            completion(statements.map { _ in .failure(PostgresError(.closed, "the connection is closed")) })
            return
        }
        if let error = send(statements, on: pg, completion) { shutDown(error) }
    }

    /// Closes the connection: pending runs fail with `.connectionLost`, then `onClose` is
    /// called with nil. Closing twice does nothing.
    public func close() {
        precondition(loop.inEventLoop, "PostgresConnection.close must be called on the loop's thread")
        shutDown(nil)
    }

    /// Whether the session is outside any transaction block, with nothing in flight: the
    /// state a pool may hand it out in.
    var isIdle: Bool {
        guard let pg, state == .open, pipelines.isEmpty else { return false }
        return PQtransactionStatus(pg) == PQTRANS_IDLE
    }

    /// Ends the connection once: watcher first (libuv must drop the socket before libpq
    /// closes it), then libpq, then the pending runs and `onClose`.
    func shutDown(_ error: PostgresError?) {
        guard state != .closed else { return }
        let wasConnecting = state == .connecting
        state = .closed
        watcher?.close()
        watcher = nil
        connectTimer?.close()
        connectTimer = nil
        if let pg { PQfinish(pg) }
        pg = nil
        let pending = pipelines
        pipelines = []
        let lost = error ?? PostgresError(.connectionLost, "the connection was closed with statements in flight")
        for pipeline in pending {
            pipeline.completion(pipeline.results.map { _ in .failure(lost) })
        }
        let onClose = self.onClose
        self.onClose = nil
        onNotification = nil
        onNotice = nil
        if let completion = connectCompletion {
            connectCompletion = nil
            completion(.failure(error ?? PostgresError(.closed, "closed while connecting")))
        } else if !wasConnecting {
            onClose?(error)
        }
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> PostgresConnection {
        Unmanaged<PostgresConnection>.fromOpaque(context!).takeUnretainedValue()
    }
}
