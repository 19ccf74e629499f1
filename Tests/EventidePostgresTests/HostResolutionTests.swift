@testable import EventidePostgres
import Testing

/// Host names are looked up on libuv's thread pool before libpq connects, so libpq never
/// calls the blocking `getaddrinfo` on the loop.
@Suite struct HostResolutionTests {
    @Test func onlyNamesAreLookedUpFirst() throws {
        func names(_ string: String) throws -> [String]? { try PostgresConnectionString(string).hostNamesToResolve }
        #expect(try names("postgres://app@db.internal:5432/app") == ["db.internal"])
        #expect(try names("host=a,b port=5432,5433") == ["a", "b"])
        #expect(try names("host=127.0.0.1") == nil)
        #expect(try names("host=::1") == nil)
        #expect(try names("host=/var/run/postgresql") == nil)  // a socket directory
        #expect(try names("host=db hostaddr=10.0.0.5") == nil)  // the user gave the address
        #expect(try names("host=db,127.0.0.1") == nil)  // a mixed list is left to libpq
        #expect(try names("dbname=app") == nil)
    }

    @Test func eachAddressBecomesAHostaddrEntryAndKeepsItsNameAndPort() throws {
        let string = try PostgresConnectionString("host=a,b port=5432,5433 dbname=app")
        let resolved = try string.resolved([["10.0.0.1", "10.0.0.2"], ["::1"]])
        #expect(resolved.option("host") == "a,a,b")
        #expect(resolved.option("hostaddr") == "10.0.0.1,10.0.0.2,::1")
        #expect(resolved.option("port") == "5432,5432,5433")
        #expect(resolved.option("dbname") == "app")
        // A name that did not resolve drops out; none resolving is a connect failure.
        #expect(try string.resolved([[], ["10.0.0.9"]]).option("host") == "b")
        #expect(throws: PostgresError.self) { try string.resolved([[], []]) }
    }

    @Test func aServerReachedByNameConnects() async throws {
        let url = try TestDatabase.url().setting([(keyword: "host", value: "localhost")])
        let test = try TestLoop()
        let connection = try await test.connect(to: url, timeout: .seconds(5)).get()
        #expect(try await test.query(connection, "SELECT 1").int64(0, 0) == 1)
        try await test.finish(closing: [connection])
    }

    @Test func aNameThatDoesNotResolveFailsClearly() async throws {
        let url = try TestDatabase.url().setting([(keyword: "host", value: "no-such-host.invalid")])
        let test = try TestLoop()
        let result = await test.connect(to: url, timeout: .seconds(5))
        guard case .failure(let error) = result else {
            Issue.record("connected to no-such-host.invalid")
            return
        }
        #expect(error.kind == .connectFailed)
        #expect("\(error)".contains("no-such-host.invalid"))
        try await test.finish()
    }
}
