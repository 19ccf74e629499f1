import Eventide
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// `Server` and `TaskQueue` as services of a swift-service-lifecycle `ServiceGroup`.
@Suite struct ServiceGroupTests {
    struct Note: DurableTask {
        static let name = "note"
        var text: String
        func run(_ context: DurableTaskContext) async throws {
            ServiceGroupTests.notes.update { $0.append(text) }
        }
    }

    static let notes = Watched<[String]>([])

    /// Runs 20 s unless cancelled.
    struct Long: DurableTask {
        static let name = "long"
        var text: String
        func run(_ context: DurableTaskContext) async throws {
            ServiceGroupTests.notes.update { $0.append(text) }
            try await Task.sleep(for: .seconds(20))
        }
    }

    /// A group of `services` running in a task of its own, and the server once it listens.
    static func running(_ server: Server, _ services: [any Service]) async throws -> (ServiceGroup, Task<Void, any Error>) {
        let group = ServiceGroup(services: services, logger: TestServer.quietLogger)
        let task = Task { try await group.run() }
        // Generous: the suite's blocking tests can hold Swift concurrency's threads a while.
        let deadline = ContinuousClock.now + .seconds(60)
        while server.port == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try #require(server.port != nil)
        return (group, task)
    }

    @Test func gracefulShutdownAnswersTheRequestInFlightAndStopsTheQueue() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-group-\(UUID()).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Note.self], logger: TestServer.quietLogger)
        let started = Watched(false)
        let shuttingDown = Watched(false)
        let router = Router()
        router.post("/slow/{text}") { request, tasks in
            started.update { $0 = true }
            _ = await shuttingDown.wait(timeout: 10) { $0 }  // in flight when the shutdown begins
            try await Task.sleep(for: .milliseconds(100))
            try tasks.add(durable: Note(text: try request.pathParameters.require("text")))
            return "done"
        }
        let server = try Server(
            router: router, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, handlesSignals: false, taskQueue: queue),
            logger: TestServer.quietLogger)
        let (group, run) = try await Self.running(server, [queue, server])
        let text = "group-\(UUID().uuidString.prefix(8))"
        let client = try RawClient(port: server.port!)
        try client.send("POST /slow/\(text) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await started.wait(timeout: 10) { $0 })
        await group.triggerGracefulShutdown()
        // The group passes it on in its own time: the server has begun once it refuses
        // new connections.
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? RawClient(port: server.port!)) != nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        shuttingDown.update { $0 = true }
        let response = try client.readResponse()
        #expect(response.text == "done")
        #expect(response.headers["connection"] == "close")
        try await run.value  // every service returned
        #expect(throws: (any Error).self) { try RawClient(port: server.port!) }
        #expect(Self.notes.current.contains(text))  // the request's durable task ran before the queue stopped
    }

    @Test func cancellationStopsAtOnceAndNamesTheUnfinishedTask() async throws {
        let router = Router()
        let began = Watched(false)
        router.sync.post("/sleepy") { _, tasks in
            try tasks.add({
                began.update { $0 = true }
                try await Task.sleep(for: .seconds(20))
            }, name: "sleepy")
            return "ok"
        }
        let server = try Server(
            router: router, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, handlesSignals: false),
            logger: TestServer.quietLogger)
        let (_, run) = try await Self.running(server, [server])
        let client = try RawClient(port: server.port!)
        try client.send("POST /sleepy HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
        #expect(await began.wait(timeout: 10) { $0 })
        let cancelled = ContinuousClock.now
        run.cancel()
        _ = try? await run.value
        #expect(ContinuousClock.now - cancelled < .seconds(5))  // not the 30 s shutdown timeout, nor the task's 20 s
        let report = await server.stopped()
        #expect(report.unfinishedTasks == ["sleepy"])
    }

    @Test func cancellationPutsRunningDurableTasksBackAtOnce() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-group-\(UUID()).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try TaskQueue(store: .sqlite(path: path), tasks: [Long.self], logger: TestServer.quietLogger)
        let server = try Server(
            router: Router(), configuration: ServerConfiguration(host: "127.0.0.1", port: 0, handlesSignals: false, taskQueue: queue),
            logger: TestServer.quietLogger)
        let (_, run) = try await Self.running(server, [queue, server])
        let text = "long-\(UUID().uuidString.prefix(8))"
        let receipt = try await queue.enqueue(Long(text: text))
        #expect(await Self.notes.wait(timeout: 30) { $0.contains(text) })
        let cancelled = ContinuousClock.now
        run.cancel()
        _ = try? await run.value
        #expect(ContinuousClock.now - cancelled < .seconds(5))  // not the queue's 25 s shutdown timeout
        let reader = try TaskQueue(store: .sqlite(path: path), tasks: [Long.self], workers: .none)
        let record = try #require(try await reader.task(id: receipt.id))
        #expect(record.state == .available && record.attempt == 0)  // back in the queue, unspent
        await reader.shutdown()
    }
}
