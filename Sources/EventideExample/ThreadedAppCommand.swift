import ArgumentParser
import Eventide
import EventideUVLoop
import Logging

/// A Swift concurrency app with the server on a loop thread of its own (`start()`):
/// app tasks submit work to the server's loop (`submit`) and await the results, the
/// loop keeps state that both the app and the request handlers use, and the app shuts
/// the server down with a drain (`await stop()`), which also joins the loop thread.
struct ThreadedAppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "threaded-app",
        abstract: "Run the server on its own thread beside async tasks that submit work to its loop; stop with a drain."
    )

    @OptionGroup var listen: ListenOptions

    @Option(help: "How long the app runs before it stops the server.")
    var seconds: Double = 5


    @OptionGroup var workdir: WorkdirOption

    /// State owned by the server's loop: only ever touched on the loop thread, by the
    /// handlers (which run there) and by work the app submits.
    final class LoopState {
        var hits = 0
        var notes: [String] = []
    }

    func run() async throws {
        let logger = listen.makeLogger(label: "threaded-app")

        // Filled in on the loop thread once the server runs; `LoopBound` checks that it
        // is only used there.
        let shared = SharedLoopState()
        let router = BenchRoutes.make(workdir: workdir)
        // Synchronous: it touches loop-bound state, which only the loop's thread may.
        router.sync.get("/app/state") { _, _ in
            guard let state = shared.current?.value else { return "starting" }
            state.hits += 1
            return "hits \(state.hits), notes \(state.notes.count)\n"
        }

        let server = try Server(
            router: router, configuration: ServerConfiguration(host: listen.host, port: listen.port, handlesSignals: false), logger: logger)
        try server.start()  // the loop runs on a thread Eventide created; returns once listening
        let loop = server.eventLoops[0]
        let state = try await loop.submit { LoopBound(LoopState(), loop: loop) }
        shared.current = state

        // Four app tasks submit 25 jobs each to the loop and await every result.
        let onLoop = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var count = 0
                    for job in 0..<25 {
                        let ranOnLoop = try await loop.submit { () -> Bool in
                            state.value.notes.append("worker \(worker) job \(job)")
                            return loop.inEventLoop
                        }
                        if ranOnLoop { count += 1 }
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        logger.info("app: jobs ran on the loop", metadata: ["count": "\(onLoop)"])

        // The app keeps serving for `seconds`, sampling the loop's state now and then.
        let started = EventLoop.monotonicNanoseconds
        var samples = 0
        while Double(EventLoop.monotonicNanoseconds - started) / 1e9 < seconds {
            try await Task.sleep(for: .milliseconds(100))
            _ = try await loop.submit { state.value.hits }
            samples += 1
        }
        let (hits, notes) = try await loop.submit { (state.value.hits, state.value.notes.count) }

        let report = try await server.stop()  // graceful drain, then the loop thread is joined
        let afterStop: String
        do {
            _ = try await loop.submit { 0 }
            afterStop = "accepted (unexpected)"
        } catch is EventLoopClosedError {
            afterStop = "refused"
        }
        print("submitted \(100 + samples + 1) jobs, \(onLoop) of 100 checked on the loop thread; loop state: \(notes) notes, \(hits) hits")
        print("stopped: drained \(report.drainedCompletely), background tasks succeeded \(report.statistics.succeeded); submit after stop: \(afterStop)")
        if !report.drainedCompletely { throw ExitCode(1) }
    }
}

/// The app's loop-bound state, published to handlers once the loop runs.
private final class SharedLoopState: Sendable {
    private let state = Locked<LoopBound<ThreadedAppCommand.LoopState>?>(nil)

    var current: LoopBound<ThreadedAppCommand.LoopState>? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
