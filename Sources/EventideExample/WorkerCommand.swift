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

    @OptionGroup var retention: RetentionOption

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
        var configuration = TaskQueue.Configuration()
        retention.apply(to: &configuration)
        let queue = try TaskQueue(
            store: TaskStoreOptions.store(store, workdir: workdir), tasks: exampleDurableTasks,
            workers: .local(concurrency: concurrency ?? (named.isEmpty ? 100 : 0), queues: named), configuration: configuration,
            logger: logger)
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
        let received = Received()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { received.deliver(number) }
            source.resume()
            sources.append(source)
        }
        let number = await received.first()
        for source in sources { source.cancel() }
        return number
    }

    /// The first signal, handed to whoever waits for it.
    private final class Received: Sendable {
        private struct State {
            var number: Int32?
            var waiter: CheckedContinuation<Int32, Never>?
        }
        private let state = Locked(State())

        func deliver(_ number: Int32) {
            let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
                guard state.number == nil else { return nil }
                state.number = number
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: number)
        }

        func first() async -> Int32 {
            await withCheckedContinuation { continuation in
                let number = state.withLock { state -> Int32? in
                    if state.number == nil { state.waiter = continuation }
                    return state.number
                }
                if let number { continuation.resume(returning: number) }
            }
        }
    }
}
