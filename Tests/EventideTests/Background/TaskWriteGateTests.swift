import Eventide
import EventideTesting
import Testing

/// Rule 5 on the seam: a request's tasks start once its response's last byte was written,
/// however the response went out (a large body written from its own array, an HTTP/1.0
/// stream), and not before.
@Suite(.timeLimit(.minutes(1))) struct TaskWriteGateTests {
    static func router(journal: Journal) -> Router {
        let router = Router()
        let large = [UInt8](repeating: 0x61, count: 20 * 1024)
        router.sync.get("/large") { _, tasks in
            try tasks.add({ journal.record("large done") }, name: "after-large")
            return Response.bytes(large)
        }
        router.sync.get("/stream") { _, tasks in
            try tasks.add({ journal.record("stream done") }, name: "after-stream")
            return Response.stream { writer in try await writer.write("streamed") }
        }
        return router
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func tasksStartAfterALargeBodyOnAKeptAliveConnection(transport: TestClient.Transport) async throws {
        let journal = Journal()
        // Idle time is not under test: a loaded machine may pause this test for seconds.
        var configuration = ServerConfiguration()
        configuration.timeouts.idle = .seconds(120)
        let client = try TestClient(
            router: Self.router(journal: journal), taskMode: .deferred, transport: transport, configuration: configuration)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("GET /large HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try await connection.readResponse().body.count == 20 * 1024)
        // The connection stays open: nothing but the written response may start the task.
        #expect(await client.drainTasks() == [.succeeded])
        #expect(journal.all == ["large done"])
        #expect(!connection.isClosedByServer)
        await connection.close()
    }

    @Test func tasksStartAfterAnHTTP10StreamEnds() async throws {
        let journal = Journal()
        let client = try TestClient(router: Self.router(journal: journal), taskMode: .deferred)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("GET /stream HTTP/1.0\r\n\r\n")
        #expect(String(decoding: try await connection.readToEnd(), as: UTF8.self).hasSuffix("\r\n\r\nstreamed"))
        #expect(await client.drainTasks() == [.succeeded])
        #expect(journal.all == ["stream done"])
    }

    @Test func aResponseNotYetTakenByThePeerHoldsItsTasks() async throws {
        let journal = Journal()
        let client = try TestClient(router: Self.router(journal: journal), taskMode: .deferred)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.pauseReading()
        try await connection.send("GET /large HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(client.statistics.unfinished == 1)
        #expect(client.statistics.running == 0 && client.statistics.succeeded == 0)
        #expect(journal.all.isEmpty)
        try await connection.resumeReading()  // the last byte is written now
        #expect(await client.drainTasks() == [.succeeded])
        #expect(journal.all == ["large done"])
        #expect(try await connection.readResponse().body.count == 20 * 1024)
        await connection.close()
    }
}

/// Rule 6 on the seam: a client that vanishes before its response was written does not
/// cancel the work the request accepted.
@Suite(.timeLimit(.minutes(1))) struct VanishedClientTaskTests {
    @Test func tasksStillRunWhenTheClientResetsBeforeTheResponseWentOut() async throws {
        let journal = Journal()
        let router = Router()
        let large = [UInt8](repeating: 0x62, count: 64 * 1024)
        router.sync.post("/accept") { _, tasks in
            try tasks.add({ journal.record("ran") }, name: "accepted-work")
            return Response.bytes(large)
        }
        let client = try TestClient(router: router, taskMode: .deferred)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.pauseReading()
        try await connection.send("POST /accept HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(journal.all.isEmpty)  // the response is still unsent
        await connection.reset()
        #expect(await client.drainTasks() == [.succeeded])
        #expect(journal.all == ["ran"])
        #expect(connection.isClosedByServer)
    }
}
