import Eventide
import EventideTesting
import Testing

/// The two handler shapes (async, and the named synchronous fast path), typed bodies,
/// which middleware keeps a synchronous handler inline, and the swift-http-types
/// vocabulary a handler sees.
@Suite struct HandlerShapeTests {
    struct Signup: Codable, Sendable {
        var email: String
    }

    /// Whether the handler ran inside a Swift task (the async path) or inline on the loop.
    static func placement() -> String {
        withUnsafeCurrentTask { $0 == nil ? "inline" : "task" }
    }

    /// Adds `X-Chain: <name>` after the rest of the chain answered; `deny` answers 403 first.
    struct Mark: SynchronousMiddleware {
        let name: String
        func prepare(_ request: inout Request) throws -> Response? {
            request.headers[HTTPField.Name("X-Deny")!] == nil ? nil : Response(status: .forbidden)
        }
        func finish(_ response: inout Response, for request: Request) {
            response.headers.append(HTTPField(name: HTTPField.Name("X-Chain")!, value: name))
        }
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func syncHandlersRunInlineAndAsyncOnesInATask(transport: TestClient.Transport) async throws {
        let router = Router()
        router.sync.get("/sync") { _, _ in Self.placement() }
        router.get("/async") { _, _ in Self.placement() }
        let client = try TestClient(router: router, transport: transport)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        #expect(try await client.execute(.get, "/sync").text == "inline")
        #expect(try await client.execute(.get, "/async").text == "task")
    }

    @Test func synchronousMiddlewareKeepsASyncHandlerInline() async throws {
        let router = Router()
        router.use(Mark(name: "outer"))
        router.sync.get("/plain") { _, _ in Self.placement() }
        let group = router.group("/g")
        group.use(Mark(name: "inner"))
        group.sync.get("/x") { _, _ in Self.placement() }
        let client = try TestClient(router: router)
        defer { #expect(throws: Never.self) { try client.shutdown() } }

        let plain = try await client.execute(.get, "/plain")
        #expect(plain.text == "inline")
        #expect(plain.headers[values: HTTPField.Name("X-Chain")!] == ["outer"])
        // Inner finishes first, so its field comes first.
        let grouped = try await client.execute(.get, "/g/x")
        #expect(grouped.text == "inline")
        #expect(grouped.headers[values: HTTPField.Name("X-Chain")!] == ["inner", "outer"])
        // `prepare` answers instead of the handler; the router-wide one also wraps a 404.
        let denied = try await client.execute(.get, "/g/x", headers: [HTTPField.Name("X-Deny")!: "1"])
        #expect(denied.status == .forbidden)
        let missing = try await client.execute(.get, "/nowhere")
        #expect(missing.status == .notFound)
        #expect(missing.headers[HTTPField.Name("X-Chain")!] == "outer")
    }

    @Test func anAsyncMiddlewareMovesASyncHandlerIntoATask() async throws {
        let router = Router()
        router.use { request, next in try await next(request) }
        router.sync.get("/x") { _, _ in Self.placement() }
        let client = try TestClient(router: router)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        #expect(try await client.execute(.get, "/x").text == "task")
    }

    @Test(arguments: [false, true])
    func typedBodiesDecodeOrAnswer422(sync: Bool) async throws {
        let journal = Journal()
        @Sendable func welcome(_ email: String) { journal.record("welcome \(email)") }
        let router = Router()
        if sync {
            router.sync.post("/signup", body: Signup.self) { signup, _, tasks in
                try tasks.add(welcome, signup.email)
                return HTTPResponse.Status.accepted
            }
        } else {
            router.post("/signup", body: Signup.self) { signup, _, tasks in
                try tasks.add(welcome, signup.email)
                return HTTPResponse.Status.accepted
            }
        }
        let client = try TestClient(router: router, taskMode: .inline)
        defer { #expect(throws: Never.self) { try client.shutdown() } }

        let accepted = try await client.execute(
            .post, "/signup", headers: [.contentType: "application/json"], body: Array(#"{"email":"a@b.c"}"#.utf8))
        #expect(accepted.status == .accepted)
        let malformed = try await client.execute(.post, "/signup", body: Array(#"{"mail":1}"#.utf8))
        #expect(malformed.status == .unprocessableContent)
        #expect(String(decoding: malformed.body, as: UTF8.self) == #"{"detail":[{"loc":["body","email"],"msg":"Field required","type":"missing"}]}"#)
        let wrongType = try await client.execute(.post, "/signup", headers: [.contentType: "text/plain"], body: Array("a".utf8))
        #expect(wrongType.status == .unsupportedMediaType)
        #expect(journal.all == ["welcome a@b.c"])  // the failed requests' handlers added nothing
    }

    @Test func aHandlerSeesHTTPTypesValues() async throws {
        let router = Router()
        router.on(HTTPRequest.Method("PURGE")!, "/cache/{key}") { request, _ in
            let head = request.head
            return [
                "method": request.method.rawValue,
                "agent": request.headers[.userAgent] ?? "-",
                "authority": head.authority ?? "-",
                "path": head.path ?? "-",
                "hostInFields": "\(head.headerFields.contains { $0.name.canonicalName == "host" })",
            ]
        }
        let client = try TestClient(router: router)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let response = try await client.execute(HTTPRequest.Method("PURGE")!, "/cache/k?x=1", headers: [.userAgent: "probe/1"])
        #expect(response.status == .ok)
        #expect(
            response.text
                == #"{"agent":"probe/1","authority":"eventide.test","hostInFields":"false","method":"PURGE","path":"/cache/k?x=1"}"#)
    }
}

extension HandlerShapeTests {
    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func aHandlersConnectionCloseClosesAfterItsResponse(transport: TestClient.Transport) async throws {
        let router = Router()
        router.sync.get("/last") { _, _ in Response(headers: [.connection: "close"], body: .string("bye")) }
        router.sync.get("/next") { _, _ in "never" }
        let client = try TestClient(router: router, transport: transport)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("GET /last HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try await connection.readResponse()
        #expect(response.text == "bye")
        #expect(response.headers[.connection] == "close")
        #expect(try await connection.readToEnd().isEmpty)  // the pipelined request was not answered
    }
}
