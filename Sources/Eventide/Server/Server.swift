import Dispatch
import EventideUVLoop
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on a libuv event loop.
///
/// ```swift
/// let router = Router()
/// router.sync.get("/plaintext") { _, _ in "Hello, World!" }
/// try Server(router: router).run()   // until SIGINT/SIGTERM
/// ```
///
/// `run()` serves on the calling thread (and one more thread per extra loop) and returns
/// the `ShutdownReport` once stopped; `start()` serves on threads of its own, one per
/// loop, and returns once listening; `start(on:onStop:)` serves on a loop the host
/// application runs (see `Server+Embedding.swift`). `shutdown()` (any thread) stops gracefully: no
/// new connections, idle keep-alive connections closed, in-flight requests answered,
/// background tasks drained. `stop()` (async), `wait()` and `stopped()` wait for it.
public final class Server: Sendable {
    /// The configuration the server was created with.
    public let configuration: ServerConfiguration
    let routes: RouteTable
    /// Request, connection and loop metrics, when `configuration.metrics` asks for them.
    let metrics: ServerMetrics?
    let logger: Logger
    /// Admission, counters and the blocking pool, shared by every loop.
    package let backgroundTasks: BackgroundTaskLifecycle.Shared
    /// Sees every request's task list before it starts (`BackgroundTaskLifecycle.observer`).
    let taskObserver: TaskObserver?
    /// Whether this server starts and stops `configuration.taskQueue`'s workers (a
    /// `TestClient` leaves that to its test).
    let managesTaskQueue: Bool
    let state = Locked(State())

    struct State {
        var started = false
        var port: Int?
        var cores: [LoopBound<ServerCore>] = []
        var threads: [EventLoopThread] = []
        var unfinishedTasks: [String] = []
        var shuttingDown = false
        /// Cores that started listening and have not stopped yet.
        var runningCores = 0
        /// Whoever computes the final report has claimed it (once).
        var finishing = false
        /// Set once, when the last core stopped (or when a start failed with none running).
        var report: ShutdownReport?
        /// Started with `start(on:onStop:)` on a host's loop.
        var hostLoop = false
        /// `stopped()` callers waiting for `report`.
        var stopWaiters: [CheckedContinuation<ShutdownReport, Never>] = []
    }

    /// Creates a server from the routes registered on `router` (frozen now).
    ///
    /// - Throws: `RouteDefinitionError` for an invalid or conflicting route.
    public convenience init(
        router: Router, configuration: ServerConfiguration = ServerConfiguration(), logger: Logger = Logger(label: "eventide")
    ) throws {
        try self.init(router: router, configuration: configuration, logger: logger, taskObserver: nil, managesTaskQueue: true)
    }

    /// A server whose request task lists `taskObserver` sees first (`TestClient`).
    package init(
        router: Router, configuration: ServerConfiguration, logger: Logger, taskObserver: TaskObserver?, managesTaskQueue: Bool
    ) throws {
        precondition(configuration.loops >= 1, "a server needs at least one loop")
        self.configuration = configuration
        self.metrics = ServerMetrics(configuration.metrics)
        self.routes = try router.freeze(metrics: metrics)
        self.logger = logger
        self.backgroundTasks = BackgroundTaskLifecycle.Shared(
            configuration: configuration.backgroundTasks, logger: logger, taskQueue: configuration.taskQueue,
            metricsFactory: metrics?.factory)
        self.taskObserver = taskObserver
        self.managesTaskQueue = managesTaskQueue
    }

    /// Counts of background tasks since the server started.
    public var backgroundTaskStatistics: BackgroundTaskStatistics { backgroundTasks.counters.snapshot }

    /// The in-process background tasks accepted and not finished yet, by id: those
    /// running (`state` `.running`) and those waiting for their response's write or for
    /// the tasks before them (`.pending`). The lists the shutdown report names unfinished
    /// tasks from, read on each loop (a hop to each: not for every request).
    public func unfinishedBackgroundTasks() async -> [BackgroundTaskHandle] {
        await backgroundTasks.unfinishedTasks()
    }

