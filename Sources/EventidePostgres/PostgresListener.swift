import EventideUVLoop
import Logging

/// A dedicated session that LISTENs on channels and hands their notifications to
/// `onNotification`. Loop-bound: create and use it on the client's loop; every callback
/// runs there.
///
/// The session is a connection of its own, outside the pool. When it is lost, the
/// listener reconnects with backoff (100 ms doubling to 5 s), LISTENs on every channel
/// again and calls `onReconnect`: notifications sent in between are lost, so callers
/// re-poll then. Statements run with `run` use the same session, so session state (a
/// `pg_try_advisory_lock`) lives as long as it; `onSessionLost` says it ended (and with it
/// such locks).
///
/// Behind a transaction-pooling PgBouncer LISTEN silently does nothing: `verify` sends a
/// NOTIFY through the pool and fails with `.notificationsUnsupported` when it does not
/// come back.
///
/// Like a connection, the listener keeps itself alive (its session and reconnect timer
/// hold it) until `close()`.
public final class PostgresListener {
    /// The loop the session lives on (the client's).
    public let loop: EventLoop
    private let client: PostgresClient
    private var connection: PostgresConnection?
    private var channels: [String] = []
    private var backoff = Backoff()
    private var retryTimer: LoopTimer?
    private var sessions = 0
    private var closed = false
    private var checks: [String: (timer: LoopTimer, completion: (Result<Void, PostgresError>) -> Void)] = [:]

    /// Called with each notification on a channel listened to.
    public var onNotification: ((PostgresNotification) -> Void)?
    /// Called each time a session is listening on every channel, the first included.
    public var onListening: (() -> Void)?
    /// Called when a session is listening again after a loss (after `onListening`).
    public var onReconnect: (() -> Void)?
    /// Called when the session ended (and with it its LISTENs and session-level locks).
    public var onSessionLost: ((PostgresError) -> Void)?

    /// Whether a session is open and listening.
    public var isListening: Bool { connection?.isOpen == true }
    /// The server process of the current session (0 when none).
    public var backendPID: Int32 { connection?.backendPID ?? 0 }

    /// Starts a session listening on `channels`. Call on the client's loop.
    public init(client: PostgresClient, channels: [String] = []) {
        precondition(client.loop.inEventLoop, "PostgresListener must be created on the client's loop")
        self.client = client
        self.loop = client.loop
        self.channels = channels
        connect()
    }

    /// Listens on `channel` too (now when a session is open, and on every reconnect).
    public func listen(_ channel: String, _ completion: @escaping (Result<Void, PostgresError>) -> Void = { _ in }) {
        precondition(loop.inEventLoop)
        if !channels.contains(channel) { channels.append(channel) }
        send("LISTEN", [channel], completion)
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String, _ completion: @escaping (Result<Void, PostgresError>) -> Void = { _ in }) {
        precondition(loop.inEventLoop)
        channels.removeAll { $0 == channel }
        send("UNLISTEN", [channel], completion)
    }

    /// Runs `statements` on the listening session (see `PostgresConnection.run`). Without
    /// an open session every statement fails with `.unavailable`.
    public func run(_ statements: [PostgresStatement], _ completion: @escaping ([Result<PostgresRows, PostgresError>]) -> Void) {
        precondition(loop.inEventLoop)
        guard let connection, connection.isOpen else {
            return completion(statements.map { _ in .failure(PostgresError(.unavailable, "the listening session is not connected")) })
        }
        connection.run(statements, completion)
    }

