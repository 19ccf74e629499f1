import Dispatch
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on a libuv event loop.
///
/// ```swift
/// let router = Router()
/// router.get("/plaintext") { _ in "Hello, World!" }
/// try Server(router: router).run()   // until SIGINT/SIGTERM
/// ```
///
/// `run()` serves on the calling thread; `start()` serves on a thread of its own and
/// returns once listening. `shutdown()` (any thread) stops gracefully: no new
/// connections, idle keep-alive connections closed, in-flight requests answered.
public final class Server: Sendable {
    /// The configuration the server was created with.
    public let configuration: ServerConfiguration
    let routes: RouteTable
    let logger: Logger
    let backgroundTasks: BackgroundTaskService
    private let state = Mutex(State())

    private struct State {
        var started = false
        var port: Int?
        var cores: [LoopBound<ServerCore>] = []
        var threads: [EventLoopThread] = []
        var unfinishedTasks: [String] = []
        var shuttingDown = false
    }

    /// Creates a server from the routes registered on `router` (frozen now).
    ///
    /// - Throws: `RouteDefinitionError` for an invalid or conflicting route.
    public init(router: Router, configuration: ServerConfiguration = ServerConfiguration(), logger: Logger = Logger(label: "eventide")) throws {
        precondition(configuration.loops >= 1, "a server needs at least one loop")
        self.configuration = configuration
        self.routes = try router.freeze()
        self.logger = logger
        self.backgroundTasks = BackgroundTaskService(configuration: configuration.backgroundTasks, logger: logger)
    }

    /// Counts of background tasks since the server started.
    public var backgroundTaskStatistics: BackgroundTaskStatistics { backgroundTasks.counters.snapshot }

    /// The bound port once the server listens (the real one when configured with 0).
    public var port: Int? { state.withLock { $0.port } }

    /// Serves on the calling thread until shut down (by `shutdown()`, or by SIGINT or
    /// SIGTERM when `configuration.handlesSignals`), then closes the loop.
    ///
    /// - Returns: whether every accepted background task finished (exit with a failure
    ///   status when not).
    /// - Throws: a `UVError` when binding fails or the loop cannot close cleanly.
    @discardableResult
    public func run() throws -> ShutdownReport {
        markStarted()
        let loop = try EventLoop()
        let port: Int
        do {
            port = try launchCore(index: 0, on: loop, port: configuration.port, handlingSignals: configuration.handlesSignals)
        } catch {
            loop.closeWakeup()
            loop.run()
            try loop.close()
            throw error
        }
        do {
            try startThreadLoops(from: 1, port: port)
        } catch {
            shutdown()
            loop.run()
            try loop.close()
            try joinThreads()
            throw error
        }
        loop.run()
        try loop.close()
        try joinThreads()
        return finalReport()
    }

    /// Starts serving on loops of their own (`configuration.loops` threads) and
    /// returns once every loop listens. Pair with `shutdown()` and `wait()`.
    public func start() throws {
        markStarted()
        do {
            try startThreadLoops(from: 0, port: configuration.port)
        } catch {
            shutdown()
            try joinThreads()
            throw error
        }
    }

    /// Begins a graceful shutdown on every loop. Safe from any thread; repeated calls
    /// are harmless.
    public func shutdown() {
        let cores = state.withLock { state in
            state.shuttingDown = true
            return state.cores
        }
        for core in cores {
            core.loop.execute { core.value.beginShutdown() }
        }
    }

    /// Waits until a server started with `start()` has stopped and its loops closed.
    ///
    /// - Returns: whether every accepted background task finished.
    /// - Throws: `UVError.busy` when a handle was left open on a loop (a leak).
    @discardableResult
    public func wait() throws -> ShutdownReport {
        try joinThreads()
        return finalReport()
    }

    private func markStarted() {
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        precondition(!alreadyStarted, "a Server can be started once")
    }

    /// Starts loops `first..<configuration.loops`, each on its own thread, all bound
    /// to `port` (with SO_REUSEPORT when there are several). The first one to bind port
    /// 0 fixes the port for the rest.
    private func startThreadLoops(from first: Int, port: Int) throws {
        var port = port
        for index in first..<configuration.loops {
            let thread = try EventLoopThread()
            state.withLock { $0.threads.append(thread) }
            let loop = thread.loop
            let ready = DispatchSemaphore(value: 0)
            let outcome = Mutex<Result<Int, any Error>?>(nil)
            let requestedPort = port
            loop.execute { [self] in
                do {
                    let bound = try launchCore(index: index, on: loop, port: requestedPort, handlingSignals: false)
                    outcome.withLock { $0 = .success(bound) }
                } catch {
                    outcome.withLock { $0 = .failure(error) }
                    loop.closeWakeup()
                }
                ready.signal()
            }
            ready.wait()
            port = try outcome.withLock { $0! }.get()
        }
    }

    /// Creates loop `index`'s share of the server on `loop` (on its thread) and binds.
    private func launchCore(index: Int, on loop: EventLoop, port: Int, handlingSignals: Bool) throws -> Int {
        var coreConfiguration = configuration
        coreConfiguration.port = port
        let core = ServerCore(
            loop: loop, loopIndex: index, configuration: coreConfiguration, routes: routes,
            backgroundTasks: backgroundTasks, logger: logger)
        core.onStopped = { [self] unfinished in
            state.withLock { $0.unfinishedTasks += unfinished }
            loop.closeWakeup()
        }
        let bound = try core.start(reusePort: configuration.loops > 1)
        if handlingSignals {
            try core.handleSignals(onFirst: { [self] in shutdown() }, exit: { Glibc.exit($0) })
        }
        let shuttingDown = state.withLock { state in
            if state.port == nil { state.port = bound }
            state.cores.append(LoopBound(core, loop: loop))
            return state.shuttingDown
        }
        // A loop that came up after shutdown() was called stops at once.
        if shuttingDown { core.beginShutdown() }
        return bound
    }

    private func joinThreads() throws {
        let threads = state.withLock { state in
            defer { state.threads = [] }
            return state.threads
        }
        var firstError: (any Error)?
        for thread in threads {
            do { try thread.join() } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    private func finalReport() -> ShutdownReport {
        let unfinished = state.withLock { $0.unfinishedTasks }
        if unfinished.isEmpty { backgroundTasks.stopPool() }
        return ShutdownReport(unfinishedTasks: unfinished, statistics: backgroundTasks.counters.snapshot)
    }
}
