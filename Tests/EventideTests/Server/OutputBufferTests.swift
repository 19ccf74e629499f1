import Eventide
import Testing

/// Connections borrow their loop's output buffer while they write: interleaved writers
/// on one loop must each get their own bytes.
@Suite struct OutputBufferTests {
    @Test func interleavedStreamsAndPipelinesOnOneLoopGetTheirOwnBytes() throws {
        let router = Router()
        router.sync.get("/stream/{tag}") { request, _ in
            let tag = request.pathParameters["tag"]!
            return Response.stream { writer in
                for part in 0..<40 {
                    try await writer.write(Array("\(tag):\(part);".utf8))
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
        }
        router.sync.get("/echo/{tag}") { request, _ in request.pathParameters["tag"]! }
        router.sync.get("/big") { _, _ in Response.bytes([UInt8](repeating: 0x62, count: 64 * 1024)) }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }

        let streams = try (0..<3).map { _ in try server.client() }
        for (index, client) in streams.enumerated() {
            try client.send("GET /stream/s\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
        }
        // A large body is written from its own array after a flush; the pipelined request
        // behind it is answered into a buffer borrowed again.
        let pipelines = try (0..<3).map { _ in try server.client() }
        for round in 0..<10 {
            for (index, client) in pipelines.enumerated() {
                var batch = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
                for n in 0..<5 { batch += "GET /echo/p\(index)-\(round)-\(n) HTTP/1.1\r\nHost: x\r\n\r\n" }
                try client.send(batch)
            }
            for (index, client) in pipelines.enumerated() {
                #expect(try client.readResponse().body.count == 64 * 1024)
                for n in 0..<5 { #expect(try client.readResponse().text == "p\(index)-\(round)-\(n)") }
            }
        }
        for (index, client) in streams.enumerated() {
            let expected = (0..<40).map { "s\(index):\($0);" }.joined()
            #expect(try client.readResponse().text == expected)
        }
    }
}
