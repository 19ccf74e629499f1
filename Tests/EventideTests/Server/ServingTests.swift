import Eventide
import Foundation
import Testing

@Suite struct ServingTests {
    static func router() -> Router {
        let router = Router()
        router.sync.get("/plaintext") { _, _ in "Hello, World!" }
        router.sync.get("/users/{id}") { request, _ in "user \(request.pathParameters["id"] ?? "?") q=\(request.query["q"] ?? "-")" }
        router.sync.post("/users") { _, _ in Response(status: .created) }
        router.get("/async") { request, _ async in
            try? await Task.sleep(for: .milliseconds(10))
            return "async on loop: \(request.eventLoop.inEventLoop)"
        }
        router.sync.get("/boom") { _, _ -> String in throw CancellationError() }
        router.sync.get("/teapot") { _, _ -> String in throw HTTPError(HTTPResponse.Status(code: 418), "short and stout", headers: [HTTPField.Name("X-Tea")!: "yes"]) }
        return router
    }

    @Test func servesPlaintextWithDateAndLength() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "Hello, World!")
        #expect(response.headers["content-length"] == "13")
        #expect(response.headers["date"]?.hasSuffix(" GMT") == true)
        #expect(response.headers["content-type"] == "text/plain; charset=utf-8")
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        for id in 1...5 {
            try client.send("GET /users/\(id)?q=a%20b HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "user \(id) q=a b")
            #expect(response.headers["connection"] == nil)
        }
    }

    @Test func http10ClosesUnlessKeepAliveAsked() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let plain = try server.client()
        try plain.send("GET /plaintext HTTP/1.0\r\n\r\n")
        #expect(try plain.readResponse().status == 200)
        #expect(try plain.isClosedByPeer())

        let kept = try server.client()
        try kept.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = try kept.readResponse()
        #expect(first.headers["connection"]?.lowercased() == "keep-alive")
        try kept.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try kept.readResponse().status == 200)
    }

    @Test func connectionCloseIsHonoured() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["connection"] == "close")
        #expect(try client.isClosedByPeer())
    }

    @Test func headHasLengthButNoBody() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readResponse(bodyless: true)
        #expect(head.status == 200)
        #expect(head.headers["content-length"] == "13")
        // The next response starts right after the head: no body bytes were sent.
        #expect(try client.readResponse().text == "Hello, World!")
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 404)
        try client.send("DELETE /users HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "POST")
        try client.send("PUT /plaintext HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.readResponse().headers["allow"] == "GET, HEAD")
    }

    @Test func asyncHandlersRunOnTheLoopThread() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET /async HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "async on loop: true")
    }

    @Test func thrownErrorsBecome500OrTheirOwnStatus() throws {
        let server = try TestServer(Self.router())
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        let failure = try client.readResponse()
        #expect(failure.status == 500)
        #expect(failure.text == "500 Internal Server Error")
        try client.send("GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n")
        let teapot = try client.readResponse()
        #expect(teapot.status == 418)
        #expect(teapot.text == "short and stout")
        #expect(teapot.headers["x-tea"] == "yes")
    }
}