    /// The bound port once the server listens (the real one when configured with 0).
    public var port: Int? { state.withLock { $0.port } }

    /// Serves on the calling thread (loop 0; `configuration.loops - 1` more loops run on
    /// threads of their own) until shut down (by `shutdown()`, or by SIGINT or SIGTERM when
    /// `configuration.handlesSignals`), then closes the loops and joins their threads.
    ///
    /// - Returns: the `ShutdownReport`: the background-task statistics and the names of the
    ///   tasks that did not finish (`drainedCompletely` false: exit with a failure status).
    /// - Throws: a `UVError` when binding fails or a loop cannot close cleanly.
    @discardableResult
    public func run() throws -> ShutdownReport {
        markStarted()
        let loop = try EventLoop()
        let port: Int
        do {
            port = try launchCore(index: 0, on: loop, port: configuration.port, handlingSignals: configuration.handlesSignals, ownsLoop: true)
        } catch {
            finishIfNoCoreRunning()
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
        stopTaskQueue()
        return state.withLock { $0.report } ?? finalReport()
    }

    /// Starts serving on loops of their own (`configuration.loops` threads) and
    /// returns once every loop listens. Pair with `shutdown()` and `wait()`, or with
    /// `await stop()` from async code. `eventLoops` lists the loops, to `submit` work to.
    public func start() throws {
        markStarted()
        do {
            try startThreadLoops(from: 0, port: configuration.port)
        } catch {
            shutdown()
            finishIfNoCoreRunning()
            try joinThreads()
            throw error
        }
    }

    /// The loops serving, in loop-index order, once started (empty before). `submit` or
    /// `execute` work on them from any thread while the server runs; once it stopped
    /// the loops of `start()` and `run()` no longer accept work.
    public var eventLoops: [EventLoop] { state.withLock { $0.cores.map(\.loop) } }

    /// Begins a graceful shutdown on every loop. Safe from any thread; repeated calls
    /// are harmless.
    public func shutdown() {
        onEveryCoreShuttingDown { $0.beginShutdown() }
    }

    /// Marks the server shutting down and runs `step` on every core, on its loop.
    func onEveryCoreShuttingDown(_ step: @escaping @Sendable (ServerCore) -> Void) {
        let cores = state.withLock { state in
            state.shuttingDown = true
            return state.cores
        }
        for core in cores {
            core.loop.execute { step(core.value) }
        }
    }

    /// Waits until a server started with `start()` has stopped and its loops closed,
    /// blocking the calling thread (from async code use `stop()` or `stopped()`).
    ///
    /// - Returns: the `ShutdownReport` (statistics, and the tasks that did not finish).
    /// - Throws: `UVError.busy` when a handle was left open on a loop (a leak).
    @discardableResult
    public func wait() throws -> ShutdownReport {
        precondition(!state.withLock { $0.hostLoop }, "wait() would block the host's loop: use onStop or await stopped()")
        try joinThreads()
        stopTaskQueue()
        return state.withLock { $0.report } ?? finalReport()
    }

    /// Shuts down gracefully (as `shutdown()`) and waits for the drain without blocking
    /// a thread: the caller is resumed by the loop that stopped last. For `start()` the
    /// loop threads are then joined; by then they only run their last iteration (close
    /// callbacks and `uv_loop_close`), so the join returns at once. For
    /// `start(on:onStop:)` there is no thread to join. Not from a task running on one of
    /// the loops of `start()`: it would join its own thread.
    ///
    /// - Returns: the `ShutdownReport` (statistics, and the tasks that did not finish).
    /// - Throws: `UVError.busy` when a loop of `start()` closed with a handle left open.
    @discardableResult
    public func stop() async throws -> ShutdownReport {
        precondition(state.withLock { $0.started }, "stop() needs a started server")
        shutdown()
        let report = await stopped()
        try joinThreads()
        if managesTaskQueue { await configuration.taskQueue?.shutdown() }
        return report
    }

    /// Waits, without blocking a thread, until a started server has stopped (after a
    /// `shutdown()` from anywhere, or a signal) and returns its report. Every handle the
    /// server owns has been closed by then. Returns at once when it already stopped.
    public func stopped() async -> ShutdownReport {
        await withCheckedContinuation { continuation in
            let report: ShutdownReport? = state.withLock { state in
                if let report = state.report { return report }
                state.stopWaiters.append(continuation)
                return nil
            }
            if let report { continuation.resume(returning: report) }
        }
    }

    func markStarted() {
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        precondition(!alreadyStarted, "a Server can be started once")
        if managesTaskQueue { configuration.taskQueue?.start() }
    }

    /// Stops the durable-task workers once the server stopped serving (their running
    /// tasks finish within the queue's shutdown timeout or go back to the store). Called
    /// on the thread that ran or waited for the server, never on a loop thread.
    private func stopTaskQueue() {
        guard managesTaskQueue, let queue = configuration.taskQueue else { return }
        let stopped = DispatchSemaphore(value: 0)
        Task {
            await queue.shutdown()
            stopped.signal()
        }
        stopped.wait()
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
            let requestedPort = port
            port = try loop.submitAndWait { [self] in
                do {
                    return try launchCore(index: index, on: loop, port: requestedPort, handlingSignals: false, ownsLoop: true)
                } catch {
                    loop.closeWakeup()
                    throw error
                }
            }
        }
    }

