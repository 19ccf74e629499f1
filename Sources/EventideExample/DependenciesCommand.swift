import ArgumentParser
import Eventide

/// The tutorial's "Dependency Injection" example: a dependency and the handler share
/// the request's background tasks; the dependency's task runs first.
struct DependenciesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dependencies",
        abstract: "POST /send-notification/{email}?q=...: a dependency and the handler both add tasks."
    )

    @OptionGroup var options: ServerOptions
    @OptionGroup var workdir: WorkdirOption

    func run() throws {
        let logPath = workdir.path("log.txt")
        @Sendable func writeLog(message: String) throws {
            try LogFile.append(LogLine(message), to: logPath)
        }

        // def get_query(background_tasks: BackgroundTasks, q: str | None = None)
        let query = Dependency<String?> { request, tasks in
            let q = request.query["q"]
            if let q { try tasks.add(writeLog, "found query: \(q)\n") }
            return q
        }

        let router = Router()
        router.post("/send-notification/{email}", using: query) { request, tasks, _ in
            try tasks.add(writeLog, "message to \(try request.pathParameters.require("email"))\n")
            return ["message": "Message sent"]
        }
        try options.serve(router, label: "dependencies")
    }
}
