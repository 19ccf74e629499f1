import EventidePostgres
import Testing

@Suite struct ConnectionStringTests {
    @Test func defaultsFillWhatTheStringLeavesOutAndServerOptionsMerge() throws {
        let given = try PostgresConnectionString("postgres://app:s'cr\\et@db:5433/app?options=-c%20statement_timeout%3D5s&keepalives_idle=30")
        let merged = try given.addingDefaults([
            ("keepalives_idle", "5"), ("tcp_user_timeout", "10000"), ("options", "-c idle_in_transaction_session_timeout=60s"),
        ])
        #expect(merged.option("keepalives_idle") == "30")  // the string's own wins
        #expect(merged.option("tcp_user_timeout") == "10000")
        #expect(merged.option("options") == "-c idle_in_transaction_session_timeout=60s -c statement_timeout=5s")
        #expect(merged.option("password") == "s'cr\\et")  // quoting kept it whole
        #expect(merged.option("host") == "db" && merged.option("port") == "5433" && merged.option("dbname") == "app")
        #expect(!merged.description.contains("s'cr"))
    }

    @Test func aDefaultThatIsNotALibpqOptionIsAClearError() throws {
        let given = try PostgresConnectionString("host=127.0.0.1")
        #expect(throws: PostgresError.self) { try given.addingDefaults([("no_such_option", "1")]) }
    }

    @Test func theServerAppliesTheMergedSettings() async throws {
        let string = try TestDatabase.url().addingDefaults([("options", "-c tcp_keepalives_idle=7")])
        let test = try TestLoop()
        let connection = try await test.connect(to: string, timeout: .seconds(5)).get()
        let rows = try await test.query(connection, "SHOW tcp_keepalives_idle")
        #expect(rows.string(0, 0) == "7")
        try await test.finish(closing: [connection])
    }
}
