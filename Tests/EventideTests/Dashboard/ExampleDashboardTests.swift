import Foundation
import Testing

extension ExampleProcessSuites {
    /// `--dashboard-token` on the example apps, run as a user runs them.
    @Suite struct ExampleDashboardTests {
        func status(_ port: Int, _ path: String, _ headers: [String] = []) throws -> TestResponse {
            let client = try RawClient(port: port)
            try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
            return try client.readResponse()
        }

        @Test func benchServesTheDashboardOnlyWithTheOption() throws {
            let plain = try ExampleProcess(["bench", "--task-store", "tasks.db"])
            #expect(try status(plain.port, "/admin/tasks").status == 404)
            #expect(try status(plain.port, "/admin/tasks", ["Authorization: Bearer x"]).status == 404)
            plain.signal(SIGTERM)
            #expect(plain.waitForExit() == 0)

            let app = try ExampleProcess(["bench", "--task-store", "tasks.db", "--dashboard-token", "s3cret"])
            #expect(try status(app.port, "/admin/tasks").status == 404)
            #expect(try status(app.port, "/admin/tasks", ["Authorization: Bearer s3cre"]).status == 401)
            let page = try status(app.port, "/admin/tasks", ["Authorization: Bearer s3cret"])
            #expect(page.status == 200 && page.text.contains("Durable tasks") && page.text.contains("<table id=\"counts\">"))
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
        }

        @Test func theDurableAppServesItsQueue() throws {
            let app = try ExampleProcess(["durable", "--dashboard-token", "s3cret"])
            let client = try RawClient(port: app.port)
            try client.send("POST /signup/a@example.com HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 202)
            let counts = try status(app.port, "/admin/tasks/counts.json", ["Authorization: Bearer s3cret"])
            #expect(counts.status == 200 && counts.text.contains("\"default\""))
            #expect(try status(app.port, "/admin/tasks/counts.json").status == 404)
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
        }
    }
}
