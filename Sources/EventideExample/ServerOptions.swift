import ArgumentParser
import Eventide
import Logging

/// Where to listen and how much to log: every example takes these.
struct ListenOptions: ParsableArguments {
    @Option(help: "The address to bind.")
    var host = "127.0.0.1"

    @Option(help: "The port to bind (0 picks a free one).")
    var port = 8000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    /// A stderr logger at the chosen level.
    func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }
}

/// Options of the examples that run a whole server (`run()`).
struct ServerOptions: ParsableArguments {
    @OptionGroup var listen: ListenOptions

    @Option(help: "Event loops, each on its own thread with its own SO_REUSEPORT listener.")
    var loops = 1

    /// Optional, the library's default (`ServerConfiguration`, 30 s) named in the help text:
    /// ArgumentParser formats each option's default while it builds the option set, at
    /// every start, and formatting a `Double` brings in the float-printing code and tables
    /// for nothing else.
    @Option(name: .customLong("shutdown-timeout"), help: "Seconds a shutdown waits for requests and background tasks (default: 30).")
    var shutdownTimeout: Double?

    @Option(name: .customLong("pool-threads"), help: "Threads of the blocking background-task pool.")
    var poolThreads = 4

    @Option(name: .customLong("max-pending-tasks"), help: "Background tasks accepted and unfinished before new ones get 503.")
    var maxPendingTasks = 10_000

    @OptionGroup var metrics: MetricsOptions

    /// Serves `router` until SIGINT/SIGTERM. Exits with status 1 when accepted
    /// background tasks were still unfinished at the shutdown deadline.
    func serve(_ router: Router, label: String, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        let logger = listen.makeLogger(label: label)
        let metricsServer = try startMetricsServer(beside: router, logger: logger)
        let report = try Server(router: router, configuration: configuration(configure), logger: logger).run()
        metricsServer?.shutdown()
        _ = try metricsServer?.wait()
        try Self.exitStatus(of: report, logger: logger)
    }

    /// With `--metrics`, starts the server of `GET /metrics` on its own port and returns
    /// it (nil when off, or on the app's port: `router` then has the route). Call before
    /// making the app's server and queue: it bootstraps swift-metrics.
    func startMetricsServer(beside router: Router, logger: Logger) throws -> Server? {
        guard let server = try metrics.metricsServer(beside: router, host: listen.host, logger: logger) else { return nil }
        try server.start()
        logger.info("metrics served at /metrics", metadata: ["metrics-port": "\(server.port ?? 0)"])
        return server
    }

    /// The server's configuration from these options, then `configure`.
    func configuration(_ configure: (inout ServerConfiguration) -> Void = { _ in }) -> ServerConfiguration {
        var configuration = ServerConfiguration(host: listen.host, port: listen.port, loops: loops)
        if metrics.metrics { configuration.metrics = .global }
        if let shutdownTimeout { configuration.shutdownTimeout = .milliseconds(Int64(shutdownTimeout * 1000)) }
        configuration.backgroundTasks.threadPoolSize = poolThreads
        configuration.backgroundTasks.maxPendingTasks = maxPendingTasks
        configure(&configuration)
        return configuration
    }

    /// Throws exit status 1 when `report` names unfinished background tasks.
    static func exitStatus(of report: ShutdownReport, logger: Logger) throws {
        guard !report.drainedCompletely else { return }
        logger.error("exiting with unfinished background tasks", metadata: ["count": "\(report.unfinishedTasks.count)"])
        throw ExitCode(1)
    }
}

/// Where the tutorial apps write their files.
struct WorkdirOption: ParsableArguments {
    @Option(help: "The directory where log files are written.")
    var workdir = "."

    /// `name` inside the work directory.
    func path(_ name: String) -> String { workdir.hasSuffix("/") ? workdir + name : workdir + "/" + name }
}

/// The level names, spelled out: ArgumentParser's defaults for a `CaseIterable`
/// `RawRepresentable` type would build the same strings through a key path and
/// `String(describing:)` each time an option set is built.
extension Logger.Level: @retroactive ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }
    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
    public var defaultValueDescription: String { rawValue }
}
