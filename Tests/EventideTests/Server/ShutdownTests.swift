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

    @Test func stopStartCycleLeavesNoSocketOpen() throws {
        let router = Router()
        router.sync.get("/") { _, _ in "hi" }
        // Counted by the server's port, not as all of the process's descriptors: other
        // suites open and close theirs meanwhile.
        for _ in 0..<20 {
            let port: Int
            do {
                let server = try TestServer(router)
                port = server.port
                let client = try server.client()
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().text == "hi")
                #expect(try openSockets(onPort: port) == 3)  // listener, accepted, client: the count sees them
                try server.stop()
            }
            #expect(try openSockets(onPort: port) == 0)
        }
    }

    /// This process's open TCP sockets whose local or remote port is `port` (a listener,
    /// an accepted connection, a client's end), found through /proc.
    private func openSockets(onPort port: Int) throws -> Int {
        var inodes = Set<String>()
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: a /proc file says its size is 0.
            guard let file = FileHandle(forReadingAtPath: table), let data = try file.readToEnd() else { continue }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9 else { continue }
                let ports = [fields[1], fields[2]].compactMap { $0.split(separator: ":").last.flatMap { Int($0, radix: 16) } }
                if ports.contains(port) { inodes.insert(String(fields[9])) }
            }
        }
        return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { entry in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)") else { return false }
            return target.hasPrefix("socket:[") && inodes.contains(String(target.dropFirst(8).dropLast()))
        }.count
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
