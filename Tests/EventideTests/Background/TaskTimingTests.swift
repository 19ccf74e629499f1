import Eventide
import Foundation
import Synchronization
import Testing

/// Rule 5: tasks start only after the response's last byte was written, and never
/// delay any response.
@Suite struct TaskTimingTests {
    @Test func taskWaitsForTheWriteOfALargeResponseToASlowReader() throws {
        let size = 16 * 1024 * 1024
        let payload = [UInt8](repeating: 0x62, count: size)
        let clientReceived = Atomic<Int>(0)
        let receivedAtTaskStart = Watched(-1)
        let router = Router()
        router.sync.get("/big") { _, tasks in
            try tasks.add({ receivedAtTaskStart.update { $0 = clientReceived.load(ordering: .relaxed) } }, name: "after-big")
            return Response.bytes(payload)
        }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client(receiveTimeout: 10)
        try client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        // Not reading for a while: a server starting tasks early would start it now.
        usleep(500_000)
        #expect(receivedAtTaskStart.current == -1)
        var received = 0
        while received < size {
            received += try client.readAvailable(max: 256 * 1024)
            clientReceived.store(received, ordering: .relaxed)
            usleep(2_000)
        }
        #expect(receivedAtTaskStart.wait(timeout: 10) { $0 != -1 }, "the task did not start")
        // The server's write can complete only once the client has read all but what the
        // kernel buffers (at most tcp_wmem's 4 MiB here, plus the client's small receive buffer).
        let atStart = receivedAtTaskStart.current
        #expect(atStart >= size - 5 * 1024 * 1024, "task started when the client had \(atStart) of \(size) bytes")
    }

    @Test func slowTasksDelayNeitherKeepAliveNorPipelinedNorOtherConnections() throws {
        let router = Router()
        router.sync.post("/slow") { _, tasks in
            try tasks.add({ usleep(4_000_000) }, name: "blocking-4s")
            try tasks.add({ try await Task.sleep(for: .seconds(4)) }, name: "async-4s")
            return "accepted"
        }
        router.sync.get("/fast") { _, _ in "fast" }
        // The tasks are cut short at the end: their 4 s would only hold the test (and a
        // thread of Swift concurrency's pool) while nothing more is checked.
        let server = try TestServer(router) { $0.shutdownTimeout = .milliseconds(100) }
        defer { #expect(throws: Never.self) { try server.stop() } }
        let start = ContinuousClock.now
        let client = try server.client()
        try client.send("POST /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "accepted")
        try client.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "fast")
        try client.send("POST /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        for expected in ["accepted", "fast", "fast"] { #expect(try client.readResponse().text == expected) }
        let other = try server.client()
        try other.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.readResponse().text == "fast")
        // Well under one task's 4 s, with room for a loaded machine's scheduling delays.
        #expect(ContinuousClock.now - start < .seconds(3))
    }
}

extension RawClient {
    /// Reads whatever is available (up to `max` bytes) and returns how many bytes came.
    func readAvailable(max: Int) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: max)
        let count = chunk.withUnsafeMutableBytes { recv(fileDescriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure(description: "recv failed or EOF") }
        return count
    }
}
