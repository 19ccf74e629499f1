import Eventide
import Synchronization
import Testing

@Suite struct SlowClientTests {
    @Test func largeResponseReachesASlowReaderIntact() throws {
        let size = 8 * 1024 * 1024
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let router = Router()
        router.sync.get("/big") { _, _ in Response.bytes(payload) }
        router.sync.get("/small") { _, _ in "ok" }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client(receiveTimeout: 10)
        try client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        // Read the first part slowly, so the server must hold the rest until the socket drains.
        _ = try client.readSlowly(total: 256 * 1024, chunk: 16 * 1024, interval: 0.01)
        // Meanwhile another connection is served without delay.
        let other = try server.client()
        try other.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.readResponse().text == "ok")

        let fresh = try server.client(receiveTimeout: 10)
        try fresh.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try fresh.readResponse()
        #expect(response.body.count == size)
        #expect(response.body == payload)
    }

    @Test func streamedBodyWaitsForTheReader() throws {
        let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
        let chunks = 256  // 16 MiB, far more than socket buffers and the high watermark
        let produced = Atomic<Int>(0)
        let router = Router()
        router.sync.get("/stream") { _, _ in
            Response.stream(headers: [.contentType: "application/octet-stream"]) { writer in
                for _ in 0..<chunks {
                    try await writer.write(chunk)
                    produced.add(1, ordering: .relaxed)
                }
            }
        }
        let server = try TestServer(router) { $0.writeBufferHighWatermark = 128 * 1024 }
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client(receiveTimeout: 10)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(300_000)
        // Without backpressure the producer would have finished by now.
        let whileStalled = produced.load(ordering: .relaxed)
        #expect(whileStalled < chunks / 2)
        let response = try client.readResponse()
        #expect(response.headers["transfer-encoding"] == "chunked")
        #expect(response.body.count == chunk.count * chunks)
        #expect(produced.load(ordering: .relaxed) == chunks)
    }
}

#if canImport(Glibc)
import Glibc
#endif
