import Eventide
import EventideTesting
import EventideUVLoop
import Testing

/// A `ResponseBodyWriter` belongs to its stream: kept past the stream's end it throws
/// `StreamEnded` and never writes into the connection's next response.
@Suite struct StreamWriterTests {
    final class Kept: Sendable {
        let writer = Locked<ResponseBodyWriter?>(nil)
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func aWriterKeptPastItsStreamThrowsStreamEnded(transport: TestClient.Transport) async throws {
        let kept = Kept()
        let router = Router()
        router.sync.get("/stream") { _, _ in
            Response.stream { writer in
                kept.writer.withLock { $0 = writer }
                try await writer.write("body")
            }
        }
        router.sync.get("/plain") { _, _ in "plain" }
        // Idle time is not under test: a loaded machine may pause this test for seconds.
        var configuration = ServerConfiguration()
        configuration.timeouts.idle = .seconds(120)
        let client = try TestClient(router: router, transport: transport, configuration: configuration)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try await connection.readResponse().text == "body")
        let writer = try #require(kept.writer.withLock { $0 })
        await #expect(throws: ResponseBodyWriter.StreamEnded.self) { try await writer.write("late") }
        // The connection's next response is untouched.
        try await connection.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n")
        let next = try await connection.readResponse()
        #expect(next.text == "plain")
        #expect(next.headers[.contentLength] == "5")
        await connection.close()
    }
}
