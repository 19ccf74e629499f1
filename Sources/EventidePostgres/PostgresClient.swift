import EventideUVLoop
import Logging

/// A small pool of PostgreSQL connections on one loop: its own `EventLoopThread` (named
/// "eventide-postgres", which Linux shortens to "eventide-postgr") or a loop the caller
/// gives.
///
/// `Sendable`: the async methods may be called from anywhere; each hops to the loop, runs
/// there on a pooled connection and resumes the caller with the result. Callers that live
/// on the loop (a store driven by loop callbacks) use `acquire` and `release` directly.
///
/// Connections are opened on demand, up to `size`; once one has been made, one is kept
/// open. A lost connection is dropped and replaced after a backoff delay (100 ms doubling
/// to 5 s, jittered). While the server cannot be reached, requests fail at once with
/// `.unavailable` instead of waiting. State changes are logged once each: connection lost,
/// server unreachable, reachable again.
public final class PostgresClient: Sendable {
    /// The loop the connections live on.
    public let loop: EventLoop
    let pool: ConnectionPool
    private let ownThread: EventLoopThread?

    /// Creates the pool; nothing connects until the first request.
    ///
    /// - Parameters:
    ///   - size: the most connections open at once (at least 1).
    ///   - loop: the loop to run on; nil starts a thread of the client's own.
    ///   - connectTimeout: how long one connect attempt may take.
    ///   - acquireTimeout: how long a request may wait for a free connection.
    /// - Throws: `UVError` when the client's own loop thread cannot be started.
    public init(
        _ string: PostgresConnectionString, size: Int = 4, loop: EventLoop? = nil,
        connectTimeout: Duration = .seconds(5), acquireTimeout: Duration = .seconds(5), logger: Logger
    ) throws(UVError) {
        if let loop {
            ownThread = nil
            self.loop = loop
        } else {
            let thread = try EventLoopThread(name: "eventide-postgres")
            ownThread = thread
            self.loop = thread.loop
        }
        pool = ConnectionPool(string: string, size: size, loop: self.loop, connectTimeout: connectTimeout,
                              acquireTimeout: acquireTimeout, logger: logger)
    }

    /// Whether a connection is open or could be made on the last attempt. Any thread.
    public var isAvailable: Bool { pool.available.load(ordering: .relaxed) }

    /// Hands `callback` a connection: a free one now, else the next one released or
    /// opened (first come, first served). Fails at once with `.unavailable` while the
    /// server cannot be reached, with `.timeout` when none is free within the acquire
    /// timeout, and with `.closed` after `close()`. Call on the loop; `callback` runs there.
    /// Give the connection back with `release` after its last completion.
    public func acquire(_ callback: @escaping (Result<PostgresConnection, PostgresError>) -> Void) {
        pool.acquire(callback)
    }

    /// Returns a connection from `acquire`. A lost one is dropped (and replaced); one left
    /// in a transaction block is rolled back first. Call on the loop.
    public func release(_ connection: PostgresConnection) {
        pool.release(connection)
    }

    /// Runs one statement on a pooled connection.
    ///
    /// - Throws: `PostgresError`.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await pipeline([PostgresStatement(sql, parameters)])[0]
    }

    /// Runs `statements` as one pipeline on a pooled connection: one round trip, one
    /// implicit transaction (all commit or none do).
    ///
    /// - Throws: the first statement's failure (`PostgresError`).
    public func pipeline(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        let results: [Result<PostgresRows, PostgresError>] = try await onLoop { [pool] resume in
            pool.acquire { acquired in
                switch acquired {
                case .failure(let error):
                    resume(.failure(error))
                case .success(let connection):
                    connection.run(statements) { results in
                        pool.release(connection)
                        resume(.success(results))
                    }
                }
            }
        }
        return try results.map { try $0.get() }
    }

    /// Stops reconnecting, fails waiting requests, closes every connection and, when the
    /// client runs its own loop thread, that thread. Later calls fail with `.closed`.
    public func close() async {
        let ownThread = self.ownThread
        let loop = self.loop
        let stopped: Void? = try? await onLoop { [pool] resume in
            pool.close {
                if ownThread != nil { loop.closeWakeup() }
                resume(.success(()))
            }
        }
        // The loop is past its last handle here (close callbacks only), so this wait is short.
        if stopped != nil, let ownThread {
            do { try ownThread.join() } catch { pool.logger.error("the PostgreSQL loop closed with handles open: \(error)") }
        }
    }

    /// Runs `body` on the loop and resumes with what it passes to `resume`.
    ///
    /// - Throws: `.closed` when the loop no longer accepts work.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (_ resume: @escaping (Result<T, PostgresError>) -> Void) -> Void) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = loop.execute { body { continuation.resume(with: $0) } }
            if !accepted { continuation.resume(throwing: PostgresError(.closed, "the PostgreSQL client is closed")) }
        }
    }
}
