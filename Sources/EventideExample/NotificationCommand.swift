import ArgumentParser
import Eventide

/// FastAPI's "Background Tasks" tutorial, first example: the task writes `log.txt`
/// after the response was sent.
struct NotificationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notification",
        abstract: "POST /send-notification/{email}: answer at once, write log.txt in the background."
    )

    @OptionGroup var options: ServerOptions
    @OptionGroup var workdir: WorkdirOption

    func run() throws {
        let logPath = workdir.path("log.txt")
        // def write_notification(email: str, message=""):
        //     with open("log.txt", mode="w") as email_file: ...
        @Sendable func writeNotification(email: String, message: String) throws {
            try LogFile.overwrite("notification for \(email): \(message)", to: logPath)
        }

        let router = Router()
        router.post("/send-notification/{email}") { request, tasks in
            try tasks.add(writeNotification, try request.pathParameters.require("email"), "some notification")
            return ["message": "Notification sent in the background"]
        }
        try options.serve(router, label: "notification")
    }
}
