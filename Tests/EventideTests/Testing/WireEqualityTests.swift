import Eventide
import EventideTesting
import Foundation
import Testing

/// The same bytes sent through `TestClient`'s in-memory transport and through a real
/// socket (`.live`) get the same response bytes, `Date` masked: there is one request path.
@Suite struct WireEqualityTests {
    /// Raw request bytes for one connection, and how to read what comes back.
    struct Exchange: Sendable, CustomTestStringConvertible {
        let name: String
        let request: String
        /// Responses to read, each with its request's method; nil: read until the server closes.
        let responses: [HTTPRequest.Method]?

        var testDescription: String { name }
    }

    static let exchanges: [Exchange] = [
        Exchange(name: "keep-alive GET", request: "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.get]),
        Exchange(name: "HEAD has no body", request: "HEAD /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.head]),
        Exchange(name: "POST body", request: "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", responses: [.post]),
        Exchange(
            name: "chunked request body",
            request: "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            responses: [.post]),
        Exchange(name: "JSON", request: "GET /json HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.get]),
        Exchange(name: "streamed body is chunked", request: "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.get]),
        Exchange(name: "streamed body over HTTP/1.0 ends with the close", request: "GET /stream HTTP/1.0\r\n\r\n", responses: nil),
        Exchange(name: "204 has no Content-Length", request: "DELETE /item HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.delete]),
        Exchange(
            name: "pipelined pair", request: "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\nGET /json HTTP/1.1\r\nHost: a\r\n\r\n",
            responses: [.get, .get]),
        Exchange(
            name: "Connection: close", request: "GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", responses: nil),
        Exchange(name: "HTTP/1.0 closes", request: "GET /plaintext HTTP/1.0\r\n\r\n", responses: nil),
        Exchange(
            name: "100 Continue", request: "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
            responses: [.post]),
        Exchange(name: "404", request: "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.get]),
        Exchange(name: "405", request: "PUT /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.put]),
        Exchange(name: "handler throws: 500", request: "GET /fail HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.get]),
        Exchange(name: "HTTP error: 418", request: "GET /teapot HTTP/1.1\r\nHost: a\r\n\r\n", responses: [.get]),
        Exchange(name: "malformed request line: 400, closed", request: "GET /plaintext\r\n\r\n", responses: nil),
        Exchange(name: "target without a slash: 400, closed", request: "GET plaintext HTTP/1.1\r\nHost: a\r\n\r\n", responses: nil),
        Exchange(name: "missing Host: 400, closed", request: "GET /plaintext HTTP/1.1\r\n\r\n", responses: nil),
        Exchange(name: "unknown version: 505", request: "GET / HTTP/9.9\r\nHost: a\r\n\r\n", responses: nil),
        Exchange(name: "unknown coding: 501", request: "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", responses: nil),
        Exchange(
            name: "body over the limit: 413", request: "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n", responses: nil),
        Exchange(
            name: "headers over the limit: 431",
            request: "GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "x", count: 3000))\r\n\r\n", responses: nil),
        Exchange(
            name: "a request after a bad one is not answered",
            request: "GET /plaintext HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
            responses: nil),
    ]

    static func router() -> Router {
        let router = Router()
        router.sync.get("/plaintext") { _, _ in "Hello, World!" }
        router.sync.post("/echo") { request, _ in Response.bytes(request.body) }
        router.sync.get("/json") { _, _ in ["message": "Hello, World!"] }
        router.sync.delete("/item") { _, _ in Response(status: .noContent) }
        router.sync.get("/fail") { _, _ -> String in throw CancellationError() }
        router.sync.get("/teapot") { _, _ -> String in throw HTTPError(HTTPResponse.Status(code: 418)) }
        router.sync.get("/stream") { _, _ in
            Response.stream { writer in
                try await writer.write("first,")
                try await writer.write("second")
            }
        }
        return router
    }

    static func configuration() -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.limits.maxBodyBytes = 1024
        configuration.limits.maxHeaderBytes = 2048
        configuration.serverName = "eventide-test"
        // Idle time is not under test: a loaded machine may pause a test for seconds.
        configuration.timeouts.idle = .seconds(120)
        return configuration
    }

    /// What one transport answered, `Date` values masked.
    static func answer(_ exchange: Exchange, over transport: TestClient.Transport) async throws -> String {
        let client = try TestClient(router: router(), transport: transport, configuration: configuration())
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send(exchange.request)
        var bytes: [UInt8] = []
        if let methods = exchange.responses {
            for method in methods {
                var response = try await connection.readResponse(to: method)
                bytes += response.bytes
                while response.status.code < 200 {
                    if response.status.code == 100 { try await connection.send("abc") }
                    response = try await connection.readResponse(to: method)
                    bytes += response.bytes
                }
            }
            await connection.close()
        } else {
            bytes = try await connection.readToEnd()
            await connection.close()
        }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.replacing(/Date: [^\r]*\r\n/, with: "Date: <masked>\r\n")
    }

    @Test(arguments: exchanges)
    func inMemoryAndSocketAnswerTheSameBytes(_ exchange: Exchange) async throws {
        let inMemory = try await Self.answer(exchange, over: .inMemory)
        let socket = try await Self.answer(exchange, over: .live)
        #expect(inMemory == socket)
        #expect(!inMemory.isEmpty)
        #expect(inMemory.contains("Date: <masked>\r\n"))
    }

    @Test func theAnswersAreTheServersOwn() async throws {
        let plaintext = try await Self.answer(Self.exchanges[0], over: .inMemory)
        #expect(plaintext == """
            HTTP/1.1 200 OK\r
            Content-Type: text/plain; charset=utf-8\r
            Server: eventide-test\r
            Date: <masked>\r
            Content-Length: 13\r
            \r
            Hello, World!
            """)
        let head = try await Self.answer(Self.exchanges[1], over: .inMemory)
        #expect(head.hasSuffix("Content-Length: 13\r\n\r\n"))
        let stream = try await Self.answer(Self.exchanges[5], over: .inMemory)
        #expect(stream.contains("Transfer-Encoding: chunked\r\n"))
        #expect(stream.hasSuffix("\r\n6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n"))
        let noSlash = try await Self.answer(Self.exchanges[17], over: .inMemory)
        #expect(noSlash.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(noSlash.contains("Connection: close\r\n"))
    }
}
