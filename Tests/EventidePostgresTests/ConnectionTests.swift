import EventidePostgres
import EventideUVLoop
import Testing

@Suite struct ConnectionTests {
    @Test func connectsAndRunsASimpleQuery() async throws {
        let test = try TestLoop()
        let connection = try await test.connect()
        let rows = try await test.query(connection, "SELECT 1 + $1::int4 AS answer, current_database() AS db", [.int32(41)])
        #expect(rows.count == 1)
        #expect(rows.columnNames == ["answer", "db"])
        #expect(rows.int64(0, "answer") == 42)
        #expect(rows.string(0, "db") == "postgres")
        let (pid, version) = await onLoop(test.loop) { done in done((connection.value.backendPID, connection.value.serverVersion)) }
        #expect(pid > 0)
        #expect(version >= 140000)
        try await test.finish(closing: [connection])
    }

    @Test func connectionStringDescriptionRedactsThePassword() throws {
        let string = try PostgresConnectionString("postgres://me:secret@127.0.0.1:5433/app?connect_timeout=3")
        #expect(!string.description.contains("secret"))
        #expect(string.description.contains("password=<redacted>"))
        #expect(string.option("port") == "5433")
        #expect(throws: PostgresError.self) { try PostgresConnectionString("host=x nonsense_option=1") }
    }
}
