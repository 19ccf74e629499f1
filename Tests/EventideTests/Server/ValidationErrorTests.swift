import Eventide
import Foundation
import Testing

/// Requests a handler cannot use answer 422 with FastAPI's body, over a real socket.
@Suite struct ValidationErrorTests {
    struct Item: Codable {
        var name: String
        var price: Double
    }

    static let ran = Watched<[String]>([])

    static func router() -> Router {
        let router = Router()
        router.sync.post("/items") { request, tasks in
            try tasks.add({ ValidationErrorTests.ran.update { $0.append(request.query["tag"] ?? "") } }, name: "note")
            return try Response.json(request.decode(Item.self), status: .created)
        }
        router.sync.post("/batch") { request, _ in try Response.json(request.decode([Item].self)) }
        router.sync.get("/search") { request, _ in "limit \(try request.query.require("limit", as: Int.self))" }
        router.sync.get("/items/{id}") { request, _ in "item \(try request.pathParameters.require("id", as: Int.self))" }
        return router
    }

    static func post(_ client: RawClient, _ path: String, _ body: String) throws -> TestResponse {
        try client.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return try client.readResponse()
    }

    @Test func aBodyThatDoesNotFitNamesTheFieldAndTheReason() throws {
        let recorder = LogRecorder()
        let server = try TestServer(Self.router(), logger: recorder.logger())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        let cases: [(String, String, String)] = [
            ("/items", #"{"name":"pen"}"#, #"{"detail":[{"loc":["body","price"],"msg":"Field required","type":"missing"}]}"#),
            ("/items", #"{"name":"pen","price":"cheap"}"#,
             #"{"detail":[{"loc":["body","price"],"msg":"Input should be a valid number","type":"float_type"}]}"#),
            ("/items", #"{"name":null,"price":1}"#,
             #"{"detail":[{"loc":["body","name"],"msg":"Input should be a valid string","type":"string_type"}]}"#),
            ("/items", #"{"name":"pen","#, #"{"detail":[{"loc":["body"],"msg":"JSON decode error","type":"json_invalid"}]}"#),
            ("/items", "", #"{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}"#),
            ("/items", "[1]",
             #"{"detail":[{"loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","type":"model_attributes_type"}]}"#),
            ("/batch", #"[{"name":"a","price":1},{"price":2}]"#,
             #"{"detail":[{"loc":["body",1,"name"],"msg":"Field required","type":"missing"}]}"#),
        ]
        for (path, body, expected) in cases {
            let response = try Self.post(client, path, body)
            #expect(response.status == 422, "\(body)")
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.text == expected)
        }
        // One line each, at info level: the client's mistake, not the server's.
        let logged = recorder.records.filter { $0.message == "request not valid" }
        #expect(logged.count == cases.count)
        #expect(logged.allSatisfy { $0.level == .info })
        #expect(logged.first?.metadata["error"] == "body.price: Field required")
        let created = try Self.post(client, "/items", #"{"name":"pen","price":1.5}"#)
        #expect(created.status == 201)
        #expect(created.text == #"{"name":"pen","price":1.5}"#)
    }

    @Test func parametersThatDoNotConvertOrAreMissingAre422() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        let cases: [(String, Int, String)] = [
            ("/search?limit=ten", 422,
             #"{"detail":[{"loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing"}]}"#),
            ("/search", 422, #"{"detail":[{"loc":["query","limit"],"msg":"Field required","type":"missing"}]}"#),
            ("/items/abc", 422,
             #"{"detail":[{"loc":["path","id"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing"}]}"#),
            ("/search?limit=10", 200, "limit 10"),
            ("/items/7", 200, "item 7"),
        ]
        for (target, status, expected) in cases {
            try client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == status, "\(target)")
            #expect(response.text == expected)
        }
    }

    @Test func aRejectedRequestRunsNoBackgroundTask() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        let tag = UUID().uuidString
        #expect(try Self.post(client, "/items?tag=bad-\(tag)", #"{"name":"pen"}"#).status == 422)
        #expect(try Self.post(client, "/items?tag=good-\(tag)", #"{"name":"pen","price":2}"#).status == 201)
        #expect(Self.ran.wait(timeout: 10) { $0.contains("good-\(tag)") })
        #expect(!Self.ran.current.contains("bad-\(tag)"))
    }

    @Test func aMiddlewareCanAnswerValidationErrorsItsOwnWay() throws {
        let router = Self.router()
        router.use(ClosureMiddleware { request, next in
            do { return try await next(request) } catch let error as ValidationError {
                return .text(error.details.map { "\($0.type): \($0.msg)" }.joined(separator: "\n"), status: .badRequest)
            }
        })
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let response = try Self.post(try server.client(), "/items", #"{"name":"pen"}"#)
        #expect(response.status == 400)
        #expect(response.text == "missing: Field required")
    }
}
