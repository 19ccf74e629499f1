import Eventide
import Foundation
import Testing

@Suite struct ShutdownTests {
    @Test func inFlightRequestIsAnsweredAndTheLoopClosesWithNoHandleLeft() throws {
        let started = Watched(0)
        let router = Router()
        router.get("/slow") { _, _ async in
            started.update { $0 += 1 }
            try? await Task.sleep(for: .milliseconds(200))
            return "finished"
        }
        let server = try TestServer(router)
        let idle = try server.client()
        try idle.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle.readResponse()
        let busy = try server.client()
        try busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        // In flight once its handler runs.
        #expect(started.wait(timeout: 10) { $0 == 2 })
        server.server.shutdown()
        // The idle keep-alive connection is closed at once...
        #expect(try idle.isClosedByPeer())
        // ...the busy one gets its answer, marked as the last one.
        let response = try busy.readResponse()
        #expect(response.text == "finished")
        #expect(response.headers["connection"] == "close")
        // wait() throws if uv_loop_close found a handle still open.
        #expect(throws: Never.self) { try server.server.wait() }
        #expect(throws: (any Error).self) { try RawClient(port: server.port) }
    }

    @Test func stopStartCycleDoesNotLeak() throws {
        let router = Router()
        router.sync.get("/") { _, _ in "hi" }
        func openDescriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
        let before = try openDescriptors()
        for _ in 0..<20 {
            let server = try TestServer(router)
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "hi")
            try server.stop()
        }
        // Other suites run in parallel and open sockets too; allow some slack. A leak
        // would add at least one descriptor per cycle (20 of them).
        #expect(try openDescriptors() <= before + 16)
    }

    @Test func bindingABusyPortFails() throws {
        let router = Router()
        let first = try TestServer(router)
        defer { #expect(throws: Never.self) { try first.stop() } }
        let second = try Server(router: router, configuration: ServerConfiguration(port: first.port, handlesSignals: false))
        #expect(throws: UVError.addressInUse) { try second.start() }
    }
}

#if canImport(Glibc)
import Glibc
#endif
