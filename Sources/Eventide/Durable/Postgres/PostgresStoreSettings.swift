/// How a `TaskQueue` uses PostgreSQL (`TaskQueue.Store.postgres`). Every field has a
/// default.
public struct PostgresStoreSettings: Sendable {
    /// Connections this process keeps for storing, claiming and finishing tasks; one more
    /// session listens for new tasks. Default 4.
    public var connections: Int
    /// How often this process tells the fleet it is alive. Default 2 s.
    public var heartbeatInterval: Duration
    /// A process silent this long is taken for dead: the coordinator makes its running
    /// tasks available again (they run at least once), and refuses its late results.
    /// Default 15 s.
    public var heartbeatTimeout: Duration
    /// Whether the queue creates or updates its tables when it first connects (under an
    /// advisory lock: processes starting together are safe). Default true; with false,
    /// run `TaskQueue.migrate()` from a deploy step.
    public var migrate: Bool
    /// How long connecting may take. Default 5 s.
    public var connectTimeout: Duration
    /// The fleet's coordinator vacuums `eventide_tasks` once this many dead rows have
    /// built up (every claim and every result leaves one), spending at most a tenth of
    /// its time on it: claims walk the index entries of dead rows until a VACUUM, and
    /// autovacuum comes by only once a minute by default. nil: leave it to autovacuum.
    /// Needs the role to own the table (the one that migrated it does). Default 50,000.
    public var vacuumThreshold: Int?

    /// The defaults, changed where given.
    public init(
        connections: Int = 4, heartbeatInterval: Duration = .seconds(2), heartbeatTimeout: Duration = .seconds(15), migrate: Bool = true,
        connectTimeout: Duration = .seconds(5), vacuumThreshold: Int? = 50_000
    ) {
        self.connections = max(1, connections)
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = max(heartbeatTimeout, heartbeatInterval * 2)
        self.migrate = migrate
        self.connectTimeout = connectTimeout
        self.vacuumThreshold = vacuumThreshold.map { max(1, $0) }
    }
}
