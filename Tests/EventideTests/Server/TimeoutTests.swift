import Eventide
import Foundation
import Testing

/// Timeouts and connection limits: a hostile or vanished client is closed, with 408
/// where a request was under way.
@Suite struct TimeoutTests {
    static func router() -> Router {
        let router = Router()
        router.get("/") { _ in "ok" }
        router.post("/upload") { request in "\(request.body.count)" }
        let big = [UInt8](repeating: 0x61, count: 16 * 1024 * 1024)
        router.get("/big") { _ in Response.bytes(big) }
        return router
    }

    static func quick(_ configuration: inout ServerConfiguration) {
        configuration.timeouts = ServerTimeouts(
            header: .milliseconds(300), body: .milliseconds(300), idle: .milliseconds(300), writeStall: .milliseconds(300))
    }

    @Test func slowlorisHeadersGet408() throws {
        let server = try TestServer(Self.router(), configure: Self.quick)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        let start = Date()
        try client.send("GET / HTTP/1.1\r\n")
        // Each byte resets nothing: the head must be complete within the header timeout.
        for byte in "Host: example.com\r\nX-Slow: yes".utf8 {
            do { try client.send([byte]) } catch { break }
            usleep(30_000)
            if Date().timeIntervalSince(start) > 1.5 { break }
        }
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(response.headers["connection"] == "close")
        #expect(Date().timeIntervalSince(start) < 1.5)
    }

    @Test func stalledBodyGets408() throws {
        let server = try TestServer(Self.router(), configure: Self.quick)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        #expect(try client.readResponse().status == 408)
        #expect(try client.isClosedByPeer())
    }

    @Test func idleKeepAliveConnectionsAreClosed() throws {
        let server = try TestServer(Self.router(), configure: Self.quick)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
        let start = Date()
        #expect(try client.isClosedByPeer())
        #expect(Date().timeIntervalSince(start) < 1.5)
        // A connection that never sends anything is closed too.
        let silent = try server.client()
        #expect(try silent.isClosedByPeer())
    }

    @Test func aClientThatStopsReadingIsDisconnected() throws {
        let server = try TestServer(Self.router(), configure: Self.quick)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client(receiveTimeout: 3)
        try client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(1_000_000)
        var received = 0
        while let count = try? client.readAvailable(max: 1 << 20) { received += count }
        #expect(received < 16 * 1024 * 1024)
        // The server still serves others.
        let other = try server.client()
        try other.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.readResponse().text == "ok")
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
