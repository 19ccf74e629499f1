import Foundation
import Testing

extension ExampleProcessSuites {
    /// `eventide-example openapi`: the code swift-openapi-generator made from openapi.yaml,
    /// served by Eventide's router, with its background tasks.
    @Suite struct OpenAPIExampleTests {
        @Test func generatedHandlersAnswerAndTheirTasksWriteTheLog() throws {
            let app = try ExampleProcess(["openapi"])
            let client = try RawClient(port: app.port)
            try client.send("POST /send-notification/ada%40example.com HTTP/1.1\r\nHost: x\r\n\r\n")
            let sent = try client.readResponse()
            #expect(sent.status == 200)
            #expect(try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: String] == ["message": "Notification sent in the background"])

            let body = #"{"email":"bob@example.com","message":"hi"}"#
            try client.send("POST /notifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let accepted = try client.readResponse()
            #expect(accepted.status == 202)
            let id = try #require(try JSONSerialization.jsonObject(with: Data(accepted.body)) as? [String: String])["id"] ?? ""

            let invalid = #"{"email":"eve@example.com","message":7}"#
            try client.send("POST /notifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(invalid.utf8.count)\r\n\r\n\(invalid)")
            let rejected = try client.readResponse()
            #expect(rejected.status == 422)
            #expect(rejected.text == #"{"detail":[{"loc":["body","message"],"msg":"Input should be a valid string","type":"string_type"}]}"#)

            try client.send("GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n")
            let document = try client.readResponse()
            #expect(document.headers["content-type"] == "application/yaml")
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Sources/EventideExample/openapi.yaml")
            #expect(document.body == Array(try Data(contentsOf: source)))

            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
            let lines = app.file("log.txt").split(separator: "\n").map(String.init).sorted()
            #expect(lines == ["notification \(id) for bob@example.com: hi", "notification for ada@example.com: some notification"].sorted())
        }
    }
}
