import EventidePostgres
import EventideUVLoop
import Testing

@Suite struct PipelineTests {
    @Test func aFailingStatementAbortsTheRestAndCommitsNothing() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        let table = "pipeline_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await test.query(connection, "CREATE TABLE \(table) (id int8 PRIMARY KEY)")
        let insert = "INSERT INTO \(table) (id) VALUES ($1)"
        let results = await test.run(connection, [
            PostgresStatement(insert, [.int64(1)]),
            PostgresStatement(insert, [.int64(1)]),
            PostgresStatement(insert, [.int64(2)]),
        ])
        #expect(try results[0].get().affectedRows == 1)
        #expect(throws: PostgresError.self) { try results[1].get() }
        if case .failure(let error) = results[1] {
            #expect(error.kind == .server)
            #expect(error.isUniqueViolation)
        }
        if case .failure(let error) = results[2] { #expect(error.kind == .pipelineAborted) } else { Issue.record("third statement ran") }
        // The implicit transaction rolled back the first insert too; the connection goes on.
        let next = await test.run(connection, [PostgresStatement(insert, [.int64(3)]), PostgresStatement("SELECT count(*) AS n FROM \(table)")])
        #expect(try next[1].get().int64(0, "n") == 1)
        _ = try await test.query(connection, "DROP TABLE \(table)")
        try await test.finish(closing: [connection])
    }

    @Test func aSyntaxErrorIsReportedOnItsStatementAndPreparedAgainNextTime() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        let results = await test.run(connection, [
            PostgresStatement("SELECT 1"), PostgresStatement("SELEC 2"), PostgresStatement("SELECT 3"),
        ])
        #expect(try results[0].get().int64(0, 0) == 1)
        if case .failure(let error) = results[1] { #expect(error.sqlState == "42601") } else { Issue.record("syntax error ran") }
        if case .failure(let error) = results[2] { #expect(error.kind == .pipelineAborted) } else { Issue.record("third statement ran") }
        let again = await test.run(connection, [PostgresStatement("SELEC 2")])
        if case .failure(let error) = again[0] { #expect(error.sqlState == "42601") } else { Issue.record("syntax error ran") }
        #expect(try await test.query(connection, "SELECT 3").int64(0, 0) == 3)
        try await test.finish(closing: [connection])
    }

    @Test func outstandingPipelinesCompleteInOrder() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        let order: [Int64] = await onLoop(test.loop) { done in
            var seen: [Int64] = []
            for index in 0..<20 {
                // Every third one sleeps a little: later ones still wait their turn.
                let sql = index % 3 == 0 ? "SELECT $1::int8 AS i, pg_sleep(0.01)" : "SELECT $1::int8 AS i"
                connection.value.run([PostgresStatement(sql, [.int64(Int64(index))])]) { results in
                    seen.append((try? results[0].get().int64(0, "i")) ?? -1)
                    if seen.count == 20 { done(seen) }
                }
            }
            #expect(connection.value.pendingRunCount == 20)
        }
        #expect(order == Array(0..<20))
        try await test.finish(closing: [connection])
    }

    @Test func aStatementIsPreparedOncePerConnection() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        let sql = "SELECT $1::int8 + 1 AS prepared_once"
        for value in 0..<3 {
            #expect(try await test.query(connection, sql, [.int64(Int64(value))]).int64(0, 0) == Int64(value) + 1)
        }
        let prepared = try await test.query(connection, "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1", [.text(sql)])
        #expect(prepared.int64(0, "n") == 1)
        try await test.finish(closing: [connection])
    }

    @Test func runOnAClosedConnectionFailsAtOnce() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        let (closedWith, results) = await onLoop(test.loop) { done in
            var closedWith: PostgresError?? = .none
            connection.value.onClose = { closedWith = .some($0) }
            connection.value.close()
            connection.value.run([PostgresStatement("SELECT 1")]) { done((closedWith, $0)) }
        }
        #expect(closedWith == .some(nil))
        if case .failure(let error) = results[0] { #expect(error.kind == .closed) } else { Issue.record("ran after close") }
        try await test.finish()
    }
}
