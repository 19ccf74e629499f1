import EventidePostgres
import Foundation
import Testing

/// The throw-away cluster `scripts/with-postgres.sh` starts for the tests (`make test`
/// runs the suite through it).
enum TestDatabase {
    /// The cluster's URL, from `EVENTIDE_TEST_POSTGRES_URL`. Without it the calling test
    /// fails loudly: these tests need a real server and never pass without one.
    static func url(sourceLocation: SourceLocation = #_sourceLocation) throws -> PostgresConnectionString {
        guard let url = ProcessInfo.processInfo.environment["EVENTIDE_TEST_POSTGRES_URL"], !url.isEmpty else {
            Issue.record("""
                EVENTIDE_TEST_POSTGRES_URL is not set: the PostgreSQL tests need a server. \
                Run `make test`, or `scripts/with-postgres.sh swift test`, which start a throw-away cluster.
                """, sourceLocation: sourceLocation)
            throw MissingServer()
        }
        return try PostgresConnectionString(url)
    }

    struct MissingServer: Error {}
}
