import EventidePostgres

/// The tables of the PostgreSQL task store and the steps that build them, one version at
/// a time. `migrate` runs the steps a database lacks in one transaction, under an advisory
/// lock: processes starting together wait for the first, then find nothing to do.
enum PostgresTaskSchema {
    /// The version this code writes; a database at a newer one is refused.
    static let version = 1

    /// Step `n` brings a database from version `n - 1` to `n`: one statement per string
    /// (the extended protocol takes one at a time).
    static let steps: [Int: [String]] = [
        1: [
            """
            CREATE TABLE eventide_tasks (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind text NOT NULL,
                queue text NOT NULL,
                arguments json NOT NULL,
                state text NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'retryable', 'completed', 'discarded', 'cancelled')),
                priority integer NOT NULL,
                attempt integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL,
                unique_key text,
                created_at timestamptz NOT NULL DEFAULT now(),
                run_at timestamptz NOT NULL,
                attempted_at timestamptz,
                finished_at timestamptz,
                worker text,
                errors jsonb NOT NULL DEFAULT '[]',
                timeout_ms bigint
            )
            """,
            """
            CREATE UNIQUE INDEX eventide_tasks_unique_key ON eventide_tasks (unique_key)
                WHERE unique_key IS NOT NULL AND state IN \(PostgresTaskSQL.unfinished)
            """,
            "CREATE INDEX eventide_tasks_due ON eventide_tasks (queue, priority, run_at, id) WHERE state IN \(PostgresTaskSQL.due)",
            "CREATE INDEX eventide_tasks_due_any_queue ON eventide_tasks (priority, run_at, id) WHERE state IN \(PostgresTaskSQL.due)",
            "CREATE INDEX eventide_tasks_running ON eventide_tasks (worker) WHERE state = 'running'",
            "CREATE INDEX eventide_tasks_finished ON eventide_tasks (finished_at) WHERE finished_at IS NOT NULL",
            "CREATE TABLE eventide_periodic (name text PRIMARY KEY, schedule text NOT NULL, next_run_at timestamptz)",
            """
            CREATE TABLE eventide_workers (
                id text PRIMARY KEY,
                host text NOT NULL,
                pid integer NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                heartbeat_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE TABLE eventide_queues (name text PRIMARY KEY, paused boolean NOT NULL DEFAULT false)",
            "CREATE TABLE eventide_coordinator (id integer PRIMARY KEY CHECK (id = 1), worker text NOT NULL, expires_at timestamptz NOT NULL)",
        ],
    ]

    /// Brings the database up to `version`; returns the version it was at (0: empty).
    ///
    /// - Throws: `PostgresTaskStoreError.newerSchema` for a database written by a newer
    ///   Eventide; the server's error when a step fails (nothing of it stays).
    @discardableResult
    static func migrate(_ client: PostgresClient) async throws -> Int {
        try await client.withTransaction { transaction in
            _ = try await transaction.query("SELECT pg_advisory_xact_lock(\(PostgresTaskSQL.migrationLock))")
            _ = try await transaction.query("CREATE TABLE IF NOT EXISTS eventide_schema (version integer NOT NULL)")
            let rows = try await transaction.query("SELECT version FROM eventide_schema")
            let found = rows.count > 0 ? Int(rows.int64(0, 0) ?? 0) : 0
            guard found <= version else { throw PostgresTaskStoreError.newerSchema(found: found, supported: version) }
            guard found < version else { return found }
            for step in (found + 1)...version {
                for sql in steps[step] ?? [] { _ = try await transaction.query(sql) }
            }
            if rows.count == 0 {
                _ = try await transaction.query("INSERT INTO eventide_schema (version) VALUES ($1)", [.int32(Int32(version))])
            } else {
                _ = try await transaction.query("UPDATE eventide_schema SET version = $1", [.int32(Int32(version))])
            }
            return found
        }
    }
}

/// Why the PostgreSQL task store cannot be used.
package enum PostgresTaskStoreError: Error, Equatable, CustomStringConvertible {
    /// The database was set up by a newer Eventide.
    case newerSchema(found: Int, supported: Int)
    /// The store is closed.
    case closed
    /// The store has not reached the database yet (or lost it) and cannot take the call.
    case unavailable(String)
    /// A unique key was held when the task was stored but by no task a moment later (the
    /// holder finished in between); storing it again found the same, several times.
    case uniqueKeyRace(key: String)

    package var description: String {
        switch self {
        case .newerSchema(let found, let supported):
            "the task tables were made by a newer Eventide (schema \(found); this one knows up to \(supported))"
        case .closed: "the task store is closed"
        case .unavailable(let reason): "the task store cannot reach PostgreSQL: \(reason)"
        case .uniqueKeyRace(let key): "unique key \"\(key)\" changed hands while the task was stored; try again"
        }
    }
}
