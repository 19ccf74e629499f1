import Foundation
import Testing

extension ExampleProcessSuites {
    /// A 2xx from `/durable-notification` means the task survives `kill -9`: the example
    /// server, killed before any worker ran a task, is restarted on the same store and runs
    /// every one of them (a real process, a real socket, a real file).
    @Suite struct DurableCrashTests {
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
}

extension ExampleProcessSuites {
    /// The durable-tasks tutorial app, run as a user runs it.
    @Suite struct DurableTutorialTests {
        @Test func aFlakyWelcomeIsRetriedUntilSentAndItsStateIsVisible() throws {
            let app = try ExampleProcess(["durable"])
            let client = try RawClient(port: app.port)
            try client.send("POST /signup/flaky@example.com HTTP/1.1\r\nHost: x\r\n\r\n")
            let accepted = try client.readResponse()
            #expect(accepted.status == 202)
            let url = try #require(try JSONSerialization.jsonObject(with: Data(accepted.body)) as? [String: String])["task"]!
            // The same signup again while the first waits for its retry: the same task.
            try client.send("POST /signup/flaky@example.com HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try JSONSerialization.jsonObject(with: Data(client.readResponse().body)) as? [String: String] == ["task": url])

            var status: [String: Any] = [:]
            let deadline = Date(timeIntervalSinceNow: 20)
            while Date() < deadline {  // two retries, 1 s then 2 s after the failures
                try client.send("GET \(url) HTTP/1.1\r\nHost: x\r\n\r\n")
                status = try #require(try JSONSerialization.jsonObject(with: Data(client.readResponse().body)) as? [String: Any])
                if status["state"] as? String == "completed" { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(status["state"] as? String == "completed")
            #expect(status["attempt"] as? Int == 3)
            #expect(status["errors"] as? [String] == ["mail server down (attempt 1)", "mail server down (attempt 2)"])
            #expect(app.file("mail.txt") == "welcome mail to flaky@example.com\n")

            try client.send("GET /tasks/999 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 404)
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
        }
    }
}
