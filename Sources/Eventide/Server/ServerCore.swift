#if canImport(Glibc)
import Glibc
#endif
import Logging

/// One loop's share of a server: its listener, its connections and its shutdown.
/// Loop-bound: created and used only on `loop`'s thread.
final class ServerCore {
    let loop: EventLoop
    let loopIndex: Int
    let configuration: ServerConfiguration
    let routes: RouteTable
    let logger: Logger
    private var listener: TCPListener?
    private var connections: [UInt64: HTTPConnectionHandler] = [:]
    private var nextConnectionID: UInt64 = 0
    private var nextRequestSequence: UInt64 = 0
    private var runningTasks = 0
    private var dateCache = DateCache()
    private var signalWatchers: [SignalWatcher] = []
    private var shutdownDeadline: LoopTimer?
    private var stopped = false
    private(set) var isShuttingDown = false
    /// Called once, on the loop, when shutdown finished and every handle is closed.
    var onStopped: (() -> Void)?

    init(loop: EventLoop, loopIndex: Int, configuration: ServerConfiguration, routes: RouteTable, logger: Logger) {
        self.loop = loop
        self.loopIndex = loopIndex
        self.configuration = configuration
        self.routes = routes
        self.logger = logger
    }

    /// Binds and starts accepting. Returns the bound port.
    func start() throws(UVError) -> Int {
        let listener = try TCPListener(loop: loop, host: configuration.host, port: configuration.port)
        self.listener = listener
        do {
            try listener.listen(backlog: configuration.backlog, onAcceptError: { [logger] error in
                logger.warning("accept failed", metadata: ["error": "\(error)"])
            }) { [unowned self] connection in accept(connection) }
        } catch {
            listener.close()
            self.listener = nil
            throw error
        }
        logger.info("listening", metadata: ["address": "\(listener.localAddress)"])
        return listener.localPort
    }

    /// First SIGINT/SIGTERM: graceful shutdown; a second one exits at once.
    func handleSignals(exit: @escaping (Int32) -> Never) throws(UVError) {
        for signal in [SIGINT, SIGTERM] {
            signalWatchers.append(try SignalWatcher(loop: loop, signal: signal) { [unowned self] signal in
                if isShuttingDown {
                    logger.warning("second signal: exiting now", metadata: ["signal": "\(signal)"])
                    exit(1)
                }
                logger.info("signal received: shutting down", metadata: ["signal": "\(signal)"])
                beginShutdown()
            })
        }
    }

    private func accept(_ tcp: TCPConnection) {
        guard !isShuttingDown else {
            tcp.close()
            return
        }
        nextConnectionID += 1
        let connection = HTTPConnectionHandler(id: nextConnectionID, core: self, tcp: tcp)
        connections[connection.id] = connection
        connection.start()
    }

    func connectionDidClose(_ connection: HTTPConnectionHandler) {
        connections[connection.id] = nil
        finishShutdownIfDone()
    }

    func nextRequestID() -> RequestID {
        nextRequestSequence += 1
        return RequestID(loop: loopIndex, sequence: nextRequestSequence)
    }

    func date() -> String { dateCache.current() }

    /// Counts handler and stream tasks so the loop is not shut down under them.
    func taskStarted() { runningTasks += 1 }

    func taskFinished() {
        runningTasks -= 1
        finishShutdownIfDone()
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (their
    /// responses carry `Connection: close`) and force-closes what remains after
    /// `shutdownTimeout`.
    func beginShutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        listener?.close()
        listener = nil
        for connection in Array(connections.values) { connection.shutdownGracefully() }
        let deadline = LoopTimer(loop: loop)
        deadline.start(afterMilliseconds: configuration.shutdownTimeout.wholeMilliseconds) { [unowned self] in
            logger.warning("shutdown deadline passed", metadata: ["connections": "\(connections.count)", "tasks": "\(runningTasks)"])
            for connection in Array(connections.values) { connection.forceClose() }
            finish()
        }
        shutdownDeadline = deadline
        finishShutdownIfDone()
    }

    private func finishShutdownIfDone() {
        if isShuttingDown && connections.isEmpty && runningTasks == 0 { finish() }
    }

    private func finish() {
        guard !stopped else { return }
        stopped = true
        shutdownDeadline?.close()
        shutdownDeadline = nil
        for watcher in signalWatchers { watcher.close() }
        signalWatchers = []
        logger.info("server stopped")
        onStopped?()
        onStopped = nil
    }
}
