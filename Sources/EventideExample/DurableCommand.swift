import ArgumentParser
import Eventide
import EventideUVLoop
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The durable-tasks tutorial: a signup whose welcome mail must go out even if the
/// server is killed right after answering. The "mail" is a line in `mail.txt`; an
/// address containing "flaky" fails twice first, to show the retries, and every mail
/// fails while a file `mail-server-down` exists in the work directory (five attempts,
/// then the task is discarded: retry it from the dashboard once the file is gone).
///
/// The server and the queue run as services of a swift-service-lifecycle `ServiceGroup`,
/// which turns SIGTERM and SIGINT into their graceful shutdown.
struct DurableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durable",
        abstract: "POST /signup/{email} with a durable welcome task; GET /tasks/{id} shows its state; "
            + "with --dashboard-token the task dashboard at /admin/tasks."
    )

    @OptionGroup var options: ServerOptions
    @OptionGroup var workdir: WorkdirOption

    @Option(help: "Where the tasks are stored: an SQLite file (relative: inside --workdir) or a PostgreSQL URL (postgres://...).")
    var taskStore = "tasks.db"

    @OptionGroup var dashboard: DashboardOption

    /// The welcome mail, stored with the response and sent at least once.
    struct SendWelcome: DurableTask {
        static let name = "send_welcome"
        var email: String

        /// Where this process "sends" mail: set at start-up from `--workdir`.
        static let outbox = Locked("mail.txt")
        /// While this file exists every mail fails: set at start-up from `--workdir`.
        static let downFlag = Locked("mail-server-down")

        func run(_ context: DurableTaskContext) async throws {
            let (outbox, downFlag) = (Self.outbox.withLock { $0 }, Self.downFlag.withLock { $0 })
            try await context.runBlocking {
                if email.contains("flaky") && context.attempt < 3 || access(downFlag, F_OK) == 0 {
                    throw MailServerDown(attempt: context.attempt)
                }
                try LogFile.append("welcome mail to \(email)\n", to: outbox)
            }
        }
    }

    struct MailServerDown: Error, CustomStringConvertible {
        let attempt: Int
        var description: String { "mail server down (attempt \(attempt))" }
    }

    /// `GET /tasks/{id}`'s body.
    struct TaskStatus: Encodable {
        let id: Int64
        let kind: String
        let state: String
        let attempt: Int
        let maxAttempts: Int
        let errors: [String]
    }

    func run() async throws {
        SendWelcome.outbox.withLock { $0 = workdir.path("mail.txt") }
        SendWelcome.downFlag.withLock { $0 = workdir.path("mail-server-down") }
        // Retries after 1 s, then 2 s: short, so the tutorial shows them (the default
        // backoff waits 15 s or more).
        let queue = try TaskQueue(
            store: TaskStoreOptions.store(taskStore, workdir: workdir), tasks: [SendWelcome.self],
            configuration: TaskQueue.Configuration(retryBackoff: { attempt in .seconds(attempt) }),
            logger: options.listen.makeLogger(label: "tasks"))

        let router = Router()
        router.post("/signup/{email}") { request, tasks in
            let email = try request.pathParameters.require("email")
            try tasks.add(durable: SendWelcome(email: email), options: .init(maxAttempts: 5, uniqueKey: "welcome:\(email)"))
            // Committed now rather than with the response: the answer names the task.
            let receipt = try await tasks.commitDurable()[0]
            return try Response.json(["task": "/tasks/\(receipt.id)"], status: .accepted)
        }
        router.get("/tasks/{id}") { request, _ in
            guard let id = request.pathParameters.get("id", as: Int64.self), let task = try await queue.task(id: id) else {
                throw HTTPError(.notFound, "no such task")
            }
            return try Response.json(TaskStatus(
                id: task.id, kind: task.kind, state: task.state.rawValue, attempt: task.attempt, maxAttempts: task.maxAttempts,
                errors: task.errors.map(\.error)))
        }
        try dashboard.mount(on: router, queue: queue)
        let logger = options.listen.makeLogger(label: "durable")
        let metricsServer = try options.startMetricsServer(beside: router, logger: logger)
        let server = try Server(router: router, configuration: options.configuration { $0.taskQueue = queue }, logger: logger)
        let group = ServiceGroup(services: [queue, server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        _ = try await metricsServer?.stop()
        try ServerOptions.exitStatus(of: await server.stopped(), logger: logger)
    }
}
