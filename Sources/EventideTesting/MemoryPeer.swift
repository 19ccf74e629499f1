import Eventide
import EventideUVLoop
import Logging

/// A `ServerCore` that never listens, on a loop thread of its own, serving in-memory
/// connections with the server's own connection code. Time is a `MemoryClock` that moves
/// only when `advanceClock` is called.
final class MemoryServer: Sendable {
    private let thread: EventLoopThread
    private let core: LoopBound<ServerCore>
    private let clock: LoopBound<MemoryClock>
    /// Every connection made, so shutdown can close the client's ends as an exiting
    /// client process would.
    private let transports = Locked<[LoopBound<MemoryTransport>]>([])
    let service: BackgroundTaskLifecycle.Shared

    init(router: Router, configuration: ServerConfiguration, logger: Logger, observer: @escaping TaskObserver) throws {
        let metrics = ServerMetrics(configuration.metrics)
        let routes = try router.freeze(metrics: metrics)
        let service = BackgroundTaskLifecycle.Shared(
            configuration: configuration.backgroundTasks, logger: logger, taskQueue: configuration.taskQueue,
            metricsFactory: metrics?.factory)
        let thread = try EventLoopThread()
        let loop = thread.loop
        self.thread = thread
        self.service = service
        (core, clock) = try loop.submitAndWait {
            let core = ServerCore(
                loop: loop, loopIndex: 0, configuration: configuration, routes: routes, backgroundTasks: service, logger: logger,
                metrics: metrics)
            core.tasks.observer = observer
            return (LoopBound(core, loop: loop), LoopBound(MemoryClock(), loop: loop))
        }
    }

    var loop: EventLoop { thread.loop }

    /// A new connection and the client's end of it.
    func connect(readTimeout: Duration) async throws -> TestConnection {
        let (core, clock, loop) = (self.core, self.clock, self.loop)
        let transport = try await loop.submit { LoopBound(MemoryTransport(loop: loop, clock: clock.value), loop: loop) }
        transports.withLock { $0.append(transport) }
        let connection = TestConnection(peer: MemoryPeer(transport: transport), readTimeout: readTimeout)
        let inbox = connection.receiver
        try await loop.submit {
            let memory = transport.value
            memory.onOutput = { [unowned memory] in
                inbox.append(memory.takeOutput())
                if memory.isShutDown || memory.isClosed { inbox.finish() }
            }
            memory.attach(to: core.value)
        }
        return connection
    }

    /// Moves the clock and lets every connection check its timeouts.
    func advanceClock(by duration: Duration) async throws {
        precondition(duration >= .zero, "the clock only moves forward")
        let (core, clock) = (self.core, self.clock)
        let milliseconds = duration.wholeMilliseconds
        try await loop.submit {
            clock.value.milliseconds += milliseconds
            core.value.checkTimeouts()
        }
        try await loop.submit {}  // what the timeouts wrote, and their closes, have arrived
    }

    /// Closes the client's ends of every connection, shuts the core down as a server's
    /// loop does (connections closed, tasks drained), then ends the loop thread and the pool.
    func shutdown() throws {
        let (core, loop) = (self.core, self.loop)
        let transports = self.transports.withLock { $0 }
        loop.execute {
            for transport in transports { transport.value.deliverEOF() }
            core.value.onStopped = { _ in loop.closeWakeup() }
            core.value.beginShutdown()
        }
        try thread.join()
        service.stopPool()
    }
}

/// The client's end of an in-memory connection.
struct MemoryPeer: TestPeer {
    let transport: LoopBound<MemoryTransport>

    func send(_ bytes: [UInt8]) async throws {
        let transport = self.transport
        try await transport.loop.submit { transport.value.deliver(bytes) }
        try await transport.loop.submit {}  // what synchronous handlers answered has arrived
    }

    func shutdownWrite() async {
        let transport = self.transport
        _ = try? await transport.loop.submit { transport.value.deliverEOF() }
    }

    func close() async {
        await shutdownWrite()
    }

    func reset() async {
        let transport = self.transport
        _ = try? await transport.loop.submit { transport.value.abortByPeer() }
        _ = try? await transport.loop.submit {}  // the failure it reports has arrived
    }

    func setReading(_ reading: Bool) async throws {
        let transport = self.transport
        try await transport.loop.submit { transport.value.peerReads = reading }
        try await transport.loop.submit {}  // the output notification it caused has run
    }
}
