import EventideUVLoop
import Logging
import Synchronization

/// The pool's state, on its loop: connections idle and checked out, callers waiting,
/// connects in flight, the reconnect timer.
///
/// Connections are opened on demand, up to `size`, and once one has been made the pool
/// keeps at least one open: a lost connection is replaced after a backoff delay. While the
/// server cannot be reached (the last attempt failed and none is open), `acquire` fails at
/// once, and attempts go on in the background, logged once when they start failing and
/// once when one succeeds.
// why: every stored property but `available` is touched only on `loop`'s thread (each
// entry point preconditions it or runs from `loop.execute`); `available` is an Atomic.
final class ConnectionPool: @unchecked Sendable {
    let loop: EventLoop
    let string: PostgresConnectionString
    let size: Int
    let connectTimeout: Duration
    let acquireTimeout: Duration
    let logger: Logger
    /// Read from any thread by `PostgresClient.isAvailable`.
    let available = Atomic<Bool>(true)

    private var idle: [PostgresConnection] = []
    private var open: [ObjectIdentifier: PostgresConnection] = [:]
    private var connecting: [ObjectIdentifier: PostgresConnection] = [:]
    private var waiters: [Waiter] = []
    private var waiterTimer: LoopTimer?
    private var retryTimer: LoopTimer?
    private var backoff = Backoff()
    private var everConnected = false
    /// Why the last connect attempt failed, nil once one succeeded.
    private var lastFailure: PostgresError?
    private var closed = false

    private struct Waiter {
        let deadline: UInt64
        let callback: (Result<PostgresConnection, PostgresError>) -> Void
    }

    init(string: PostgresConnectionString, size: Int, loop: EventLoop, connectTimeout: Duration, acquireTimeout: Duration, logger: Logger) {
        self.string = string
        self.size = max(1, size)
        self.loop = loop
        self.connectTimeout = connectTimeout
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    func acquire(_ callback: @escaping (Result<PostgresConnection, PostgresError>) -> Void) {
        precondition(loop.inEventLoop, "PostgresClient.acquire must be called on the client's loop")
        guard !closed else { return callback(.failure(PostgresError(.closed, "the PostgreSQL client is closed"))) }
        if let connection = idle.popLast() { return callback(.success(connection)) }
        if open.isEmpty, let lastFailure {
            return callback(.failure(PostgresError(.unavailable, "PostgreSQL cannot be reached: \(lastFailure.message)", sqlState: lastFailure.sqlState)))
        }
        waiters.append(Waiter(deadline: loop.nowMilliseconds + UInt64(max(1, acquireTimeout.milliseconds)), callback: callback))
        if waiters.count == 1 { armWaiterTimer() }
        grow()
    }

    func release(_ connection: PostgresConnection) {
        precondition(loop.inEventLoop, "PostgresClient.release must be called on the client's loop")
        guard connection.isOpen, open[ObjectIdentifier(connection)] != nil else { return }
        guard !closed else { return connection.close() }
        if connection.pendingRunCount == 0, !connection.isIdle {
            // Left inside a transaction block: ended before the next user's statements,
            // which the pipeline keeps behind it.
            connection.run([PostgresStatement("ROLLBACK")]) { _ in }
        }
        hand(connection)
    }

    /// Closes every connection and fails every waiter; `done` runs once nothing is left
    /// open or connecting.
    func close(_ done: @escaping () -> Void) {
        precondition(loop.inEventLoop)
        guard !closed else { return done() }
        closed = true
        available.store(false, ordering: .relaxed)
        retryTimer?.close()
        waiterTimer?.close()
        retryTimer = nil
        waiterTimer = nil
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.callback(.failure(PostgresError(.closed, "the PostgreSQL client was closed"))) }
        for connection in Array(connecting.values) + Array(open.values) { connection.close() }
        idle = []
        done()
    }

    // MARK: Connecting

