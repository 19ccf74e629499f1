import ArgumentParser
import Eventide
import EventideUVLoop
import Logging

/// The durable twin of the tutorial's notification task: appends
/// `notification for {email}: some notification` to `log.txt` in the work directory of
/// whichever process runs it (the serving one, or a worker of the same store).
struct DurableNotification: BlockingDurableTask {
    static let name = "durable_notification"
    var email: String

    /// Where runs in this process append: set once at start-up from `--workdir`.
    static let logPath = Locked("log.txt")

    /// A file append blocks: the queue runs it on its blocking pool.
    func run(_ context: DurableTaskContext) throws {
        try appendNotification(Self.logPath.withLock { $0 }, email)
    }
}

/// `--keep-completed`: how long finished tasks stay visible (bench and worker alike: the
/// fleet's coordinator, whichever process it is, applies its own).
struct RetentionOption: ParsableArguments {
    @Option(help: "Seconds completed durable tasks are kept before retention deletes them (default: the queue's, 24 h).")
    var keepCompleted: Int?

    func apply(to configuration: inout TaskQueue.Configuration) {
        if let keepCompleted { configuration.keepCompleted = .seconds(keepCompleted) }
    }
}

/// `--task-store` and friends: a durable-task queue for the example's routes.
struct TaskStoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Where durable tasks are stored: an SQLite file (relative: inside --workdir), or a PostgreSQL URL "
            + "(postgres://...). Enables POST /durable-notification/{email}."))
    var taskStore: String?

    @Option(help: "Durable-task workers in this process (0: none, another process runs the tasks).")
    var localWorkers = 100

    @Flag(help: "Commit with synchronous=NORMAL (survives a process crash, not a power cut) instead of FULL.")
    var relaxedDurability = false

    @OptionGroup var retention: RetentionOption

    @Option(help: "The most unfinished durable tasks the store takes before answering 503 (default: the queue's, 1,000,000).")
    var maxQueued: Int?

    /// The queue these options describe (nil without `--task-store`), its log in `workdir`.
    func makeQueue(workdir: WorkdirOption, logger: Logger) throws -> TaskQueue? {
        guard let taskStore else { return nil }
        DurableNotification.logPath.withLock { $0 = workdir.path("log.txt") }
        var configuration = TaskQueue.Configuration()
        retention.apply(to: &configuration)
        if let maxQueued { configuration.maxQueued = maxQueued }
        return try TaskQueue(
            store: Self.store(taskStore, workdir: workdir, durability: relaxedDurability ? .normal : .full),
            tasks: exampleDurableTasks,
            workers: localWorkers > 0 ? .local(concurrency: localWorkers) : .none, configuration: configuration, logger: logger)
    }

    /// A PostgreSQL store for a `postgres://` or `postgresql://` URL, else an SQLite file
    /// (relative paths inside `workdir`).
    static func store(_ location: String, workdir: WorkdirOption, durability: TaskQueue.Durability = .full) -> TaskQueue.Store {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") { return .postgres(location) }
        return .sqlite(path: location.hasPrefix("/") ? location : workdir.path(location), durability: durability)
    }
}

/// The durable task kinds of the example's routes (`bench`) and of its `worker`.
let exampleDurableTasks: [any DurableTask.Type] = [DurableNotification.self, DurableFailing.self]

extension BenchRoutes {
    /// `POST /durable-notification/{email}`: one durable task per request, answered once
    /// it is committed. `POST /durable-failing/{name}`: one task that always throws (3
    /// attempts, then discarded), for the fault tests.
    static func addDurable(to router: Router) {
        router.sync.post("/durable-notification/{email}") { request, tasks in
            try tasks.add(durable: DurableNotification(email: try request.pathParameters.require("email")))
            return try Response.json(Message(message: "Notification queued"))
        }
        router.sync.post("/durable-failing/{name}") { request, tasks in
            try tasks.add(
                durable: DurableFailing(label: try request.pathParameters.require("name")),
                options: .init(maxAttempts: DurableFailing.attempts))
            return try Response.json(Message(message: "Failing task queued"))
        }
    }
}
