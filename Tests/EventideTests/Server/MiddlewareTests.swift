import Eventide
import Testing

@Suite struct MiddlewareTests {
    struct Tag: Middleware {
        let name: String
        func respond(to request: Request, next: MiddlewareNext) async throws -> Response {
            var response = try await next(request)
            response.headers.append(HTTPField(name: HTTPField.Name("X-Trace")!, value: name))
            return response
        }
    }

    @Test func globalAndGroupMiddlewareWrapInOrder() throws {
        let router = Router()
        router.use(Tag(name: "global"))
        router.sync.get("/open") { _, _ in "open" }
        let api = router.group("/api")
        api.sync.get("/items/{id}") { request, _ in "item \(request.pathParameters["id"]!)" }
        api.use(Tag(name: "api"))
        let admin = api.group("admin")
        admin.use { request, next in
            guard request.headers[.authorization] == "Bearer yes" else { throw HTTPError(.unauthorized) }
            return try await next(request)
        }
        admin.sync.get("/") { _, _ in "admin home" }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()

        try client.send("GET /api/items/7 HTTP/1.1\r\nHost: x\r\n\r\n")
        let item = try client.readResponse()
        #expect(item.text == "item 7")
        // Inner middleware adds its header first; the dictionary keeps the last, outermost.
        #expect(item.headers["x-trace"] == "global")

        try client.send("GET /open HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().headers["x-trace"] == "global")

        try client.send("GET /api/admin HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 401)
        try client.send("GET /api/admin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer yes\r\n\r\n")
        #expect(try client.readResponse().text == "admin home")
    }

    @Test func middlewareSeesNotFoundAndCanRecover() throws {
        let router = Router()
        router.use { request, next in
            do {
                return try await next(request)
            } catch let error as HTTPError where error.status == .notFound {
                return Response.text("custom 404 for \(request.path)", status: .notFound)
            }
        }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.text == "custom 404 for /missing")
    }
}
