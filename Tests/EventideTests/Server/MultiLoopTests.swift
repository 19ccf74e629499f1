import Eventide
import Foundation
import Testing

@Suite struct MultiLoopTests {
    @Test func connectionsSpreadOverLoopsAndTasksStayOnTheirLoop() throws {
        let journal = Journal()
        let router = Router()
        router.sync.post("/where") { request, tasks in
            let loop = request.eventLoop
            let served = request.id.loop
            try tasks.add({ journal.record("\(served) on its loop: \(loop.inEventLoop)") } as @Sendable () async -> Void, name: "where")
            return "\(served)"
        }
        let server = try TestServer(router) { $0.loops = 2 }
        var loopsSeen = Set<String>()
        for _ in 0..<24 {
            let client = try server.client()
            try client.send("POST /where HTTP/1.1\r\nHost: x\r\n\r\n")
            loopsSeen.insert(try client.readResponse().text)
        }
        let report = try server.stop()
        #expect(loopsSeen == ["0", "1"])
        #expect(report.drainedCompletely)
        #expect(journal.all.count == 24)
        #expect(journal.all.allSatisfy { $0.hasSuffix("on its loop: true") })
    }

    /// `run()` serves on the calling thread and, once shut down, returns the `ShutdownReport`.
    @Test func runOnTheCallingThreadWithExtraLoopsStopsCleanly() throws {
        let router = Router()
        router.sync.get("/") { _, tasks in
            try tasks.add({}, name: "after-hi")
            return "hi"
        }
        let recorder = LogRecorder()
        let server = try Server(
            router: router, configuration: ServerConfiguration(port: 0, loops: 3, handlesSignals: false), logger: recorder.logger(level: .info))
        let finished = Gate()
        let report = Journal()
        let runner = Thread {
            do {
                let returned = try server.run()
                report.record("drained: \(returned.drainedCompletely), succeeded: \(returned.statistics.succeeded)")
            } catch { Issue.record("run failed: \(error)") }
            finished.open()
        }
        runner.start()
        // The calling thread's loop logs its address once it listens.
        let listening = try #require(recorder.waitForRecord("listening"))
        let port = try #require(listening.metadata["address"]?.split(separator: ":").last.flatMap { Int($0) })
        let client = try RawClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "hi")
        #expect(server.port == port)
        server.shutdown()
        #expect(finished.wait(timeout: 10), "run() did not return after shutdown()")
        #expect(report.all == ["drained: true, succeeded: 1"])
    }
}
