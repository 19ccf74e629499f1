import EventideHTTP1

/// How a `Server` listens, what it accepts and how it shuts down. Every field has a
/// documented default.
public struct ServerConfiguration: Sendable {
    /// The address to bind: an IPv4/IPv6 literal or "localhost". Default "127.0.0.1".
    public var host: String
    /// The port to bind; 0 picks a free port (see `Server.port`). Default 8000.
    public var port: Int
    /// Event loops, each on its own thread with its own listening socket
    /// (`SO_REUSEPORT`); the kernel spreads connections across them. A request's loop
    /// tasks run on the loop that served it; the blocking pool is shared. Default 1.
    public var loops: Int
    /// The listen backlog. Default 1024.
    public var backlog: Int32
    /// Parser limits: request line, header bytes and count, body size, pipelined input.
    /// Defaults: 8 KiB, 16 KiB, 100 headers, 8 MiB body, 64 KiB buffered input.
    public var limits: HTTPLimits
    /// Above this many unsent response bytes a connection stops reading requests and
    /// streaming bodies wait. Default 256 KiB.
    public var writeBufferHighWatermark: Int
    /// Below this many unsent bytes reading and streaming resume. Default 64 KiB.
    public var writeBufferLowWatermark: Int
    /// How long a graceful shutdown waits for in-flight requests and background tasks
    /// before closing connections and cancelling unfinished tasks. Default 30 s.
    public var shutdownTimeout: Duration
    /// Read, idle and write-stall timeouts (see its fields).
    public var timeouts: ServerTimeouts
    /// Open connections the server holds (split evenly across loops). A connection
    /// beyond it is answered `503` with `Retry-After: 1` and closed. Default 10,000.
    public var maxConnections: Int
    /// How long a connection closed by the server keeps discarding the peer's input so
    /// the final response is not lost to a TCP reset. Default 2 s.
    public var lingerTimeout: Duration
    /// Whether the blocking `Server.run()` handles SIGINT/SIGTERM: the first starts a
    /// graceful shutdown, a second exits at once. Default true. The `Service` `run()`
    /// leaves signals to its `ServiceGroup`, and `start()` to the caller.
    public var handlesSignals: Bool
    /// The `Server` response header, or nil to send none. Default nil.
    public var serverName: String?
    /// Background task pool size, capacity and failure behaviour (see its fields).
    public var backgroundTasks: BackgroundTaskConfiguration
    /// Where `tasks.add(durable:)` commits durable tasks, and whose workers the server
    /// starts and, at shutdown, stops (nil, the default: durable tasks are refused).
    public var taskQueue: TaskQueue?
    /// Request, connection and loop metrics through swift-metrics (`ServerMetrics` lists
    /// them): `.off` (the default), `.global` (into `MetricsSystem.factory`) or
    /// `.factory(f)`.
    public var metrics: MetricsReporting

    /// Creates a configuration; every argument has the default documented on its field.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8000,
        loops: Int = 1,
        backlog: Int32 = 1024,
        limits: HTTPLimits = HTTPLimits(),
        writeBufferHighWatermark: Int = 256 * 1024,
        writeBufferLowWatermark: Int = 64 * 1024,
        shutdownTimeout: Duration = .seconds(30),
        timeouts: ServerTimeouts = ServerTimeouts(),
        maxConnections: Int = 10_000,
        lingerTimeout: Duration = .seconds(2),
        handlesSignals: Bool = true,
        serverName: String? = nil,
        backgroundTasks: BackgroundTaskConfiguration = BackgroundTaskConfiguration(),
        taskQueue: TaskQueue? = nil,
        metrics: MetricsReporting = .off
    ) {
        self.host = host
        self.port = port
        self.loops = loops
        self.backlog = backlog
        self.limits = limits
        self.writeBufferHighWatermark = writeBufferHighWatermark
        self.writeBufferLowWatermark = writeBufferLowWatermark
        self.shutdownTimeout = shutdownTimeout
        self.timeouts = timeouts
        self.maxConnections = maxConnections
        self.lingerTimeout = lingerTimeout
        self.handlesSignals = handlesSignals
        self.serverName = serverName
        self.backgroundTasks = backgroundTasks
        self.taskQueue = taskQueue
        self.metrics = metrics
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, never negative.
    package var wholeMilliseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    /// Whole nanoseconds, clamped to 0...Int64.max (timers, swift-metrics timers).
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (total, overflowTotal) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowTotal ? .max : total
    }
}
