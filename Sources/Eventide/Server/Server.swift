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
        var core: LoopBound<ServerCore>?
        var thread: EventLoopThread?
        var unfinishedTasks: [String] = []
    }

    /// Creates a server from the routes registered on `router` (frozen now).
    ///
    /// - Throws: `RouteDefinitionError` for an invalid or conflicting route.
    public init(router: Router, configuration: ServerConfiguration = ServerConfiguration(), logger: Logger = Logger(label: "eventide")) throws {
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
        let loop = try EventLoop()
        let failure = Mutex<(any Error)?>(nil)
        loop.execute { [self] in
            do {
                try startCore(on: loop, handlingSignals: configuration.handlesSignals)
            } catch {
                failure.withLock { $0 = error }
                loop.closeWakeup()
            }
        }
        loop.run()
        try loop.close()
        if let error = failure.withLock({ $0 }) { throw error }
        return finalReport()
    }

    /// Starts serving on a new thread and returns once listening. Pair with
    /// `shutdown()` and `wait()`.
    public func start() throws {
        let thread = try EventLoopThread()
        let loop = thread.loop
        let ready = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        loop.execute { [self] in
            do {
                try startCore(on: loop, handlingSignals: false)
            } catch {
                failure.withLock { $0 = error }
                loop.closeWakeup()
            }
            ready.signal()
        }
        ready.wait()
        state.withLock { $0.thread = thread }
        if let error = failure.withLock({ $0 }) {
            try wait()
            throw error
        }
    }

    /// Begins a graceful shutdown. Safe from any thread; repeated calls are harmless.
    public func shutdown() {
        guard let core = state.withLock({ $0.core }) else { return }
        core.loop.execute { core.value.beginShutdown() }
    }

    /// Waits until a server started with `start()` has stopped and its loop closed.
    ///
    /// - Returns: whether every accepted background task finished.
    /// - Throws: `UVError.busy` when a handle was left open on the loop (a leak).
    @discardableResult
    public func wait() throws -> ShutdownReport {
        guard let thread = state.withLock({ $0.thread }) else { return finalReport() }
        try thread.join()
        return finalReport()
    }

    private func finalReport() -> ShutdownReport {
        let unfinished = state.withLock { $0.unfinishedTasks }
        if unfinished.isEmpty { backgroundTasks.stopPool() }
        return ShutdownReport(unfinishedTasks: unfinished, statistics: backgroundTasks.counters.snapshot)
    }

    private func startCore(on loop: EventLoop, handlingSignals: Bool) throws {
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        precondition(!alreadyStarted, "a Server can be started once")
        let core = ServerCore(
            loop: loop, loopIndex: 0, configuration: configuration, routes: routes,
            backgroundTasks: backgroundTasks, logger: logger)
        core.onStopped = { [self] unfinished in
            state.withLock { $0.unfinishedTasks += unfinished }
            loop.closeWakeup()
        }
        let port = try core.start()
        if handlingSignals { try core.handleSignals(exit: { Glibc.exit($0) }) }
        state.withLock { state in
            state.port = port
            state.core = LoopBound(core, loop: loop)
        }
    }
}
