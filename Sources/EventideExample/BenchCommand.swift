import ArgumentParser
import Eventide

#if canImport(Glibc)
import Glibc
#endif

/// The routes the benchmarks measure, the same on every peer server.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Serve the benchmark routes: /plaintext, /json, /send-notification/{email}, /slow/{ms}, POST /items, "
            + "and with --task-store /durable-notification/{email} and /durable-failing/{name}; "
            + "with --dashboard-token the task dashboard at /admin/tasks."
    )

    @OptionGroup var options: ServerOptions
    @OptionGroup var workdir: WorkdirOption
    @OptionGroup var tasks: TaskStoreOptions
    @OptionGroup var dashboard: DashboardOption

    func run() throws {
        let router = BenchRoutes.make(workdir: workdir)
        let queue = try tasks.makeQueue(workdir: workdir, logger: options.listen.makeLogger(label: "tasks"))
        if queue != nil { BenchRoutes.addDurable(to: router) }
        try dashboard.mount(on: router, queue: queue)
        try options.serve(router, label: "bench") { $0.taskQueue = queue }
    }
}

/// The benchmark routes, shared by `bench` and `embedded-host`.
enum BenchRoutes {
    /// `GET /plaintext`, `GET /json`, `POST /send-notification/{email}` (a blocking task
    /// appends to `log.txt` in the work directory), `POST /slow/{ms}` (`slow.txt`) and
    /// `POST /items` (a JSON item back with 201, or the 422 of a body that does not fit).
    static func make(workdir: WorkdirOption) -> Router {
        let logPath = workdir.path("log.txt")
        let slowPath = workdir.path("slow.txt")
        let router = Router()
        // None of these waits for anything: the synchronous fast path, inline on the loop.
        router.sync.get("/plaintext") { _, _ in Response.text("Hello, World!", contentType: "text/plain") }
        router.sync.get("/json") { _, _ in try Response.json(Message(message: "Hello, World!")) }
        router.sync.post("/send-notification/{email}") { request, tasks in
            let email = try request.pathParameters.require("email")
            try tasks.add(appendNotification, logPath, email, name: "write_notification")
            return try Response.json(Message(message: "Notification sent in the background"))
        }
        router.sync.post("/slow/{ms}") { request, tasks in
            guard let milliseconds = request.pathParameters.get("ms", as: Int.self), (0...60_000).contains(milliseconds) else {
                throw HTTPError(.badRequest, "ms must be an integer from 0 to 60000")
            }
            try tasks.add(slowTask, slowPath, milliseconds, name: "slow_task")
            return try Response.json(Message(message: "accepted"), status: .accepted)
        }
        router.sync.post("/items") { request, _ in try Response.json(request.decode(Item.self), status: .created) }
        return router
    }
}

/// The tutorial's task: one line per notification, appended.
@Sendable func appendNotification(_ path: String, _ email: String) throws {
    try LogFile.append("notification for \(email): some notification\n", to: path)
}

/// A blocking task that takes `milliseconds`, then leaves a line.
@Sendable func slowTask(_ path: String, _ milliseconds: Int) throws {
    usleep(useconds_t(milliseconds * 1000))
    try LogFile.append("slept \(milliseconds) ms\n", to: path)
}

/// `POST /items`'s body and answer.
struct Item: Codable {
    var name: String
    var price: Double
}

/// `{"message": ...}` bodies.
struct Message: Encodable {
    let message: String
}
