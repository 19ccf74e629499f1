import EventidePostgres
import EventideUVLoop
import Testing

/// Runs `body` on `loop` and returns what it passes to its callback.
func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable (@escaping (T) -> Void) -> Void) async -> T {
    await withCheckedContinuation { continuation in
        loop.execute { body { continuation.resume(returning: $0) } }
    }
}

/// A loop thread for one test, with helpers to connect and run statements on it.
struct TestLoop {
    let thread: EventLoopThread
    var loop: EventLoop { thread.loop }

    init() throws {
        thread = try EventLoopThread()
    }

    func connect(timeout: Duration = .seconds(5)) async throws -> LoopBound<PostgresConnection> {
        let url = try TestDatabase.url()
        return try await connect(to: url, timeout: timeout).get()
    }

    func connect(to url: PostgresConnectionString, timeout: Duration) async -> Result<LoopBound<PostgresConnection>, PostgresError> {
        await timedConnect(to: url, timeout: timeout).result
    }

    /// Connects and measures, on the loop, how long the connect took (a busy test
    /// process may take longer to resume the awaiting test).
    func timedConnect(to url: PostgresConnectionString, timeout: Duration) async -> (result: Result<LoopBound<PostgresConnection>, PostgresError>, elapsed: Duration) {
        let loop = self.loop
        return await onLoop(loop) { done in
            let start = EventLoop.monotonicNanoseconds
            PostgresConnection.connect(url, on: loop, timeout: timeout) { result in
                let elapsed = Duration.nanoseconds(Int64(EventLoop.monotonicNanoseconds - start))
                done((result.map { LoopBound($0, loop: loop) }, elapsed))
            }
        }
    }

    func run(_ connection: LoopBound<PostgresConnection>, _ statements: [PostgresStatement]) async -> [Result<PostgresRows, PostgresError>] {
        await onLoop(loop) { done in connection.value.run(statements, done) }
    }

    func query(_ connection: LoopBound<PostgresConnection>, _ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await run(connection, [PostgresStatement(sql, parameters)])[0].get()
    }

    /// Closes `connections`, then the loop; fails when a handle was left open.
    func finish(closing connections: [LoopBound<PostgresConnection>] = []) async throws {
        let loop = self.loop
        _ = await onLoop(loop) { (done: @escaping (Bool) -> Void) in
            for connection in connections { connection.value.close() }
            loop.closeWakeup()
            done(true)
        }
        try thread.join()
    }
}
