import ArgumentParser
import Dispatch
import Eventide
import EventideUVLoop

/// `eventide-example`: the runnable examples, one subcommand each.
struct EventideExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventide-example",
        abstract: "Runnable Eventide examples.",
        subcommands: [
            BenchCommand.self, NotificationCommand.self, DependenciesCommand.self, ProcessingCommand.self,
            EmbeddedHostCommand.self, ThreadedAppCommand.self, DurableCommand.self, WorkerCommand.self, OpenAPICommand.self,
        ]
    )
}

/// Runs a synchronous subcommand (every server but `threaded-app`) on the main thread.
///
/// An async `@main` would park the main thread in `dispatchMain()` and run the blocking
/// server on a thread of Swift concurrency's pool, keeping that thread and two more of
/// libdispatch's (a manager and a spare worker) for the life of the process.
@main
enum Main {
    static func main() {
        do {
            var command = try EventideExample.parseAsRoot()
            if let asyncCommand = command as? any AsyncParsableCommand {
                try runBlocking(asyncCommand)
            } else {
                try command.run()
            }
        } catch {
            EventideExample.exit(withError: error)
        }
    }

    /// Runs `command` on Swift concurrency's pool; the main thread waits for it.
    private static func runBlocking(_ command: sending any AsyncParsableCommand) throws {
        let outcome = Outcome()
        Task {
            var command = command
            do {
                try await command.run()
                outcome.finish(nil)
            } catch {
                outcome.finish(error)
            }
        }
        try outcome.wait()
    }
}

/// How an async command ended, handed from its task to the waiting main thread.
private final class Outcome: Sendable {
    private let error = Locked<(any Error)?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    func finish(_ failure: (any Error)?) {
        error.withLock { $0 = failure }
        finished.signal()
    }

    func wait() throws {
        finished.wait()
        if let failure = error.withLock({ $0 }) { throw failure }
    }
}
