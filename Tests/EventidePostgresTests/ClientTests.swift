import EventidePostgres
import EventideUVLoop
import Logging
import Testing

let testLogger = Logger(label: "eventide.postgres.tests")

@Suite struct ClientTests {
    @Test func queriesAndPipelinesFromAsyncCode() async throws {
        let client = try PostgresClient(try TestDatabase.url(), size: 2, logger: testLogger)
        #expect(try await client.query("SELECT $1::text AS s", [.text("hi")]).string(0, "s") == "hi")
        let rows = try await client.pipeline([PostgresStatement("SELECT 1"), PostgresStatement("SELECT 2")])
        #expect(rows.map { $0.int64(0, 0) } == [1, 2])
        await withThrowingTaskGroup(of: Int64?.self) { group in
            for index in 0..<20 {
                group.addTask { try await client.query("SELECT $1::int8", [.int64(Int64(index))]).int64(0, 0) }
            }
        }
        #expect(client.isAvailable)
        await client.close()
        await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
    }

    @Test func closeLeavesNoHandleOpenOnTheCallersLoop() async throws {
        let thread = try EventLoopThread()
        let client = try PostgresClient(try TestDatabase.url(), loop: thread.loop, logger: testLogger)
        _ = try await client.query("SELECT 1")
        await client.close()
        let loop = thread.loop
        let open = await onLoop(loop) { done in done(loop.openHandleCount) }
        #expect(open == 1)  // the loop's own wake-up handle
        loop.execute { loop.closeWakeup() }
        try thread.join()
    }

    @Test func withTransactionCommitsAndRollsBack() async throws {
        let client = try PostgresClient(try TestDatabase.url(), logger: testLogger)
        let table = "transaction_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await client.query("CREATE TABLE \(table) (id int8 PRIMARY KEY)")
        let committed = try await client.withTransaction { transaction in
            _ = try await transaction.query("INSERT INTO \(table) VALUES (1)")
            return try await transaction.query("SELECT count(*) FROM \(table)").int64(0, 0)
        }
        #expect(committed == 1)
        struct Abandon: Error {}
        await #expect(throws: Abandon.self) {
            try await client.withTransaction { transaction in
                _ = try await transaction.query("INSERT INTO \(table) VALUES (2)")
                throw Abandon()
            }
        }
        // A failed statement the body swallowed still rolls the transaction back.
        await #expect(throws: PostgresError.self) {
            try await client.withTransaction { transaction in
                _ = try await transaction.query("INSERT INTO \(table) VALUES (3)")
                _ = try? await transaction.query("INSERT INTO \(table) VALUES (1)")
            }
        }
        #expect(try await client.query("SELECT array_agg(id)::text FROM \(table)").string(0, 0) == "{1}")
        _ = try await client.query("DROP TABLE \(table)")
        await client.close()
    }

    @Test func aTerminatedConnectionIsReplaced() async throws {
        let client = try PostgresClient(try TestDatabase.url(), size: 1, logger: testLogger)
        let first = try await client.query("SELECT pg_backend_pid()").int64(0, 0)!
        let killer = try PostgresClient(try TestDatabase.url(), size: 1, logger: testLogger)
        _ = try await killer.query("SELECT pg_terminate_backend($1)", [.int32(Int32(first))])
        // The pool sees the hang-up, drops the connection and opens another.
        var second: Int64?
        for _ in 0..<100 {
            second = try? await client.query("SELECT pg_backend_pid()").int64(0, 0)
            if let second, second != first { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(second != nil && second != first)
        await killer.close()
        await client.close()
    }

    @Test func waitersAreServedInOrderAndTimeOut() async throws {
        let client = try PostgresClient(try TestDatabase.url(), size: 1, acquireTimeout: .milliseconds(200), logger: testLogger)
        _ = try await client.query("SELECT 1")
        let loop = client.loop
        let outcome: [String] = await onLoop(loop) { done in
            var events: [String] = []
            client.acquire { held in
                guard case .success(let connection) = held else { return done(["first failed"]) }
                var secondHeld: PostgresConnection?
                client.acquire { second in
                    events.append(second.isSuccess ? "second" : "second failed")
                    secondHeld = try? second.get()
                }
                client.acquire { third in
                    events.append(third.isSuccess ? "third" : "third \(third.failure!.kind)")
                    secondHeld.map(client.release)
                    done(events)
                }
                events.append("released")
                client.release(connection)
            }
        }
        #expect(outcome == ["released", "second", "third timeout"])
        await client.close()
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