    /// Creates loop `index`'s share of the server on `loop` (on its thread) and binds.
    ///
    /// - Parameters:
    ///   - ownsLoop: whether the server created `loop` and so closes its wake-up handle
    ///     once the core stopped (the loop then runs out of handles and its thread
    ///     ends). A host's loop (`start(on:onStop:)`) keeps its wake-up handle: the
    ///     host closes it.
    ///   - onStop: called on the loop with the final report when this core is the last
    ///     one to stop.
    func launchCore(
        index: Int, on loop: EventLoop, port: Int, handlingSignals: Bool, ownsLoop: Bool,
        onStop: ((ShutdownReport) -> Void)? = nil
    ) throws -> Int {
        var coreConfiguration = configuration
        coreConfiguration.port = port
        let core = ServerCore(
            loop: loop, loopIndex: index, configuration: coreConfiguration, routes: routes,
            backgroundTasks: backgroundTasks, logger: logger, metrics: metrics)
        core.tasks.observer = taskObserver
        core.onStopped = { [self] unfinished in
            if let report = coreStopped(unfinished: unfinished) {
                onStop?(report)
                resumeStopWaiters(with: report)
            }
            if ownsLoop { loop.closeWakeup() }
        }
        let bound = try core.start(reusePort: configuration.loops > 1)
        if handlingSignals {
            try core.handleSignals(onFirst: { [self] in shutdown() }, exit: { Glibc.exit($0) })
        }
        let shuttingDown = state.withLock { state in
            if state.port == nil { state.port = bound }
            state.cores.append(LoopBound(core, loop: loop))
            state.runningCores += 1
            return state.shuttingDown
        }
        // A loop that came up after shutdown() was called stops at once.
        if shuttingDown { core.beginShutdown() }
        return bound
    }

    /// Records a stopped core. Returns the final report when it was the last one.
    private func coreStopped(unfinished: [String]) -> ShutdownReport? {
        let last = state.withLock { state in
            state.unfinishedTasks += unfinished
            state.runningCores -= 1
            guard state.runningCores == 0 && !state.finishing else { return false }
            state.finishing = true
            return true
        }
        guard last else { return nil }
        let report = finalReport()
        state.withLock { $0.report = report }
        return report
    }

    /// After a failed start with no core listening, completes the stop at once so
    /// `stopped()` callers do not wait forever.
    func finishIfNoCoreRunning() {
        let idle = state.withLock { state in
            guard state.runningCores == 0 && !state.finishing else { return false }
            state.finishing = true
            return true
        }
        guard idle else { return }
        let report = finalReport()
        state.withLock { $0.report = report }
        resumeStopWaiters(with: report)
    }

    private func resumeStopWaiters(with report: ShutdownReport) {
        let waiters = state.withLock { state in
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume(returning: report) }
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
