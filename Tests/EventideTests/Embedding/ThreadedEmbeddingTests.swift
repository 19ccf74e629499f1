import Eventide
import Foundation
import Testing

/// A server on loop threads of its own (`start()`) beside Swift concurrency code that
/// submits work to its loops and stops it with `await stop()`.
@Suite struct ThreadedEmbeddingTests {
    @Test func servesRunsTasksAndAcceptsSubmittedWork() async throws {
        let journal = Journal()
        let server = try EmbeddingRoutes.server(journal)
        #expect(server.eventLoops.isEmpty)
        try server.start()
        let loop = try #require(server.eventLoops.first)
        #expect(try await loop.submit { loop.inEventLoop })
        #expect(!loop.inEventLoop)

        #expect(try oneShotRequest(server.port!, "GET", "/hello").text == "hello, on its loop: true")
        #expect(try oneShotRequest(server.port!, "POST", "/notify/bo").text == "queued bo")
        #expect(await journal.wait { $0.count == 2 })
        #expect(journal.all == ["pool bo", "loop bo on its loop: true"])

        let report = try await server.stop()
        #expect(report.drainedCompletely)
        #expect(report.statistics.succeeded == 2)
        // The loop closed with the server: it refuses work with a clear error.
        await #expect(throws: EventLoopClosedError.self) { try await loop.submit { 0 } }
        #expect(isRefused(server.port!))
    }

    @Test func stopDrainsFromAsyncCodeOnEveryLoop() async throws {
        let journal = Journal()
        let gate = Gate()
        let server = try EmbeddingRoutes.server(journal, gate: gate, loops: 2)
        try server.start()
        #expect(server.eventLoops.count == 2)
        let port = server.port!
        #expect(try oneShotRequest(port, "POST", "/notify/cy").status == 200)
        // A request in flight when the stop begins is answered; the client then closes.
        let busy = ThreadedRequest(port: port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await journal.wait { $0.contains("slow started") })

        // Another task waits for the stop without starting it.
        let observer = Task { await server.stopped() }
        let stopping = Task { try await server.stop() }
        // Both loops have begun their shutdown once neither listens any more.
        #expect(try await eventually(timeout: 15) { isRefused(port) })
        gate.open()
        let report = try await stopping.value
        #expect(report.drainedCompletely)
        #expect(await observer.value.drainedCompletely)
        let answered = try await busy.response()
        #expect(answered.text == "slow done" && answered.headers["connection"] == "close")
        #expect(journal.all.count == 3)
        for loop in server.eventLoops {
            await #expect(throws: EventLoopClosedError.self) { try await loop.submit { 0 } }
        }
        // wait() after stop() returns the same report at once.
        #expect(try server.wait().drainedCompletely)
    }

    @Test func hundredStartStopCyclesLeakNothing() async throws {
        let journal = Journal()
        func cycle(_ index: Int) async throws {
            let server = try EmbeddingRoutes.server(journal)
            try server.start()
            let loop = server.eventLoops[0]
            #expect(try await loop.submit { index } == index)
            #expect(try oneShotRequest(server.port!, "POST", "/notify/\(index)").status == 200)
            #expect(try await server.stop().drainedCompletely)
        }
        for index in 0..<5 { try await cycle(index) }
        let descriptors = openDescriptorCount()
        let memory = MemoryInUse()
        let grown = try await memory.growth(over: 5..<105) { try await cycle($0) }
        #expect(journal.all.count == 2 * 105)
        #expect(openDescriptorCount() - descriptors < 40)
        #expect(grown < 20 * 1024, "\(memory.measure) grew by \(grown) KiB")
    }
}
