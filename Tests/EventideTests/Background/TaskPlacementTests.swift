import Eventide
import EventideUVLoop
import Foundation
import Testing

/// Rules 1, 2 and 11: where tasks run, what they know, and loop stalls.
@Suite struct TaskPlacementTests {
    @Test func placementDefaultsAndOverrides() throws {
        let journal = Journal()
        let router = Router()
        router.sync.post("/place") { request, tasks in
            let loop = request.eventLoop
            try tasks.add({ journal.record("blocking on loop: \(loop.inEventLoop)") }, name: "blocking-default")
            try tasks.add({ journal.record("async on loop: \(loop.inEventLoop)") } as @Sendable () async -> Void, name: "async-default")
            try tasks.add({ journal.record("blocking forced on loop: \(loop.inEventLoop)") }, name: "blocking-loop", options: .init(placement: .eventLoop))
            try tasks.add({ journal.record("async forced off loop: \(loop.inEventLoop)") } as @Sendable () async -> Void, name: "async-pool", options: .init(placement: .threadPool))
            return "ok"
        }
        let server = try TestServer(router)
        let client = try server.client()
        try client.send("POST /place HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
        try server.stop()
        #expect(journal.all == [
            "blocking on loop: false", "async on loop: true", "blocking forced on loop: true", "async forced off loop: false",
        ])
    }

    @Test func tasksSeeTheirRequestIDAndName() throws {
        let journal = Journal()
        @Sendable func report() {
            let context = BackgroundTaskContext.current
            journal.record("\(context?.requestID.description ?? "none") \(context?.taskName ?? "none") \(context?.logger[metadataKey: "task"] ?? "none")")
        }
        @Sendable func reportAsync() async { report() }
        let router = Router()
        router.sync.post("/context") { _, tasks in
            try tasks.add(report, name: "blocking")
            try tasks.add(reportAsync, name: "async")
            return "ok"
        }
        let server = try TestServer(router)
        let client = try server.client()
        try client.send("POST /context HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readResponse()
        try server.stop()
        #expect(journal.all == ["0-1 blocking blocking", "0-1 async async"])
        #expect(BackgroundTaskContext.current == nil)
    }

    @Test func aLoopTaskHoldingTheLoopIsLoggedByName() throws {
        let recorder = LogRecorder()
        let router = Router()
        router.sync.post("/stall") { _, tasks in
            try tasks.add({ usleep(150_000) } as @Sendable () async -> Void, name: "hog")
            return "ok"
        }
        let server = try TestServer(router, logger: recorder.logger(level: .warning)) {
            $0.backgroundTasks.loopStallThreshold = .milliseconds(50)
        }
        let client = try server.client()
        try client.send("POST /stall HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readResponse()
        let report = try server.stop()
        let stalls = recorder.records.filter { $0.message == "background task held the event loop" }
        #expect(stalls.count == 1)
        #expect(stalls.first?.metadata["task"] == "hog")
        #expect(report.statistics.loopStalls == 1)
    }

    @Test func handlesReportStateAndCompletion() async throws {
        let handles = Locked<[BackgroundTaskHandle]>([])
        let router = Router()
        router.sync.post("/handles") { _, tasks in
            let ok = try tasks.add({}, name: "fine")
            let bad = try tasks.add({ throw HTTPError(HTTPResponse.Status(code: 418)) }, name: "broken")
            #expect(ok.state == .pending)
            handles.withLock { $0 = [ok, bad] }
            return "ok"
        }
        let server = try TestServer(router)
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        try client.send("POST /handles HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readResponse()
        let (ok, bad) = handles.withLock { ($0[0], $0[1]) }
        #expect(await ok.completion() == .succeeded)
        guard case .failed(let message) = await bad.completion() else {
            Issue.record("expected the broken task to fail")
            return
        }
        #expect(message.contains("418"))
        #expect(ok.name == "fine" && ok.id != bad.id)
    }
}
