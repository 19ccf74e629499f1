import ArgumentParser
import Eventide
import Logging

/// A host program that owns and runs its event loop, with a 100 ms timer of its own,
/// and embeds the server (the `bench` routes) on that loop for a while.
///
/// The last line printed is `ticks: N, max gap: X ms`: how regular the host's timer
/// stayed while the server shared its loop.
struct EmbeddedHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedded-host",
        abstract: "Embed the bench routes in a host's own loop beside a 100 ms timer; print the timer's ticks and max gap."
    )

    @OptionGroup var listen: ListenOptions

    @Option(help: "How long the host runs before it stops the server and exits.")
    var seconds: Double = 10


    @OptionGroup var workdir: WorkdirOption

    func run() throws {
        let logger = listen.makeLogger(label: "embedded-host")

        // The host's loop: created, run and closed by the host on this thread.
        let loop = try EventLoop()

        // The host's own work: a 100 ms tick whose regularity we measure.
        var ticks = 0
        var lastTick: UInt64?
        var maxGap: UInt64 = 0
        let tick = LoopTimer(loop: loop)
        tick.start(afterMilliseconds: 100, repeating: 100) {
            let now = EventLoop.monotonicNanoseconds
            if let lastTick { maxGap = max(maxGap, now - lastTick) }
            lastTick = now
            ticks += 1
        }

        // The embedded server: registers its handles on the host's loop and returns.
        let configuration = ServerConfiguration(host: listen.host, port: listen.port, handlesSignals: false)
        let server = try Server(router: BenchRoutes.make(workdir: workdir), configuration: configuration, logger: logger)
        var report: ShutdownReport?
        try server.start(on: loop) { stopped in
            // On the loop: every handle of the server is closed; ours are untouched.
            report = stopped
            tick.close()
            loop.closeWakeup()  // the EventLoop wrapper's handle: closed by the host, last
        }

        // After `seconds`, the host asks the server to stop (graceful drain).
        let deadline = LoopTimer(loop: loop)
        deadline.start(afterMilliseconds: UInt64(max(0, seconds) * 1000)) {
            deadline.close()
            logger.info("host: stopping the server")
            server.shutdown()
        }

        loop.run()  // returns once no handle is left
        try loop.close()  // fails with EBUSY if anything leaked

        let statistics = report?.statistics ?? server.backgroundTaskStatistics
        print("server stopped: drained \(report?.drainedCompletely ?? false), background tasks succeeded \(statistics.succeeded), failed \(statistics.failed)")
        print("ticks: \(ticks), max gap: \(Self.milliseconds(maxGap)) ms")
        if report?.drainedCompletely != true { throw ExitCode(1) }
    }

    /// Nanoseconds as milliseconds with one decimal ("101.3").
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
