import Foundation
import Testing

/// A 2xx from `/durable-notification` means the task survives `kill -9`: the example
/// server, killed before any worker ran a task, is restarted on the same store and runs
/// every one of them (a real process, a real socket, a real file).
@Suite(.serialized) struct DurableCrashTests {
    @Test func everyAnsweredTaskRunsAfterKillNine() throws {
        let first = try ExampleProcess(["bench", "--task-store", "tasks.db", "--local-workers", "0"])
        let client = try RawClient(port: first.port)
        let emails = (0..<20).map { "user\($0)@example.com" }
        for email in emails {
            try client.send("POST /durable-notification/\(email) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == #"{"message":"Notification queued"}"#)
        }
        first.signal(SIGKILL)
        #expect(first.waitForExit() != 0)
        #expect(first.file("log.txt").isEmpty)  // no worker there: nothing ran before the kill

        let second = try ExampleProcess(["bench", "--task-store", "tasks.db"], workdir: first.workdir)
        // Polls the file (another process writes it) until every line is there or 20 s passed.
        let deadline = Date(timeIntervalSinceNow: 20)
        while Date() < deadline, second.file("log.txt").split(separator: "\n").count < emails.count {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let lines = Set(second.file("log.txt").split(separator: "\n").map(String.init))
        #expect(lines == Set(emails.map { "notification for \($0): some notification" }))
        second.signal(SIGTERM)
        #expect(second.waitForExit() == 0)
        try? FileManager.default.removeItem(at: first.workdir)
    }

    @Test func withoutATaskStoreTheRouteIsNotThere() throws {
        let app = try ExampleProcess(["bench"])
        let client = try RawClient(port: app.port)
        try client.send("POST /durable-notification/a@b.c HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 404)
        app.signal(SIGTERM)
        #expect(app.waitForExit() == 0)
    }
}
