import Foundation
import Testing

extension ExampleProcessSuites {
    /// The tutorial apps, run as a user runs them, produce the tutorial's bodies and files.
    @Suite struct TutorialAppTests {
        @Test func notificationWritesLogAfterTheResponse() throws {
            let app = try ExampleProcess(["notification"])
            let client = try RawClient(port: app.port)
            try client.send("POST /send-notification/ada@example.com HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.text == #"{"message":"Notification sent in the background"}"#)
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
            #expect(app.file("log.txt") == "notification for ada@example.com: some notification")
        }

        @Test func dependenciesWriteDependencyLineFirst() throws {
            let app = try ExampleProcess(["dependencies"])
            let client = try RawClient(port: app.port)
            try client.send("POST /send-notification/ada@example.com?q=tea HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == #"{"message":"Message sent"}"#)
            try client.send("POST /send-notification/bob@example.com HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == #"{"message":"Message sent"}"#)
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
            // Within a request the dependency's line comes first; across requests no order is promised.
            let lines = app.file("log.txt").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.sorted() == ["", "found query: tea", "message to ada@example.com", "message to bob@example.com"])
            #expect(lines.firstIndex(of: "found query: tea")! < lines.firstIndex(of: "message to ada@example.com")!)
        }

        @Test func processingAnswers202AndReportsTheResult() throws {
            let app = try ExampleProcess(["processing"])
            let client = try RawClient(port: app.port, receiveTimeout: 20)
            var text = ""
            for line in 0..<200_000 { text += "line \(line) has five words\n" }
            text += "last line without newline"
            let job = try process(Array(text.utf8), on: client)
            #expect(job["state"] as? String == "done")
            #expect(job["lines"] as? Int == 200_001)
            #expect(job["words"] as? Int == 200_000 * 5 + 4)
            #expect(job["sha256"] as? String == "f56b184a7e8e296fc1346db7a4ccf23e4a32c9b543db5548d0a5d6091c59b55f")  // hashlib.sha256 of the same text
            // SHA-256 of the common check string "123456789".
            #expect(try process(Array("123456789".utf8), on: client)["sha256"] as? String == "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225")
            try client.send("GET /process/unknown HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 404)
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
        }

        /// Posts `body` to `/process` (expecting 202) and polls the job until it is done or 15 s passed.
        private func process(_ body: [UInt8], on client: RawClient) throws -> [String: Any] {
            try client.send("POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
            try client.send(body)
            let accepted = try client.readResponse()
            #expect(accepted.status == 202)
            let id = try #require(try JSONSerialization.jsonObject(with: Data(accepted.body)) as? [String: String])["id"]!
            var job: [String: Any] = [:]
            let deadline = Date().addingTimeInterval(15)
            // A poll: the app tells a job's state only when asked (no event to wait on).
            while true {
                try client.send("GET /process/\(id) HTTP/1.1\r\nHost: x\r\n\r\n")
                job = try JSONSerialization.jsonObject(with: Data(try client.readResponse().body)) as? [String: Any] ?? [:]
                if ["done", "failed"].contains(job["state"] as? String) { break }
                guard Date() < deadline else { throw RawClient.Failure(description: "job \(id) not finished after 15 s: \(job)") }
                usleep(5_000)
            }
            return job
        }

        @Test func benchSlowRouteAnswers202AndTheTaskWritesItsLine() throws {
            let app = try ExampleProcess(["bench"])
            let client = try RawClient(port: app.port)
            try client.send("POST /slow/20 HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 202)
            #expect(response.text == #"{"message":"accepted"}"#)
            try client.send("POST /send-notification/c@d.e HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == #"{"message":"Notification sent in the background"}"#)
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
            #expect(app.file("slow.txt").split(separator: "\n").count == 1)
            #expect(app.file("log.txt") == "notification for c@d.e: some notification\n")
        }

        @Test func benchItemsAnswers201OrTheValidationError() throws {
            let app = try ExampleProcess(["bench"])
            let client = try RawClient(port: app.port)
            func post(_ body: String) throws -> TestResponse {
                try client.send("POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                return try client.readResponse()
            }
            let created = try post(#"{"name":"pen","price":2.5}"#)
            #expect(created.status == 201)
            #expect(created.text == #"{"name":"pen","price":2.5}"#)
            let wrong = try post(#"{"name":"pen","price":"two"}"#)
            #expect(wrong.status == 422)
            #expect(wrong.text == #"{"detail":[{"loc":["body","price"],"msg":"Input should be a valid number","type":"float_type"}]}"#)
            #expect(try post(#"{"price":2}"#).text == #"{"detail":[{"loc":["body","name"],"msg":"Field required","type":"missing"}]}"#)
            #expect(try post("{oops").status == 422)
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
        }
    }
}
