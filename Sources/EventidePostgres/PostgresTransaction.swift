import EventideUVLoop

/// A pooled connection checked out for one explicit transaction (`BEGIN` ... `COMMIT`).
/// `Sendable`: its methods hop to the client's loop. Valid only inside the
/// `withTransaction` body that received it.
public final class PostgresTransaction: Sendable {
    let connection: LoopBound<PostgresConnection>
    private let state = Locked(State())

    private struct State {
        var finished = false
        /// The first statement that failed: the transaction is aborted, COMMIT would roll back.
        var failure: PostgresError?
    }

    init(connection: LoopBound<PostgresConnection>) {
        self.connection = connection
    }

    /// Runs one statement in the transaction.
    ///
    /// - Throws: `PostgresError`; after a failure the transaction is aborted and
    ///   `withTransaction` rolls it back even if the body goes on.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await pipeline([PostgresStatement(sql, parameters)])[0]
    }

    /// Runs `statements` as one pipeline in the transaction (one round trip).
    ///
    /// - Throws: the first statement's failure (`PostgresError`).
    public func pipeline(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        guard !state.withLock({ $0.finished }) else {
            throw PostgresError(.closed, "the transaction is over: use it only inside its withTransaction body")
        }
        do {
            return try await run(statements).map { try $0.get() }
        } catch let error as PostgresError {
            state.withLock { if $0.failure == nil { $0.failure = error } }
            throw error
        }
    }

    /// The first failure seen, and marks the transaction over.
    func finish() -> PostgresError? {
        state.withLock { state in
            state.finished = true
            return state.failure
        }
    }

    func run(_ statements: [PostgresStatement]) async throws -> [Result<PostgresRows, PostgresError>] {
        let connection = self.connection
        return try await withCheckedThrowingContinuation { continuation in
            let accepted = connection.loop.execute {
                connection.value.run(statements) { continuation.resume(returning: $0) }
            }
            if !accepted { continuation.resume(throwing: PostgresError(.closed, "the PostgreSQL client is closed")) }
        }
    }
}

extension PostgresClient {
    /// Runs `body` in an explicit transaction on one pooled connection: `BEGIN`, the body's
    /// statements, then `COMMIT`, or `ROLLBACK` when the body throws or one of its
    /// statements failed (then that failure is thrown, even if the body caught it).
    ///
    /// - Throws: the body's error, the first failed statement's, or COMMIT's
    ///   (`PostgresError`; a connection loss during COMMIT leaves the outcome unknown).
    public func withTransaction<T: Sendable>(_ body: (PostgresTransaction) async throws -> T) async throws -> T {
        let connection: LoopBound<PostgresConnection> = try await onLoop { [pool] resume in
            pool.acquire { acquired in
                switch acquired {
                case .failure(let error):
                    resume(.failure(error))
                case .success(let connection):
                    connection.run([PostgresStatement("BEGIN")]) { results in
                        if case .failure(let error) = results[0] {
                            pool.release(connection)
                            return resume(.failure(error))
                        }
                        resume(.success(LoopBound(connection, loop: connection.loop)))
                    }
                }
            }
        }
        let transaction = PostgresTransaction(connection: connection)
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(transaction))
        } catch {
            outcome = .failure(error)
        }
        let failure = transaction.finish()
        let commit = outcome.isSuccess && failure == nil
        let ended = try? await transaction.run([PostgresStatement(commit ? "COMMIT" : "ROLLBACK")])
        _ = try? await onLoop { [pool] (resume: @escaping (Result<Bool, PostgresError>) -> Void) in
            pool.release(connection.value)
            resume(.success(true))
        }
        if let failure, outcome.isSuccess { throw failure }
        let value = try outcome.get()
        guard let ended else { throw PostgresError(.closed, "the PostgreSQL client was closed before COMMIT") }
        _ = try ended[0].get()
        return value
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
