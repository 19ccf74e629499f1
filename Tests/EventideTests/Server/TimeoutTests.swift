import Eventide
import EventideTesting
import Foundation
import Testing

/// Timeouts and connection limits: a hostile or vanished client is closed, with 408
/// where a request was under way.
@Suite struct TimeoutTests {
    static func router() -> Router {
        let router = Router()
        router.sync.get("/") { _, _ in "ok" }
        router.sync.post("/upload") { request, _ in "\(request.body.count)" }
        let big = [UInt8](repeating: 0x61, count: 16 * 1024 * 1024)
        router.sync.get("/big") { _, _ in Response.bytes(big) }
        return router
    }

    static func quick(_ configuration: inout ServerConfiguration) {
        configuration.timeouts = ServerTimeouts(
            header: .milliseconds(300), body: .milliseconds(300), idle: .milliseconds(300), writeStall: .milliseconds(300))
    }

    // The timeouts run on the seam: the server's own connection code over TestClient's
    // in-memory transport, whose clock moves only when the test moves it. No waiting.

    static func client() throws -> TestClient {
        var configuration = ServerConfiguration()
        quick(&configuration)
        return try TestClient(router: router(), configuration: configuration)
    }

    @Test func slowlorisHeadersGet408() async throws {
        let client = try Self.client()
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("GET / HTTP/1.1\r\n")
        // Each byte resets nothing: the head must be complete within the header timeout.
        for byte in "Host: example.com\r\nX-Slow: yes".utf8.prefix(9) {
            try await connection.send([byte])
            try await client.advanceClock(by: .milliseconds(30))
        }
        #expect(connection.unreadBytes.isEmpty)  // 270 ms: not yet
        try await client.advanceClock(by: .milliseconds(30))
        let response = try await connection.readResponse()
        #expect(response.status == .requestTimeout)
        #expect(response.headers[.connection] == "close")
        #expect(response.text == "408 Request Timeout: header not received in time\n")
    }

    @Test func stalledBodyGets408() async throws {
        let client = try Self.client()
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        try await client.advanceClock(by: .milliseconds(200))
        try await connection.send("de")  // progress restarts the body timeout
        try await client.advanceClock(by: .milliseconds(299))
        #expect(connection.unreadBytes.isEmpty)
        try await client.advanceClock(by: .milliseconds(1))
        let response = try await connection.readResponse(to: .post)
        #expect(response.status == .requestTimeout)
        #expect(response.text == "408 Request Timeout: body not received in time\n")
        await connection.shutdownWrite()
        #expect(try await connection.readToEnd().isEmpty)  // and then closed
    }

    @Test func idleKeepAliveConnectionsAreClosed() async throws {
        let client = try Self.client()
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await connection.readResponse().text == "ok")
        try await client.advanceClock(by: .milliseconds(299))
        #expect(!connection.isClosedByServer)
        try await client.advanceClock(by: .milliseconds(1))
        #expect(connection.isClosedByServer)
        #expect(try await connection.readToEnd().isEmpty)  // closed without a response
        // A connection that never sends anything is closed too.
        let silent = try await client.connect()
        try await client.advanceClock(by: .milliseconds(300))
        #expect(silent.isClosedByServer)
    }

    @Test func aClientThatStopsReadingIsDisconnected() async throws {
        let client = try Self.client()
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.pauseReading()
        try await connection.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        try await client.advanceClock(by: .milliseconds(299))
        #expect(!connection.isClosedByServer)
        try await client.advanceClock(by: .milliseconds(1))
        #expect(connection.isClosedByServer)  // the unsent 16 MiB were dropped
        try await connection.resumeReading()
        #expect(try await connection.readToEnd().isEmpty)
        // The server still serves others.
        #expect(try await client.execute(.get, "/").text == "ok")
    }

    @Test func aWriteThatProgressesIsNotAStall() async throws {
        let client = try Self.client()
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.pauseReading()
        try await connection.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        try await client.advanceClock(by: .milliseconds(299))
        try await connection.resumeReading()  // the peer took everything: progress
        try await client.advanceClock(by: .milliseconds(299))
        let response = try await connection.readResponse()
        #expect(response.body.count == 16 * 1024 * 1024)
        #expect(!connection.isClosedByServer)
    }

    @Test func theSocketServerSweepsTimeoutsToo() throws {
        // One check over a real socket that the sweep timer drives the same code.
        let server = try TestServer(Self.router(), configure: Self.quick)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(try client.isClosedByPeer())
    }

    @Test func connectionsBeyondTheLimitGet503() throws {
        let server = try TestServer(Self.router()) { $0.maxConnections = 2 }
        defer { #expect(throws: Never.self) { try server.stop() } }
        let first = try server.client()
        let second = try server.client()
        for client in [first, second] {
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
        let third = try server.client()
        try third.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try third.readResponse()
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "1")
        #expect(try third.isClosedByPeer())
    }

    @Test func aClientMisbehavingRepeatedlyDoesNotFloodTheLog() throws {
        let recorder = LogRecorder()
        let server = try TestServer(Self.router(), logger: recorder.logger(level: .info))
        defer { #expect(throws: Never.self) { try server.stop() } }
        for _ in 0..<50 {
            let client = try server.client()
            try client.send("GET / HTTP/9.9\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 505)
        }
        let lines = recorder.records.filter { $0.message == "rejected request" }
        #expect(lines.count <= 2)
        #expect(lines.first?.metadata["status"] == "505")
    }
}
