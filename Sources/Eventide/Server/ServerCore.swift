import EventideUVLoop

#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One loop's share of a server: its listener, its connections and its shutdown.
/// Loop-bound: created and used only on `loop`'s thread.
///
/// `TestClient` runs one without a listener and attaches in-memory connections to it.
package final class ServerCore {
    let loop: EventLoop
    let loopIndex: Int
    let configuration: ServerConfiguration
    let routes: RouteTable
    let logger: Logger
    let backgroundTasks: BackgroundTaskLifecycle.Shared
    /// The background tasks of this loop's requests, from hand-over to done.
    package let tasks: BackgroundTaskLifecycle
    let requestEnvironment: RequestEnvironment
    /// Connection and loop-lag metrics (request metrics live in the route table).
    private let metrics: ServerMetrics?
    private var lagTimer: LoopTimer?
    private var listener: TCPListener?
    private var connections: [UInt64: any ServedConnection] = [:]
    private var nextConnectionID: UInt64 = 0
    private var nextRequestSequence: UInt64 = 0
    private var runningTasks = 0
    // why: read (and refreshed) on the loop for every response, never reentered; exclusivity checks cost 0.97% instructions per plaintext request (Benchmarks/instructions.py).
    @exclusivity(unchecked) private var dateCache = DateCache()
    private var signalWatchers: [SignalWatcher] = []
    private var shutdownDeadline: LoopTimer?
    private var sweepTimer: LoopTimer?
    private var logLimiter = LogLimiter()
    private var stopped = false
    private var signalled = false
    private(set) var isShuttingDown = false
    /// The output buffer a connection borrows to collect a batch of responses and gives
    /// back once the batch is written: one per loop instead of one per connection.
    // why: only swapped by a connection's borrow and return, on the loop; exclusivity checks cost 2.4% instructions per plaintext request (Benchmarks/instructions.py).
    @exclusivity(unchecked) var spareOutput: [UInt8] = []
    /// Called once, on the loop, when shutdown finished and every handle is closed,
    /// with the names of background tasks that did not finish (empty: full drain).
    package var onStopped: ((_ unfinishedTasks: [String]) -> Void)?

    package init(
        loop: EventLoop, loopIndex: Int, configuration: ServerConfiguration, routes: RouteTable,
        backgroundTasks: BackgroundTaskLifecycle.Shared, logger: Logger, metrics: ServerMetrics? = nil
    ) {
        self.metrics = metrics
        self.loop = loop
        self.loopIndex = loopIndex
        self.configuration = configuration
        self.routes = routes
        self.logger = logger
        self.backgroundTasks = backgroundTasks
        self.tasks = BackgroundTaskLifecycle(loop: loop, service: backgroundTasks)
        self.requestEnvironment = RequestEnvironment(eventLoop: loop, logger: logger)
        spareOutput.reserveCapacity(4096)
        tasks.onIdle = { [unowned self] in finishShutdownIfDone() }
    }

    /// Binds and starts accepting. Returns the bound port.
    func start(reusePort: Bool) throws(UVError) -> Int {
        let listener = try TCPListener(loop: loop, host: configuration.host, port: configuration.port, reusePort: reusePort)
        self.listener = listener
        do {
            try listener.listen(backlog: configuration.backlog, onAcceptError: { [unowned self] error in
                logLimited(.warning, "accept failed", kind: "accept", metadata: ["error": "\(error)"])
            }) { [unowned self] connection in accept(connection) }
        } catch {
            listener.close()
            self.listener = nil
            throw error
        }
        logger.info("listening", metadata: ["address": "\(listener.localAddress)", "loop": "\(loopIndex)"])
        let sweep = LoopTimer(loop: loop)
        let interval = min(configuration.timeouts.sweepInterval, max(10, configuration.lingerTimeout.wholeMilliseconds / 4))
        sweep.start(afterMilliseconds: interval, repeating: interval) { [unowned self] in
            checkTimeouts()
        }
        sweep.keepsLoopAlive(false)
        sweepTimer = sweep
        startMeasuringLag()
        return listener.localPort
    }

    /// First SIGINT/SIGTERM: `onFirst` (the server's graceful shutdown on every loop);
    /// a second one exits at once.
    func handleSignals(onFirst: @escaping () -> Void, exit: @escaping (Int32) -> Never) throws(UVError) {
        for signal in [SIGINT, SIGTERM] {
            signalWatchers.append(try SignalWatcher(loop: loop, signal: signal) { [unowned self] signal in
                if signalled {
                    logger.warning("second signal: exiting now", metadata: ["signal": "\(signal)"])
                    exit(1)
                }
                signalled = true
                logger.info("signal received: shutting down", metadata: ["signal": "\(signal)"])
                onFirst()
            })
        }
    }

    /// Every second, how late the loop ran a timer due then: the time a callback held
    /// the loop, as `eventide_loop_lag_seconds{loop}`.
    private func startMeasuringLag() {
        guard let metrics else { return }
        let gauge = metrics.loopLag(index: loopIndex)
        let interval: UInt64 = 1000
        var last = EventLoop.monotonicNanoseconds
        let timer = LoopTimer(loop: loop)
        timer.start(afterMilliseconds: interval, repeating: interval) {
            let now = EventLoop.monotonicNanoseconds
            let late = Int64(now &- last) - Int64(interval) * 1_000_000
            last = now
            gauge.record(Double(max(0, late)) / 1e9)
        }
        timer.keepsLoopAlive(false)
        lagTimer = timer
    }

    private func accept(_ tcp: TCPConnection) {
        guard !isShuttingDown else {
            tcp.close()
            return
        }
        nextConnectionID += 1
        let connection = HTTPConnection(id: nextConnectionID, core: self, transport: tcp, overCapacity: overCapacity)
        connections[connection.id] = connection
        metrics?.connectionOpened()
        tcp.delegate = connection
        tcp.startReading()
    }

    /// Whether a new connection is beyond this loop's share of `maxConnections`.
    private var overCapacity: Bool {
        connections.count >= (configuration.maxConnections + configuration.loops - 1) / configuration.loops
    }

    /// A connection over `transport`, served like an accepted socket (its events are the
    /// caller's to deliver).
    package func attach<Transport: ConnectionTransport>(_ transport: Transport) -> HTTPConnection<Transport> {
        nextConnectionID += 1
        let connection = HTTPConnection(id: nextConnectionID, core: self, transport: transport, overCapacity: overCapacity)
        connections[connection.id] = connection
        metrics?.connectionOpened()
        transport.startReading()
        return connection
    }

    /// Closes the connections whose current stage took too long (the sweep timer's work;
    /// `TestClient` calls it after moving its clock).
    package func checkTimeouts() {
        for connection in connections.values { connection.checkTimeouts() }
    }

    func connectionDidClose(_ id: UInt64) {
        if connections.removeValue(forKey: id) != nil { metrics?.connectionClosed() }
        finishShutdownIfDone()
    }



    func nextRequestID() -> RequestID {
        nextRequestSequence += 1
        return RequestID(loop: loopIndex, sequence: nextRequestSequence)
    }

    func date() -> String { dateCache.current() }

    /// Logs through the loop's `LogLimiter`: one line per second per `kind`.
    func logLimited(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, kind: String, metadata: @autoclosure () -> Logger.Metadata) {
        logLimiter.log(logger, level, message(), kind: kind, now: loop.nowMilliseconds, metadata: metadata())
    }

    /// Counts handler and stream tasks so the loop is not shut down under them.
    func taskStarted() { runningTasks += 1 }

    func taskFinished() {
        runningTasks -= 1
        finishShutdownIfDone()
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (their
    /// responses carry `Connection: close` and their tasks are still accepted), drains
    /// background tasks, and after `shutdownTimeout` force-closes what remains and
    /// cancels unfinished tasks, logging their names.
    package func beginShutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        listener?.close()
        listener = nil
        for connection in Array(connections.values) { connection.shutdownGracefully() }
        let deadline = LoopTimer(loop: loop)
        deadline.start(afterMilliseconds: configuration.shutdownTimeout.wholeMilliseconds) { [unowned self] in
            logger.warning("shutdown deadline passed", metadata: ["connections": "\(connections.count)", "handlers": "\(runningTasks)"])
            endShutdownNow()
        }
        shutdownDeadline = deadline
        finishShutdownIfDone()
    }

    /// What the shutdown deadline does, at once: closes every connection and cancels the
    /// unfinished tasks, logging their names (the server's task was cancelled).
    package func endShutdownNow() {
        beginShutdown()
        guard !stopped else { return }
        for connection in Array(connections.values) { connection.forceClose() }
        let unfinished = tasks.cancelAtDeadline()
        if !unfinished.isEmpty {
            logger.error("background tasks did not finish before the deadline", metadata: [
                "count": "\(unfinished.count)", "tasks": "\(unfinished.joined(separator: ", "))",
            ])
        }
        finish(unfinished: unfinished)
    }

    private func finishShutdownIfDone() {
        if isShuttingDown && connections.isEmpty && runningTasks == 0 && tasks.isIdle { finish(unfinished: []) }
    }

    private func finish(unfinished: [String]) {
        guard !stopped else { return }
        stopped = true
        shutdownDeadline?.close()
        shutdownDeadline = nil
        sweepTimer?.close()
        sweepTimer = nil
        lagTimer?.close()
        lagTimer = nil
        for watcher in signalWatchers { watcher.close() }
        signalWatchers = []
        tasks.close()
        logger.info("server stopped; \(backgroundTasks.counters.snapshot)")
        onStopped?(unfinished)
        onStopped = nil
    }
}