    /// Checks that notifications reach this session: sends a NOTIFY with a fresh token
    /// through the pool and waits for it. Fails with `.notificationsUnsupported` when it
    /// does not arrive within `timeout` (a transaction-pooling PgBouncer), `.unavailable`
    /// without a session.
    public func verify(timeout: Duration = .seconds(2), _ completion: @escaping (Result<Void, PostgresError>) -> Void) {
        precondition(loop.inEventLoop)
        guard let connection, connection.isOpen else {
            return completion(.failure(PostgresError(.unavailable, "the listening session is not connected")))
        }
        let channel = "eventide_verify_\(connection.backendPID)"
        let token = "\(UInt64.random(in: 0...UInt64.max))"
        let timer = LoopTimer(loop: loop)
        checks[token] = (timer, completion)
        timer.start(afterMilliseconds: UInt64(max(1, timeout.milliseconds))) { [weak self] in
            self?.endCheck(token, .failure(PostgresError(.notificationsUnsupported, """
                a NOTIFY sent through the pool did not reach the LISTEN session within \(timeout): \
                notifications do not work through this connection (a transaction-pooling PgBouncer?)
                """)))
        }
        connection.run([PostgresStatement("LISTEN \(Self.quoted(channel))")]) { [weak self] results in
            guard let self else { return }
            if case .failure(let error) = results[0] { return endCheck(token, .failure(error)) }
            client.acquire { [client] acquired in
                guard case .success(let sender) = acquired else {
                    if case .failure(let error) = acquired { self.endCheck(token, .failure(error)) }
                    return
                }
                sender.run([PostgresStatement("SELECT pg_notify($1, $2)", [.text(channel), .text(token)])]) { results in
                    client.release(sender)
                    if case .failure(let error) = results[0] { self.endCheck(token, .failure(error)) }
                }
            }
        }
    }

    /// Closes the session and stops reconnecting. Pending `verify` calls fail with `.closed`.
    public func close() {
        precondition(loop.inEventLoop)
        guard !closed else { return }
        closed = true
        retryTimer?.close()
        retryTimer = nil
        for token in Array(checks.keys) { endCheck(token, .failure(PostgresError(.closed, "the listener was closed"))) }
        connection?.close()
        connection = nil
    }

    // MARK: Session

    private func connect() {
        PostgresConnection.connect(client.pool.string, on: loop, timeout: client.pool.connectTimeout) { [self] result in
            switch result {
            case .success(let connection): didConnect(connection)
            case .failure: retryAfterBackoff()
            }
        }
    }

    private func didConnect(_ connection: PostgresConnection) {
        guard !closed else { return connection.close() }
        self.connection = connection
        connection.onNotification = { [self] in didReceive($0) }
        connection.onClose = { [self] error in didLose(error) }
        let statements = channels.map { PostgresStatement("LISTEN \(Self.quoted($0))") }
        connection.run(statements) { [self] results in
            guard connection.isOpen else { return }
            if let failure = results.lazy.compactMap({ $0.failure }).first {
                client.pool.logger.error("LISTEN failed; reconnecting", metadata: ["error": "\(failure)"])
                return connection.close()
            }
            backoff.reset()
            sessions += 1
            onListening?()
            if sessions > 1 {
                client.pool.logger.info("PostgreSQL listening session reconnected", metadata: ["backend": "\(connection.backendPID)"])
                onReconnect?()
            }
        }
    }

    private func didLose(_ error: PostgresError?) {
        connection = nil
        guard !closed else { return }
        let lost = error ?? PostgresError(.connectionLost, "the listening session was closed")
        client.pool.logger.warning("PostgreSQL listening session lost; reconnecting", metadata: ["error": "\(lost)"])
        onSessionLost?(lost)
        retryAfterBackoff()
    }

    private func retryAfterBackoff() {
        guard !closed, retryTimer == nil else { return }
        let timer = LoopTimer(loop: loop)
        retryTimer = timer
        timer.start(afterMilliseconds: backoff.next()) { [self] in
            retryTimer?.close()
            retryTimer = nil
            connect()
        }
    }

    private func didReceive(_ notification: PostgresNotification) {
        if notification.channel.hasPrefix("eventide_verify_"), checks[notification.payload] != nil {
            return endCheck(notification.payload, .success(()))
        }
        onNotification?(notification)
    }

    private func endCheck(_ token: String, _ result: Result<Void, PostgresError>) {
        guard let check = checks.removeValue(forKey: token) else { return }
        check.timer.close()
        check.completion(result)
    }

    private func send(_ command: String, _ channels: [String], _ completion: @escaping (Result<Void, PostgresError>) -> Void) {
        // Without a session the channel is still remembered: the next session LISTENs.
        guard let connection, connection.isOpen else { return completion(.success(())) }
        connection.run(channels.map { PostgresStatement("\(command) \(Self.quoted($0))") }) { results in
            completion(results.lazy.compactMap { $0.failure }.first.map { .failure($0) } ?? .success(()))
        }
    }

    /// A channel name as a quoted identifier (LISTEN takes no parameters).
    static func quoted(_ channel: String) -> String {
        "\"" + channel.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
