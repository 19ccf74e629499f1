import EventidePostgres
import Foundation
import Logging
import Testing

/// Databases for the PostgreSQL task-store tests, each test its own (the coordinator's
/// advisory lock and the LISTEN channel are per database), on the throw-away cluster that
/// `make test` starts (scripts/with-postgres.sh exports its URL).
enum PostgresTestDatabase {
    /// The cluster's URL; records a failing issue when it is missing (never a silent skip).
    static var clusterURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["EVENTIDE_TEST_POSTGRES_URL"], !url.isEmpty else {
                Issue.record("""
                    EVENTIDE_TEST_POSTGRES_URL is not set: the PostgreSQL tests need a server. Run `make test`, or \
                    `scripts/with-postgres.sh swift test`, which start a throw-away cluster.
                    """)
                throw MissingServer()
            }
            return url
        }
    }

    struct MissingServer: Error {}

    /// A new empty database; returns its URL.
    static func fresh() async throws -> String {
        let cluster = try clusterURL
        let name = "eventide_test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        let admin = try PostgresClient(try PostgresConnectionString(cluster), size: 1, logger: Logger(label: "test-admin"))
        do {
            _ = try await admin.query("CREATE DATABASE \(name)")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        return url(cluster, database: name)
    }

    /// `cluster` with its database replaced by `database`.
    static func url(_ cluster: String, database: String) -> String {
        guard var components = URLComponents(string: cluster) else { return cluster }
        components.path = "/" + database
        return components.string ?? cluster
    }
}
