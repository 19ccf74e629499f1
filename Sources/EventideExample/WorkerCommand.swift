import ArgumentParser
import Dispatch
import Eventide
import EventideUVLoop
import Foundation
import Logging

/// A process that only runs durable tasks (no HTTP): the worker side of a fleet sharing a
/// PostgreSQL store (or of a server's SQLite file, while that server runs no workers).
/// Runs the same task kinds as `bench` (the notification appends to `--workdir`'s
/// log.txt) until SIGTERM or SIGINT, then stops as a queue does: running tasks get the
/// shutdown timeout, the rest go back to the queue.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Runs the example's durable tasks from a task store, without serving HTTP."
    )

    @Option(help: "The task store: a PostgreSQL URL (postgres://...) or an SQLite file (relative: inside --workdir).")
    var store: String

    @OptionGroup var workdir: WorkdirOption

    @Option(help: ArgumentHelp(
        "Queues and how many tasks of each run at once, e.g. mail:8,default:4 (only these queues then run here; "
            + "default: every queue, --concurrency at once)."))
    var queues: String?

    @Option(help: "Tasks run at once for the queues --queues does not name (default 100; 0 with --queues).")
    var concurrency: Int?

    @Option(help: "The log level.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        _ = try parsedQueues()
    }

    /// `--queues`, parsed.
    private func parsedQueues() throws -> [String: Int] {
        guard let queues else { return [:] }
        var parsed: [String: Int] = [:]
        for item in queues.split(separator: ",") {
            let parts = item.split(separator: ":", maxSplits: 1)
            guard let name = parts.first, !name.isEmpty, parts.count == 2, let count = Int(parts[1]), count > 0 else {
                throw ValidationError("--queues takes name:count pairs separated by commas, such as mail:8,default:4 (got \"\(item)\")")
            }
            parsed[String(name)] = count
        }
        return parsed
    }

    func run() async throws {
        var logger = Logger(label: "worker")
        logger.logLevel = logLevel
        DurableNotification.logPath.withLock { $0 = workdir.path("log.txt") }
        let named = try parsedQueues()
        let queue = try TaskQueue(
            store: TaskStoreOptions.store(store, workdir: workdir), tasks: exampleDurableTasks,
            workers: .local(concurrency: concurrency ?? (named.isEmpty ? 100 : 0), queues: named), logger: logger)
        queue.start()
        logger.info("worker running", metadata: ["queues": "\(queues ?? "all")"])
        let signal = await StopSignal.next()
        logger.info("worker stopping", metadata: ["signal": "\(signal)"])
        await queue.shutdown()
    }
}

/// Waits for SIGTERM or SIGINT (delivered through Dispatch, not to the default handler).
enum StopSignal {
    static func next() async -> Int32 {
        await withCheckedContinuation { continuation in
            let once = Once()
            var sources: [any DispatchSourceSignal] = []
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number)
                source.setEventHandler {
                    if once.first() { continuation.resume(returning: number) }
                }
                source.resume()
                sources.append(source)
            }
            // Kept for the life of the process: a released source stops delivering.
            StopSignal.sources.withLock { $0 = sources }
        }
    }

    private static let sources = Locked<[any DispatchSourceSignal]>([])

    private final class Once: Sendable {
        private let done = Locked(false)
        func first() -> Bool {
            done.withLock { done in
                defer { done = true }
                return !done
            }
        }
    }
}