    /// Starts connects for the callers waiting, up to `size`, and keeps one open once the
    /// pool has connected or tried to (so a server down at start is probed until it is
    /// up: callers fail fast meanwhile and never wait); none while a retry delay runs.
    private func grow() {
        guard !closed, retryTimer == nil else { return }
        let busy = open.count - idle.count
        let keepOne = everConnected || lastFailure != nil
        let wanted = min(size, max(busy + waiters.count, keepOne ? 1 : 0))
        while open.count + connecting.count < wanted { connectOne() }
    }

    private func connectOne() {
        let connection = PostgresConnection(loop: loop)
        let id = ObjectIdentifier(connection)
        connecting[id] = connection
        connection.start(string, timeout: connectTimeout) { [weak self] result in
            guard let self else { return }
            connecting[id] = nil
            switch result {
            case .success(let connection): didConnect(connection)
            case .failure(let error): didFailToConnect(error)
            }
        }
    }

    private func didConnect(_ connection: PostgresConnection) {
        guard !closed else { return connection.close() }
        if let lastFailure {
            logger.info("PostgreSQL reachable again", metadata: ["postgres": "\(string)", "lastError": "\(lastFailure.message)"])
        }
        lastFailure = nil
        everConnected = true
        backoff.reset()
        available.store(true, ordering: .relaxed)
        open[ObjectIdentifier(connection)] = connection
        let logger = self.logger
        connection.onNotice = { logger.debug("PostgreSQL notice: \($0)") }
        connection.onClose = { [weak self, unowned connection] error in self?.didClose(connection, error) }
        hand(connection)
    }

    private func didFailToConnect(_ error: PostgresError) {
        guard !closed else { return }
        if lastFailure == nil {
            logger.warning("cannot connect to PostgreSQL; retrying with backoff", metadata: ["postgres": "\(string)", "error": "\(error)"])
        }
        lastFailure = error
        if open.isEmpty {
            available.store(false, ordering: .relaxed)
            let waiting = waiters
            waiters = []
            let unavailable = PostgresError(.unavailable, "PostgreSQL cannot be reached: \(error.message)", sqlState: error.sqlState)
            for waiter in waiting { waiter.callback(.failure(unavailable)) }
        }
        retryAfterBackoff()
    }

    private func didClose(_ connection: PostgresConnection, _ error: PostgresError?) {
        open[ObjectIdentifier(connection)] = nil
        idle.removeAll { $0 === connection }
        guard !closed else { return }
        if let error {
            logger.warning("PostgreSQL connection lost; replacing it", metadata: ["backend": "\(connection.backendPID)", "error": "\(error)"])
        }
        retryAfterBackoff()
    }

    private func retryAfterBackoff() {
        guard !closed, retryTimer == nil else { return }
        let timer = LoopTimer(loop: loop)
        retryTimer = timer
        timer.start(afterMilliseconds: backoff.next()) { [weak self] in
            guard let self else { return }
            retryTimer?.close()
            retryTimer = nil
            grow()
        }
    }

    // MARK: Handing out

    /// Gives `connection` to the first waiter, else keeps it idle.
    private func hand(_ connection: PostgresConnection) {
        guard !waiters.isEmpty else { return idle.append(connection) }
        let waiter = waiters.removeFirst()
        waiter.callback(.success(connection))
    }

    /// One timer for all waiters: they wait equally long, so the first is due first.
    private func armWaiterTimer() {
        guard let first = waiters.first else { return }
        let timer = waiterTimer ?? LoopTimer(loop: loop)
        waiterTimer = timer
        let now = loop.nowMilliseconds
        timer.start(afterMilliseconds: first.deadline > now ? first.deadline - now : 0) { [weak self] in
            self?.expireWaiters()
        }
    }

    private func expireWaiters() {
        let now = loop.nowMilliseconds
        while let first = waiters.first, first.deadline <= now {
            waiters.removeFirst()
            first.callback(.failure(PostgresError(.timeout, "no PostgreSQL connection became free within \(acquireTimeout)")))
        }
        armWaiterTimer()
    }
}
